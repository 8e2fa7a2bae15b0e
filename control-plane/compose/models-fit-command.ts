/**
 * `homeostat models fit --kind anomaly --hosts <selector> --since 7d`: refits the anomaly model's fleet-level
 * parameters from the samples the control plane stored (its database: --database-url, or the SQLite file of
 * --data-dir), writes the new version's .onnx and card to --out, and with --register uploads it to the running
 * control plane's registry (verified and audited there); --canary <selector> then starts a canary rollout of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseDuration } from '../../contract/duration.ts';
import { MAX_REFIT_WINDOW_MS } from '../../contract/api/refits.ts';
import { readAdminCredentials } from '../admin/bootstrap.ts';
import { openStoreAt } from '../store/prisma-store.ts';
import { runRefit } from './refit.ts';

type FitOptions = {
  kind: 'anomaly';
  hosts: string;
  since: string;
  holdout: string;
  dataDir?: string;
  databaseUrl?: string;
  out: string;
  register?: boolean;
  canary?: string;
  server?: string;
  apiToken?: string;
  json?: boolean;
};

/** Calls the control plane's API with the admin token (--api-token, $HOMEOSTAT_API_TOKEN or the data dir's). */
async function api(o: FitOptions, dataDir: string, method: string, path: string, body: FormData | object) {
  const server = (o.server ?? process.env.HOMEOSTAT_SERVER ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = o.apiToken ?? process.env.HOMEOSTAT_API_TOKEN ?? readAdminCredentials(dataDir)?.apiToken;
  if (!token)
    throw new Error(
      `--register needs an admin API token: pass --api-token, set HOMEOSTAT_API_TOKEN, or --data-dir of the server (its admin-credentials.json)`,
    );
  const form = body instanceof FormData;
  const res = await fetch(`${server}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(form ? {} : { 'content-type': 'application/json' }) },
    body: form ? body : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new Error(`${method} ${server}${path}: HTTP ${res.status}: ${String(json.message ?? res.statusText)}`);
  return json;
}

async function fit(o: FitOptions): Promise<void> {
  const windowMs = parseDuration(o.since);
  if (windowMs === null || windowMs < 3_600_000 || windowMs > MAX_REFIT_WINDOW_MS)
    throw new Error(`--since '${o.since}': a duration from 1h to 90d, e.g. 24h or 7d`);
  const holdout = Number(o.holdout);
  if (!(holdout >= 0.05 && holdout <= 0.5)) throw new Error(`--holdout '${o.holdout}': a share from 0.05 to 0.5`);
  const dataDir = resolve(o.dataDir ?? process.env.HOMEOSTAT_DATA_DIR ?? join(homedir(), '.homeostat'));
  const databaseUrl = o.databaseUrl ?? process.env.HOMEOSTAT_DATABASE_URL;
  const store = await openStoreAt(databaseUrl, dataDir);
  const command = `homeostat models fit --kind ${o.kind} --hosts '${o.hosts}' --since ${o.since} --holdout ${holdout}`;
  let result: Awaited<ReturnType<typeof runRefit>>;
  try {
    let lastPhase = '';
    result = await runRefit(
      store,
      { selector: o.hosts, window: o.since, windowMs, holdout, now: Date.now() },
      (p) => {
        if (p.phase === lastPhase) return;
        lastPhase = p.phase;
        process.stderr.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
      },
      command,
    );
  } finally {
    await store.close();
  }
  const { bytes, card, summary } = result;
  mkdirSync(o.out, { recursive: true });
  const onnx = join(resolve(o.out), `${card.name}-${card.version}.onnx`);
  writeFileSync(onnx, bytes);
  writeFileSync(onnx.replace(/\.onnx$/, '.card.json'), `${JSON.stringify(card, null, 2)}\n`);
  const out: Record<string, unknown> = { ...summary, onnx, card: onnx.replace(/\.onnx$/, '.card.json') };
  if (o.register || o.canary !== undefined) {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(bytes)]), 'model.onnx');
    form.set('card', JSON.stringify(card));
    const model = await api(o, dataDir, 'POST', '/api/models', form);
    out.modelId = model.id;
    if (o.canary !== undefined) {
      const id = encodeURIComponent(String(model.id));
      const rollout = await api(o, dataDir, 'POST', `/api/models/${id}/publish`, { selector: o.canary });
      out.rolloutId = rollout.id;
    }
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  process.stdout.write(
    [
      `${card.name}@${card.version}: ${summary.samples} samples from ${summary.hosts} host(s) (${summary.from} .. ${summary.to}), ${summary.features} features, fitted in ${(summary.fitMs / 1000).toFixed(1)} s`,
      `  components ${summary.components}, z0 ${summary.z0}`,
      `  held back ${summary.holdoutSamples} samples from ${summary.holdoutFrom}: alert rate ${pct(summary.holdout.alertRate)}, ${summary.holdout.falseEpisodesPerHostDay.toFixed(2)} episodes/host-day (base: ${pct(summary.baseHoldout.alertRate)}, ${summary.baseHoldout.falseEpisodesPerHostDay.toFixed(2)})`,
      `  wrote ${onnx}`,
      ...(out.modelId ? [`  registered ${String(out.modelId)}`] : []),
      ...(out.rolloutId ? [`  canary rollout ${String(out.rolloutId)} to '${o.canary}'`] : []),
    ].join('\n') + '\n',
  );
}

/** Adds `fit` to `homeostat models`. */
export function registerFit(models: Command): void {
  models
    .command('fit')
    .description("refit a model's fleet-level parameters from the samples the control plane stored")
    .addOption(new Option('--kind <kind>', 'which model').choices(['anomaly']).makeOptionMandatory())
    .requiredOption('--hosts <selector>', "label selector of the hosts whose samples to read ('' = every host)")
    .option('--since <duration>', 'how far back to read, e.g. 24h, 7d', '7d')
    .option('--holdout <share>', 'share of the window (its end) held back to measure the new version', '0.2')
    .option('-d, --data-dir <dir>', "the control plane's data dir (its SQLite database and admin credentials)")
    .option('--database-url <url>', 'the control plane database (postgres://… or file:…), instead of the data dir')
    .option('--out <dir>', 'where to write the .onnx and its card', '.')
    .option('--register', "upload the new version to the control plane's model registry")
    .option('--canary <selector>', 'after registering, start a canary rollout to these hosts')
    .option('--server <url>', 'control-plane HTTP URL (default: $HOMEOSTAT_SERVER or http://127.0.0.1:8080)')
    .option('--api-token <token>', "admin API token (default: $HOMEOSTAT_API_TOKEN or the data dir's)")
    .option('--json', 'print the summary as JSON')
    .action(async (o: FitOptions) => {
      try {
        await fit(o);
      } catch (err) {
        process.stderr.write(`homeostat models fit: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
