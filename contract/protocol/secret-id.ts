/**
 * The public name of an agent secret: what the agent states in its presence (`secretId`) so the control plane knows
 * which secret it holds, without the secret itself travelling (docs/tls.md, secret rotation). A domain-separated
 * SHA-256, truncated: agent secrets are 256 random bits, so the name gives nothing away about them.
 */
import { createHash } from 'node:crypto';

/** The id of `secret` (22 base64url characters, 132 bits). */
export function secretIdOf(secret: string): string {
  return createHash('sha256').update(`homeostat/secret-id/v1\u0000${secret}`).digest('base64url').slice(0, 22);
}
