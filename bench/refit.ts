/**
 * Refit benchmark: a fresh control-plane database (SQLite in a temp data dir, or PostgreSQL with --database-url) with
 * `--hosts` enrolled hosts, each with `--days` of synthetic correlated samples every `--interval` seconds
 * (test/support/fleet-samples.ts) stored through the telemetry repository; then `homeostat models fit` runs as a child
 * process under /usr/bin/time. Prints the CLI's summary (fit time, samples read, held-back quality) with the wall time
 * and the child's peak RSS (bounded memory: it must not grow with the samples).
 * Usage: npx tsx bench/refit.ts [--hosts 20] [--days 7] [--interval 60] [--json] (cpuS: the child's user + system CPU, start-up included)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { openStore } from '../control-plane/store/prisma-store.ts';
import { resolveDatabaseTarget } from '../control-plane/db/database.ts';
import { fleetSeries, storeSamples } from '../test/support/fleet-samples.ts';

const o = new Command()
  .option('--hosts <n>', 'hosts', '20')
  .option('--days <n>', 'days of samples per host', '7')
  .option('--interval <s>', 'seconds between samples', '60')
  .option('--database-url <url>', 'PostgreSQL instead of SQLite (must be empty)')
  .option('--max-heap-mb <n>', "cap the child's JS heap (shows that memory does not grow with the samples)")
  .option('--json', 'print JSON only')
  .parse(process.argv)
  .opts<{ hosts: string; days: string; interval: string; databaseUrl?: string; maxHeapMb?: string; json?: boolean }>();

const dataDir = mkdtempSync(join(tmpdir(), 'bench-refit-'));
const hosts = Number(o.hosts);
const stepMs = Number(o.interval) * 1000;
const perHost = Math.floor((Number(o.days) * 86_400_000) / stepMs);
const end = Date.now() - 60_000;
const store = await openStore(resolveDatabaseTarget(o.databaseUrl, dataDir));
const seedStart = performance.now();
await store.tokens.create({
  id: 'bench',
  tokenHash: 'x',
  labels: { role: 'bench' },
  maxUses: hosts,
  expiresAt: new Date(Date.now() + 3_600_000),
  createdBy: null,
});
for (let h = 0; h < hosts; h++) {
  const id = `bench-${h}`;
  await store.tokens.redeem(
    'bench',
    new Date(),
    { id, hostname: id, labels: { role: 'bench' }, agentVersion: '0' },
    'x',
  );
  await storeSamples(store.telemetry, fleetSeries(id, h + 1, perHost, end, stepMs));
}
await store.close();
const seedMs = performance.now() - seedStart;

const bin = new URL('../control-plane/cli/homeostat.mjs', import.meta.url).pathname;
const timeFile = join(dataDir, 'time.txt');
const db = o.databaseUrl ? ['--database-url', o.databaseUrl] : ['--data-dir', dataDir];
const started = performance.now();
const stdout = execFileSync(
  '/usr/bin/time',
  [
    '-f',
    '%M %U %S',
    '-o',
    timeFile,
    process.execPath,
    ...(o.maxHeapMb ? [`--max-old-space-size=${o.maxHeapMb}`] : []),
    bin,
    'models',
    'fit',
    '--kind',
    'anomaly',
    '--hosts',
    'role=bench',
    '--since',
    `${Number(o.days) + 1}d`,
    '--out',
    dataDir,
    ...db,
    '--json',
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
);
const wallMs = performance.now() - started;
const summary = JSON.parse(stdout);
const [rssKb, userS, sysS] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
const maxRssMb = rssKb! / 1024;
const result = {
  hosts,
  samplesPerHost: perHost,
  intervalS: Number(o.interval),
  seedMs: Math.round(seedMs),
  wallMs: Math.round(wallMs),
  fitMs: summary.fitMs,
  cpuS: Math.round((userS! + sysS!) * 10) / 10,
  maxRssMb: Math.round(maxRssMb),
  maxHeapMb: o.maxHeapMb ? Number(o.maxHeapMb) : null,
  samples: summary.samples,
  samplesReadPerS: Math.round((3 * summary.samples) / (summary.fitMs / 1000)),
  version: summary.version,
  components: summary.components,
  z0: summary.z0,
  holdout: summary.holdout,
  baseHoldout: summary.baseHoldout,
};
rmSync(dataDir, { recursive: true, force: true });
console.log(o.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
