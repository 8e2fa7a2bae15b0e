/**
 * Agent secret rotation without re-enrolling (docs/tls.md). A rotation is *pending* from the request until the agent
 * is known to hold the new secret, and the old secret works until then, whatever the broker:
 *
 * - the request stores the new secret's hash as pending beside the current one (rotation-secret.ts: the same secret
 *   can be recomputed from it, so it is sent again unchanged) and, when the agent is online, sends it the signed
 *   `rotate-secret` command on its own topic;
 * - every `online` presence of the agent (published once it is subscribed to that topic, agent/link/mqtt-link.ts)
 *   names the newest secret it holds (`secretId`). Not the pending one: the command is sent again with a fresh
 *   signature and time; a command lost because it reached the broker before the agent's subscription (clean
 *   session, QoS 1 to nobody) is so made good at the presence that follows the subscription. The pending one: the
 *   agent stored it, so the rotation completes: the broker account gets it (Mosquitto dynamic security keeps one
 *   password per client, so only now) and it becomes the only secret;
 * - the embedded broker and the HTTP hook also complete it at the first connection with the new secret
 *   (broker/authenticate.ts).
 *
 * Asking while a rotation is pending sends the same secret again (one rotation, never two secrets in flight: an agent
 * that applied both would keep neither the old nor the broker's). A revoked host gets nothing.
 */
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command, PresenceMessage } from '../../contract/protocol/index.ts';
import { secretIdOf } from '../../contract/protocol/secret-id.ts';
import { signEnvelope } from '../../contract/signing/signature.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { HostRepository } from '../store/ports.ts';
import { createRotationSecrets, type RotationSecret } from './rotation-secret.ts';

export type SecretRotationDeps = {
  hosts: HostRepository;
  signingKey: Pick<SigningKey, 'privateKey'>;
  /** The broker account's new secret (external broker with dynamic security), once the agent holds it. */
  rotateBrokerAccount(agentId: string, secret: string): Promise<void>;
  publishCommand(agentId: string, command: Command): Promise<void>;
  /** A rotation completed at a presence (the old secret may sit in verification caches); not at a connection. */
  onPromoted?(agentId: string): void;
  now?: () => number;
};

/** `queued`: the agent was offline; the command goes out when its presence comes online. */
export type RotationRequested = { agentId: string; requestedAt: string; online: boolean; queued: boolean };

/** What an agent's presence did to its rotation: nothing pending, completed, or the command sent again. */
export type PresenceOutcome = 'none' | 'promoted' | 'resent';

/** Asks agents to rotate their secrets and completes the rotations at their presence. */
export function createSecretRotation(deps: SecretRotationDeps) {
  const now = deps.now ?? Date.now;
  const secrets = createRotationSecrets(deps.signingKey.privateKey);

  /** The pending rotation's secret, drawn and stored (compare and set) when there is none to reuse. */
  async function pending(agentId: string, current: string | null): Promise<RotationSecret> {
    for (let expected = current; ; ) {
      const secret = expected === null ? null : await secrets.recover(agentId, expected);
      if (secret !== null && expected !== null) return { secret, hash: expected };
      // None pending, or one this key cannot recompute (stored by an earlier release): a new secret replaces it.
      const drawn = secrets.draw(agentId);
      if (await deps.hosts.setPendingSecretHash(agentId, drawn.hash, expected)) return drawn;
      // Another request or replica stored one first: that one is the rotation.
      const cred = await deps.hosts.credential(agentId);
      if (!cred) throw new NotFoundError('host credential', agentId);
      expected = cred.pendingSecretHash ?? null;
    }
  }

  async function send(agentId: string, secret: string): Promise<number> {
    const issuedAt = now();
    const envelope = signEnvelope('secret-rotation', { agentId, secret, issuedAt }, deps.signingKey.privateKey);
    // a plain object: the command schema's record
    await deps.publishCommand(agentId, { v: 1, type: 'rotate-secret', envelope: { ...envelope } });
    return issuedAt;
  }

  return {
    /** Starts (or repeats) a rotation; NotFoundError for an unknown host, ConflictError for a revoked one. */
    async rotate(agentId: string): Promise<RotationRequested> {
      const host = await deps.hosts.get(agentId);
      if (!host) throw new NotFoundError('host', agentId);
      if (host.revokedAt)
        throw new ConflictError(`host '${agentId}' is revoked: it has no secret to rotate`, 'revoked');
      const cred = await deps.hosts.credential(agentId);
      if (!cred) throw new NotFoundError('host credential', agentId);
      const { secret } = await pending(agentId, cred.pendingSecretHash ?? null);
      const requestedAt = now();
      // Read after the pending hash is stored: an agent whose presence came meanwhile got the command from it, and
      // one online now gets it here (twice at worst, which it takes as once).
      const online = (await deps.hosts.get(agentId))?.online === true;
      if (online) await send(agentId, secret);
      return { agentId, requestedAt: new Date(requestedAt).toISOString(), online, queued: !online };
    },

    /** The agent announced itself online (the ingester's presence hook); completes or resends a pending rotation. */
    async onPresence(agentId: string, presence: PresenceMessage): Promise<PresenceOutcome> {
      if (presence.state !== 'online') return 'none';
      const cred = await deps.hosts.credential(agentId);
      if (!cred || cred.revokedAt) return 'none';
      const current = cred.pendingSecretHash ?? null;
      // A rotation an earlier release queued for an offline agent (AgentCredential.rotationQueuedAt) starts now.
      if (!current && !(await deps.hosts.takeQueuedRotation(agentId))) return 'none';
      const { secret, hash } = await pending(agentId, current);
      if (presence.secretId !== secretIdOf(secret)) {
        await send(agentId, secret);
        return 'resent';
      }
      // The agent stored the new secret (it names it only then): only now may the broker forget the old one.
      await deps.rotateBrokerAccount(agentId, secret);
      if (await deps.hosts.promotePendingSecret(agentId, hash)) deps.onPromoted?.(agentId);
      return 'promoted';
    },
  };
}

export type SecretRotation = ReturnType<typeof createSecretRotation>;
