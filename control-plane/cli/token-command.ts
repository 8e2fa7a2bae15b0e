/**
 * `homeostat token create|list|revoke`: enrollment-token management over the HTTP API. The server URL defaults to
 * $HOMEOSTAT_SERVER or http://127.0.0.1:8080; the API token to $HOMEOSTAT_API_TOKEN or the admin credentials file of
 * the data dir (--data-dir, $HOMEOSTAT_DATA_DIR, else ~/.homeostat then ./.data).
 */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { trustingFetch } from '../../contract/tls/trust.ts';
import { ADMIN_CREDENTIALS_FILE, readAdminCredentials } from '../admin/bootstrap.ts';

export type Common = { server?: string; apiToken?: string; dataDir?: string; json?: boolean; caFile?: string };

/**
 * The data dirs whose admin-credentials.json may hold the API token, in order: --data-dir or $HOMEOSTAT_DATA_DIR
 * alone when given; otherwise ~/.homeostat (`homeostat server`'s default) then ./.data (`npm start`'s) (N2).
 */
export function dataDirCandidates(o: { dataDir?: string }, env = process.env, cwd = process.cwd()): string[] {
  const explicit = o.dataDir ?? env.HOMEOSTAT_DATA_DIR;
  return explicit ? [resolve(cwd, explicit)] : [join(homedir(), '.homeostat'), resolve(cwd, '.data')];
}

function connection(o: Common): { server: string; token: string } {
  const server = (o.server ?? process.env.HOMEOSTAT_SERVER ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const explicit = o.apiToken ?? process.env.HOMEOSTAT_API_TOKEN;
  if (explicit) return { server, token: explicit };
  const candidates = dataDirCandidates(o);
  for (const dir of candidates) {
    const token = readAdminCredentials(dir)?.apiToken;
    if (token) return { server, token };
  }
  const files = candidates.map((d) => join(d, ADMIN_CREDENTIALS_FILE)).join(' or ');
  throw new Error(
    `no API token: found no ${files}. Pass --data-dir <dir> (the server's data dir; \`npm start\` uses ./.data), --api-token, or set HOMEOSTAT_API_TOKEN`,
  );
}

/** An admin API call; over HTTPS with a private CA, `--ca-file` (or $HOMEOSTAT_CA_FILE) is the trust anchor. */
export async function call(o: Common, method: string, path: string, body?: unknown): Promise<any> {
  const { server, token } = connection(o);
  const caFile = o.caFile ?? process.env.HOMEOSTAT_CA_FILE;
  const res = await trustingFetch(caFile ? readFileSync(caFile, 'utf8') : undefined)(`${server}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new Error(
      `${method} ${path}: HTTP ${res.status}: ${(json as { message?: string }).message ?? res.statusText}`,
    );
  return json;
}

/** Parses `k=v,k2=v2`. */
export function parseLabels(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--labels: '${part}' is not key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export const withCommon = (c: Command) =>
  c
    .option('--server <url>', 'control-plane HTTP URL (default: $HOMEOSTAT_SERVER or http://127.0.0.1:8080)')
    .option('--ca-file <file>', 'https:// server with a private CA: its CA certificate (default: $HOMEOSTAT_CA_FILE)')
    .option(
      '--api-token <token>',
      "admin API token (default: $HOMEOSTAT_API_TOKEN or the data dir's admin-credentials.json)",
    )
    .option(
      '-d, --data-dir <dir>',
      'data dir whose admin-credentials.json to read (default: ~/.homeostat, then ./.data)',
    )
    .option('--json', 'print the API response as JSON');

const fail = (err: unknown) => {
  process.stderr.write(`homeostat token: ${(err as Error).message}\n`);
  process.exit(1);
};

export function register(program: Command): void {
  const token = program.command('token').description('manage enrollment tokens (create, list, revoke)');
  withCommon(token.command('create').description('create an enrollment token; prints the token once'))
    .option('--labels <k=v,...>', 'labels stamped on every host enrolled with this token', '')
    .option('--uses <n>', 'how many hosts may enroll with it', '1')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 24h, 7d', '24h')
    .action(async (o: Common & { labels: string; uses: string; ttl: string }) => {
      try {
        const r = await call(o, 'POST', '/api/tokens', {
          labels: parseLabels(o.labels),
          uses: Number(o.uses),
          ttl: o.ttl,
        });
        process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${r.token}\n`);
        if (!o.json)
          process.stderr.write(
            `token ${r.id}: ${r.maxUses} use(s), expires ${r.expiresAt}, labels ${JSON.stringify(r.labels)}\n`,
          );
      } catch (err) {
        fail(err);
      }
    });
  withCommon(token.command('list').description('list enrollment tokens (never their secrets)')).action(
    async (o: Common) => {
      try {
        const r = await call(o, 'GET', '/api/tokens');
        if (o.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        for (const t of r.tokens)
          process.stdout.write(
            `${t.id}\t${t.state}\t${t.usesLeft}/${t.maxUses}\t${t.expiresAt}\t${JSON.stringify(t.labels)}\n`,
          );
      } catch (err) {
        fail(err);
      }
    },
  );
  withCommon(
    token.command('revoke').description('revoke an enrollment token by id').argument('<id>', 'token id (et-…)'),
  ).action(async (id: string, o: Common) => {
    try {
      const r = await call(o, 'DELETE', `/api/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${r.id} revoked\n`);
    } catch (err) {
      fail(err);
    }
  });
}
