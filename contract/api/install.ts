/**
 * How a host installs the agent from this control plane (`GET /api/enrollment/install`), and the check behind the
 * Enrollment page's warning: an advertised URL on a loopback or link-local address reaches no other server.
 */
import { z } from 'zod';

/** One downloadable agent artifact (docs/agent-install.md). */
export const AgentArtifact = z.object({
  platform: z.string(),
  version: z.string(),
  file: z.string(),
  url: z.string(),
  sha256: z.string(),
  size: z.number().int().nonnegative(),
});
export type AgentArtifact = z.infer<typeof AgentArtifact>;

/** `GET /api/enrollment/install`: the one-liner with the advertised URL (the token is a placeholder). */
export const InstallInfo = z.object({
  advertisedUrl: z.string(),
  /** Where the advertised URL came from: the `advertisedUrl` setting, or derived from the listening address. */
  advertisedUrlSource: z.enum(['config', 'listening-address']),
  /** Why other servers cannot use the advertised URL (loopback, link-local, unspecified); null when they can. */
  warning: z.string().nullable(),
  /** `curl -fsSL <url>/install.sh | sudo sh -s -- --token <TOKEN>` */
  command: z.string(),
  /** The same, reading the token from a file (the documented way to keep it out of shell history). */
  commandWithTokenFile: z.string(),
  scriptUrl: z.string(),
  /** sha256 (hex) of the signing key's SPKI DER: what install.sh pins. */
  signingKeySha256: z.string(),
  /** With HTTPS on: sha256 (hex) of the CA certificate agents pin (install.sh --ca-sha256), and of the server
   * certificate's public key (curl --pinnedpubkey in the one-liner); absent over plain HTTP. */
  tls: z.object({ caSha256: z.string(), serverKeySha256: z.string() }).optional(),
  /** Artifacts found or built so far (empty until the first one is built; install.sh builds on demand). */
  artifacts: z.array(AgentArtifact),
});
export type InstallInfo = z.infer<typeof InstallInfo>;

/** Why `url` is unusable from another host (loopback, link-local or unspecified address), or null. */
export function unreachableUrlReason(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (host.startsWith('[')) host = host.slice(1, -1);
  const why = (kind: string) =>
    `${url} is a ${kind} address: other servers cannot reach it. Set advertisedUrl (HOMEOSTAT_ADVERTISED_URL) to an address they can.`;
  if (host === 'localhost' || host.endsWith('.localhost')) return why('loopback');
  if (/^127\./.test(host) || host === '::1' || host.startsWith('::ffff:127.')) return why('loopback');
  if (/^169\.254\./.test(host) || /^fe[89ab][0-9a-f]:/.test(host)) return why('link-local');
  if (host === '0.0.0.0' || host === '::') return why('unspecified');
  return null;
}
