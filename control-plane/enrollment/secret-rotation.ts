/**
 * Agent secret rotation without re-enrolling (docs/tls.md): the control plane draws a new secret, stores its hash as
 * pending beside the current one, gives the broker account the new secret (Mosquitto dynamic security) and sends the
 * agent a `rotate-secret` command signed with its signing key on the agent's own topic. The agent stores the secret
 * and reconnects with it; that first use makes it the only valid one (broker/authenticate.ts), so the old secret
 * stops working. Only the hash is stored.
 *
 * An offline agent cannot get a command (it connects with a clean session), so its rotation is queued in the
 * database and nothing else changes yet: no secret is drawn and the broker account keeps the current one (with
 * dynamic security an agent that never got the new secret would otherwise be locked out). When its presence comes
 * online (the ingester's `onPresence`), `deliverQueued` takes the queued mark, once across replicas, and rotates.
 */
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command } from '../../contract/protocol/index.ts';
import { signEnvelope } from '../../contract/signing/signature.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import { hashRandomSecret, randomSecret } from '../keys/secrets.ts';
import type { HostRepository } from '../store/ports.ts';

export type SecretRotationDeps = {
  hosts: HostRepository;
  signingKey: Pick<SigningKey, 'privateKey'>;
  /** The broker account's new secret (external broker with dynamic security); before the command is sent. */
  rotateBrokerAccount(agentId: string, secret: string): Promise<void>;
  publishCommand(agentId: string, command: Command): Promise<void>;
  now?: () => number;
};

/** `queued`: the agent was offline; the command goes out when its presence comes online. */
export type RotationRequested = { agentId: string; requestedAt: string; online: boolean; queued: boolean };

/** Asks an agent to rotate its secret; NotFoundError for an unknown host, ConflictError for a revoked one. */
export function createSecretRotation(deps: SecretRotationDeps) {
  const now = deps.now ?? Date.now;

  /** Draws the secret, stores its hash as pending, updates the broker account and sends the signed command. */
  async function send(agentId: string): Promise<number> {
    const secret = randomSecret(32);
    const issuedAt = now();
    if (!(await deps.hosts.setPendingSecretHash(agentId, hashRandomSecret(secret))))
      throw new NotFoundError('host credential', agentId);
    await deps.rotateBrokerAccount(agentId, secret);
    const envelope = signEnvelope('secret-rotation', { agentId, secret, issuedAt }, deps.signingKey.privateKey);
    await deps.publishCommand(agentId, {
      v: 1,
      type: 'rotate-secret',
      envelope: { ...envelope }, // a plain object: the command schema's record
    });
    return issuedAt;
  }

  /** Sends a queued rotation if there is one and this caller took it; true when sent. */
  async function deliverQueued(agentId: string): Promise<boolean> {
    if (!(await deps.hosts.takeQueuedRotation(agentId))) return false;
    const host = await deps.hosts.get(agentId);
    if (!host || host.revokedAt) return false; // revoked meanwhile: nothing to rotate
    try {
      await send(agentId);
    } catch (err) {
      await deps.hosts.queueRotation(agentId, new Date(now())); // not sent: the next presence tries again
      throw err;
    }
    return true;
  }

  return {
    async rotate(agentId: string): Promise<RotationRequested> {
      const host = await deps.hosts.get(agentId);
      if (!host) throw new NotFoundError('host', agentId);
      if (host.revokedAt)
        throw new ConflictError(`host '${agentId}' is revoked: it has no secret to rotate`, 'revoked');
      if (host.online) {
        await deps.hosts.takeQueuedRotation(agentId); // this rotation supersedes one queued earlier
        const issuedAt = await send(agentId);
        return { agentId, requestedAt: new Date(issuedAt).toISOString(), online: true, queued: false };
      }
      const requestedAt = now();
      if (!(await deps.hosts.queueRotation(agentId, new Date(requestedAt))))
        throw new NotFoundError('host credential', agentId);
      // The agent may have come online between the read above and the queueing: its presence hook then found
      // nothing queued. Looking again closes that gap (deliverQueued sends at most once).
      if ((await deps.hosts.get(agentId))?.online) await deliverQueued(agentId);
      return { agentId, requestedAt: new Date(requestedAt).toISOString(), online: false, queued: true };
    },
    deliverQueued,
  };
}

export type SecretRotation = ReturnType<typeof createSecretRotation>;
