/**
 * Enrollment: exchanges a one-time token for an identity over HTTP (`POST /api/enroll`) and stores it.
 */
import { hostname as osHostname } from 'node:os';
import { z } from 'zod';
import { HomeostatError } from '../../contract/errors.ts';
import { describeTlsError, trustingFetch } from '../../contract/tls/trust.ts';
import { pinnedCaFromServer } from './ca-pin.ts';
import { saveCredentials, type Credentials } from './credentials.ts';

/** The control plane refused or failed the enrollment. `status` is the HTTP status (0 = unreachable). */
export class EnrollError extends HomeostatError {
  override name = 'EnrollError';
  constructor(
    public readonly server: string,
    public readonly status: number,
    detail: string,
  ) {
    super(`enrollment at ${server} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`);
  }
}

const EnrollResponse = z.object({
  agentId: z.string().min(1),
  secret: z.string().min(1),
  mqttUrl: z.string().min(1),
  wsUrl: z.string().optional(),
  publicKey: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
  overriddenLabels: z.record(z.string(), z.object({ requested: z.string(), applied: z.string() })).optional(),
  tls: z.object({ caPem: z.string(), caSha256: z.string() }).optional(),
});

/** Inputs of {@link enroll}. `fetch` is injectable; hostname defaults to os.hostname(). */
export type EnrollOptions = {
  server: string;
  token: string;
  stateDir: string;
  agentVersion: string;
  labels?: Record<string, string>;
  inventory?: Record<string, unknown>;
  hostname?: string;
  fetch?: typeof fetch;
  clock?: () => number;
  /** PEM CA to verify an https:// server against (`--ca-file`); pinned for HTTP and MQTT afterwards. */
  ca?: string;
  /** sha256 of a certificate the server presents (`--ca-sha256`): that certificate becomes the pinned CA. */
  caSha256?: string;
  /** Told which requested labels the token's labels replaced (token labels win on conflict), when any were. */
  onLabelsOverridden?: (overridden: Record<string, { requested: string; applied: string }>) => void;
};

/** Enrolls and saves the credentials (0600) in the state dir; returns them. */
export async function enroll(o: EnrollOptions): Promise<Credentials> {
  const server = o.server.replace(/\/+$/, '');
  const hostname = o.hostname ?? osHostname();
  if (/^http:/i.test(server) && (o.ca || o.caSha256))
    throw new EnrollError(server, 0, '--ca-file and --ca-sha256 need an https:// server');
  let ca = o.ca;
  if (o.caSha256) {
    try {
      ca = await pinnedCaFromServer(server, o.caSha256);
    } catch (err) {
      throw new EnrollError(server, 0, (err as Error).message);
    }
  }
  let res: Response;
  try {
    res = await (o.fetch ?? trustingFetch(ca))(`${server}/api/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: o.token,
        hostname,
        agentVersion: o.agentVersion,
        labels: o.labels ?? {},
        ...(o.inventory ? { inventory: o.inventory } : {}),
      }),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
    throw new EnrollError(
      server,
      0,
      cause ? describeTlsError(cause, server, ca !== undefined) : (err as Error).message,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text.slice(0, 500);
    try {
      const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      detail = body.message ?? (typeof body.error === 'string' ? body.error : body.error?.message) ?? detail;
    } catch {
      /* not JSON: keep the text */
    }
    throw new EnrollError(server, res.status, detail);
  }
  const parsed = EnrollResponse.safeParse(safeJson(text));
  if (!parsed.success)
    throw new EnrollError(
      server,
      res.status,
      `unexpected response: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const { tls: _tls, overriddenLabels, ...identity } = parsed.data;
  if (overriddenLabels && Object.keys(overriddenLabels).length) o.onLabelsOverridden?.(overriddenLabels);
  // The CA this enrollment verified the server with is pinned; with the system's CAs nothing is (certificates renew).
  const creds: Credentials = {
    ...identity,
    server,
    hostname,
    enrolledAt: (o.clock ?? Date.now)(),
    ...(ca ? { ca } : {}),
  };
  saveCredentials(o.stateDir, creds);
  return creds;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
