/**
 * Agent secret rotation without re-enrolling (docs/tls.md): the control plane draws a new secret, stores its hash as
 * pending beside the current one, gives the broker account the new secret (Mosquitto dynamic security) and sends the
 * agent a `rotate-secret` command signed with its signing key on the agent's own topic. The agent stores the secret
 * and reconnects with it; that first use makes it the only valid one (broker/authenticate.ts), so the old secret
 * stops working. Only the hash is stored. Offline agents are refused (409): commands are not queued for them.
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

export type RotationRequested = { agentId: string; requestedAt: string; online: boolean };

/** Asks an agent to rotate its secret; NotFoundError for an unknown host, ConflictError for a revoked one. */
export function createSecretRotation(deps: SecretRotationDeps) {
  const now = deps.now ?? Date.now;
  return {
    async rotate(agentId: string): Promise<RotationRequested> {
      const host = await deps.hosts.get(agentId);
      if (!host) throw new NotFoundError('host', agentId);
      if (host.revokedAt)
        throw new ConflictError(`host '${agentId}' is revoked: it has no secret to rotate`, 'revoked');
      // Commands are not queued for offline agents, and with Mosquitto's dynamic security the broker account takes the
      // new secret at once: an agent that misses the command would be locked out. Only a connected agent is asked.
      if (!host.online)
        throw new ConflictError(`host '${agentId}' is offline: rotate its secret while it is connected`, 'offline');
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
      return { agentId, requestedAt: new Date(issuedAt).toISOString(), online: host.online };
    },
  };
}

export type SecretRotation = ReturnType<typeof createSecretRotation>;
