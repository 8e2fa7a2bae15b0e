/**
 * The agent's side of secret rotation (docs/tls.md): a `rotate-secret` command whose envelope verifies against the
 * pinned signing key, names this agent and is newer than the last rotation, is stored in credentials.json (the old
 * secret kept as `previousSecret`, a fallback while the broker does not take the new one yet), then the link
 * reconnects with it; its next presence names the new secret, which completes the rotation on the control plane.
 * The control plane sends the command again at each presence until then: a copy of the secret already stored
 * changes nothing but the replay mark (the old secret stays the fallback) and asks the link to use it (a no-op when
 * it is connected with it). Anything else is refused with a reason and changes nothing.
 */
import { z } from 'zod';
import type { Command } from '../../contract/protocol/index.ts';
import { verifyEnvelope } from '../../contract/signing/signature.ts';
import { type Credentials, saveCredentials } from '../enroll/credentials.ts';

const Payload = z.object({ agentId: z.string(), secret: z.string().min(22).max(200), issuedAt: z.number().int() });

export type SecretRotationDeps = {
  /** The credentials as loaded; updated in place (the model updater reads `secret` at each download). */
  credentials: Credentials;
  stateDir: string;
  /** Reconnects the link with the new secret. */
  reconnectWith(secret: string, previous: string): void;
};

/** Applies one command; returns the refusal reason, or null when rotated. */
export function createSecretRotationHandler(deps: SecretRotationDeps) {
  return (cmd: Extract<Command, { type: 'rotate-secret' }>): string | null => {
    const creds = deps.credentials;
    let payload: z.infer<typeof Payload>;
    try {
      const parsed = Payload.safeParse(verifyEnvelope(cmd.envelope, creds.publicKey, 'secret-rotation'));
      if (!parsed.success) return `malformed payload: ${parsed.error.issues[0]?.message}`;
      payload = parsed.data;
    } catch (err) {
      return (err as Error).message;
    }
    if (payload.agentId !== creds.agentId) return `addressed to ${payload.agentId}, not ${creds.agentId}`;
    if (payload.issuedAt <= (creds.rotatedAt ?? 0)) return 'not newer than the last rotation (replayed)';
    const again = payload.secret === creds.secret;
    const next: Credentials = {
      ...creds,
      secret: payload.secret,
      // sent again: the fallback stays the secret from before this rotation, the one the broker may still have
      previousSecret: again ? creds.previousSecret : creds.secret,
      rotatedAt: payload.issuedAt,
    };
    saveCredentials(deps.stateDir, next); // durable first: a crash after this reconnects with the new secret
    Object.assign(creds, next);
    if (next.previousSecret !== undefined) deps.reconnectWith(payload.secret, next.previousSecret);
    return null;
  };
}
