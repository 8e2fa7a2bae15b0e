/**
 * The agent's identity, stored in `<stateDir>/credentials.json` (file 0600, dir 0700), written atomically.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';

export const Credentials = z.object({
  agentId: z.string().min(1),
  secret: z.string().min(1),
  /** Control plane HTTP URL the agent enrolled with. */
  server: z.string().min(1),
  mqttUrl: z.string().min(1),
  wsUrl: z.string().optional(),
  /** The control plane's signing key, pinned at enrollment (policies and models must verify against it). */
  publicKey: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  /** The secret before the last rotation: tried when the current one is refused (the control plane never got it). */
  previousSecret: z.string().optional(),
  /** `issuedAt` of the last secret rotation applied (older rotation commands are refused as replays). */
  rotatedAt: z.number().int().optional(),
  /** The control plane's CA (PEM), pinned at enrollment over HTTPS: the only trust anchor for HTTPS and MQTT/TLS. */
  ca: z.string().optional(),
  hostname: z.string(),
  enrolledAt: z.number().int(),
});
export type Credentials = z.infer<typeof Credentials>;

/** Path of the credentials file in a state dir. */
export const credentialsPath = (stateDir: string) => join(stateDir, 'credentials.json');

/** Creates the state dir with mode 0700 (and tightens an existing one). */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
}

/** Writes the credentials atomically with mode 0600. */
export function saveCredentials(stateDir: string, creds: Credentials): void {
  ensureStateDir(stateDir);
  const file = credentialsPath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Reads the credentials, or null when the agent is not enrolled. Throws ValidationError on a corrupt file. */
export function loadCredentials(stateDir: string): Credentials | null {
  const file = credentialsPath(stateDir);
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError([{ path: file, message: (err as Error).message }], 'credentials file');
  }
  const parsed = Credentials.safeParse(json);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error), `credentials file ${file}`);
  return parsed.data;
}
