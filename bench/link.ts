/**
 * Link benchmark: a load generator that is not the system under test. N simulated agents (real mqtt.js clients over
 * loopback, spread over several load-generator processes: bench/link-agents.ts, each behaving as the agent's link:
 * outbox, in-flight window, ack timeout and replay) enroll for real (`POST /api/enroll` with an enrollment token) and
 * send real-sized samples (bench/link-sample.ts: the agent's own feature vector from this host, ~110 features,
 * ~3.5 KB) into a control plane running as its own child process(es), so CPU and memory are measured apart.
 *
 *   npm run bench:link -- --agents 1000 [--interval 10] [--duration 20] [--json]
 *     --interval s     each agent creates one sample (--batch) every s seconds (default 10)
 *     --rate N|max     sets the interval so the fleet offers N samples/s; max = closed loop: every agent keeps
 *                      --inflight messages of --batch samples un-acked (finds the saturation point)
 *     --overload F     with --saturation S (samples/s, from a `--rate max` run): offers F × S samples/s and reports
 *                      goodput as a share of S
 *     --storm          all agents connect at once (no ramp), each with --backlog records (default 30) in its outbox: a
 *                      reconnect storm after an outage; reports the time until every backlog record is acked
 *     --window-messages n  messages with un-acked records per agent at most (default 8, as the agent's link)
 *     --sample-bytes n pad or trim the sample to about n bytes (e.g. 130 for the old 3-feature sample)
 *     --ramp s         connects are spread at random over s seconds (default agents/200, at least 2)
 *     --warmup s       after every agent is connected, produce this long before measuring (default 3)
 *     --workers n      load-generator processes (default 1 per 500 agents, 2 to 4)
 *     --database-url   postgres://… to measure PostgreSQL instead of the default SQLite file
 *     --cpu-prof dir   run the control plane with --cpu-prof, profile written to dir
 *     --fast-enroll    enroll through the repository (external: clients written into Mosquitto's file) instead of HTTP
 *     --mode m         embedded (default: Aedes in the control plane) or external: a private Mosquitto 2 (the Debian
 *                      binary) with its dynamic-security plugin, the control plane(s) as its clients (docs/scale-out.md)
 *                      `compare`: both, one after the other with the same options, and the brokers side by side
 *                      (CPU per 1,000 messages, memory per connection, RSS)
 *     --replicas n     external mode: n control-plane processes sharing the database (n > 1 needs --database-url)
 *     --source         run the control plane from its TypeScript sources (tsx) even when dist/ is built and current
 *     --json           exactly one JSON object on stdout
 *     -h, --help       this text
 *
 * samplesPerSec = samples whose ack (sent only after commit) arrived inside the window / window length.
 * Latency = sample created (outbox append) → ack received, over samples created inside the window; samples still
 * un-acked after the drain count with their age at the end (a lower bound), so a stall cannot hide as a missing sample.
 * Broker cost per 1,000 messages: the broker's CPU in the window / MQTT messages published in it (embedded: the
 * whole control plane, which is the broker); memory per connection: broker RSS growth while the agents connected
 * (`memoryPerConnectionKb`) and, embedded, heap/external/RSS growth after a full GC through the inspector
 * (`memoryPerConnectionAfterGcKb`: without garbage; cold, so an upper bound).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openStore } from '../control-plane/store/prisma-store.ts';
import { formatBearer, hashRandomSecret } from '../control-plane/keys/secrets.ts';
import { ENROLLMENT_TOKEN_PREFIX } from '../control-plane/enrollment/enrollment.ts';
import { agentAcls, agentRole } from '../control-plane/broker/dynsec.ts';
import { startMosquitto, type TestMosquitto } from '../test/support/mosquitto.ts';
import type { WorkerConfig, WorkerResult } from './link-agents.ts';
import { realSampleBody, resizeSample, sampleBytes } from './link-sample.ts';
import { inspector, inspectorUrl, type Memory } from './inspector.ts';

const LINK_OPTIONS = {
  agents: { type: 'string', default: '100' },
  duration: { type: 'string', default: '20' },
  interval: { type: 'string', default: '10' },
  rate: { type: 'string' },
  overload: { type: 'string' },
  saturation: { type: 'string' },
  storm: { type: 'boolean', default: false },
  backlog: { type: 'string' },
  'sample-bytes': { type: 'string' },
  batch: { type: 'string', default: '1' },
  inflight: { type: 'string', default: '8' },
  'window-messages': { type: 'string', default: '8' },
  ramp: { type: 'string' },
  warmup: { type: 'string', default: '3' },
  drain: { type: 'string', default: '15' },
  workers: { type: 'string' },
  'database-url': { type: 'string' },
  'cpu-prof': { type: 'string' },
  'fast-enroll': { type: 'boolean', default: false },
  mode: { type: 'string', default: 'embedded' },
  replicas: { type: 'string', default: '1' },
  json: { type: 'boolean', default: false },
  source: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
const args = (() => {
  try {
    return parseArgs({ options: LINK_OPTIONS }).values;
  } catch (err) {
    const allowed = Object.keys(LINK_OPTIONS)
      .map((k) => `--${k}`)
      .join(' ');
    process.stderr.write(`bench:link: ${(err as Error).message.split('\n')[0]}; allowed: ${allowed} (--help)\n`);
    process.exit(2);
  }
})();
if (args.help) {
  // The usage is this file's header comment, written once.
  const header = readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0] ?? '';
  process.stdout.write(`${header.replace(/^\/\*\*\n?/, '').replace(/^ \* ?/gm, '')}\n`);
  process.exit(0);
}
const AGENTS = Number(args.agents);
const COMPARE = args.mode === 'compare';
const EXTERNAL = args.mode === 'external';
const REPLICAS = Number(args.replicas);
if (args.mode !== 'embedded' && !EXTERNAL && !COMPARE)
  throw new Error(`--mode must be embedded, external or compare, got '${args.mode}'`);
if (REPLICAS > 1 && !(EXTERNAL && args['database-url']))
  throw new Error('--replicas > 1 needs --mode external and --database-url (replicas share PostgreSQL)');
const DURATION_S = Number(args.duration);
const BATCH = Number(args.batch);
const MAX = args.rate === 'max';
const SATURATION = args.saturation === undefined ? null : Number(args.saturation);
if (args.overload !== undefined && SATURATION === null)
  throw new Error('--overload F needs --saturation S (samples/s measured with --rate max)');
const OFFERED =
  args.overload !== undefined
    ? Number(args.overload) * SATURATION!
    : args.rate !== undefined && !MAX
      ? Number(args.rate)
      : null;
const INTERVAL_MS = MAX ? null : OFFERED !== null ? (AGENTS * BATCH * 1000) / OFFERED : Number(args.interval) * 1000;
const STORM = args.storm;
const BACKLOG = Number(args.backlog ?? (STORM ? 30 : 0));
const RAMP_MS = STORM ? 0 : Number(args.ramp ?? Math.max(2, AGENTS / 200)) * 1000;
const WARMUP_MS = Number(args.warmup) * 1000;
const WORKERS = Number(args.workers ?? Math.min(4, Math.max(2, Math.ceil(AGENTS / 500))));
for (const [k, v] of Object.entries({
  agents: AGENTS,
  duration: DURATION_S,
  batch: BATCH,
  workers: WORKERS,
  inflight: Number(args.inflight),
  replicas: REPLICAS,
})) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer, got '${v}'`);
}
if (INTERVAL_MS !== null && !(INTERVAL_MS > 0))
  throw new Error(`--interval/--rate must be positive or 'max', got '${args.rate ?? args.interval}'`);
if (!Number.isInteger(BACKLOG) || BACKLOG < 0) throw new Error(`--backlog must be an integer >= 0, got '${BACKLOG}'`);
const say = (s: string) => {
  if (!args.json) process.stderr.write(`${s}\n`);
};
const nowMs = () => performance.timeOrigin + performance.now();
const round1 = (x: number) => Math.round(x * 10) / 10;

const ROOT = join(import.meta.dirname, '..');
/** Newest modification time of the .ts files under `dir` (tests and dependencies left out). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    if (e.parentPath.includes('node_modules')) continue;
    newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}
/**
 * The control plane as deployed (the compiled bundle, dist/control-plane) when it is built and not older than the
 * sources; else, or with `--source`, the development launcher (tsx), said on stderr.
 */
const CP_ENTRY = (() => {
  const built = join(ROOT, 'dist', 'control-plane', 'homeostat.mjs');
  const launcher = join(ROOT, 'control-plane', 'cli', 'homeostat.mjs');
  if (args.source) return { bin: launcher, kind: 'source' as const };
  if (!existsSync(built)) {
    process.stderr.write('bench:link: dist/control-plane not built (npm run build); measuring the sources via tsx\n');
    return { bin: launcher, kind: 'source' as const };
  }
  const builtAt = statSync(built).mtimeMs;
  if (Math.max(newestSource(join(ROOT, 'control-plane')), newestSource(join(ROOT, 'contract'))) > builtAt) {
    process.stderr.write('bench:link: dist/control-plane is older than its sources; measuring the sources via tsx\n');
    return { bin: launcher, kind: 'source' as const };
  }
  return { bin: built, kind: 'compiled' as const };
})();
const BIN = CP_ENTRY.bin;
const AGENTS_JS = join(import.meta.dirname, 'link-agents.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-bench-link-'));
const children: ChildProcess[] = [];

function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: rssKb / 1024 };
}

/** Main thread's time runnable but waiting for a CPU (run-queue delay: other load on the machine), in s. */
function schedWaitS(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const nextMessage = <T>(cp: ChildProcess, type: string) =>
  new Promise<T>((resolve, reject) => {
    const onMsg = (m: { type: string }) => {
      if (m.type === type) {
        cp.off('message', onMsg);
        cp.off('exit', onExit);
        resolve(m as T);
      }
    };
    const onExit = (c: number | null) => reject(new Error(`load generator exited ${c} before '${type}'`));
    cp.on('message', onMsg);
    cp.once('exit', onExit);
  });

/** Enrolls every agent through `POST /api/enroll` (a few requests at a time, as hosts being installed would). */
async function enrollOverHttp(httpUrl: string, token: string): Promise<{ id: string; secret: string }[]> {
  const out: { id: string; secret: string }[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < AGENTS) {
      const i = next++;
      const res = await fetch(`${httpUrl}/api/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, hostname: `bench-${String(i).padStart(6, '0')}.bench`, agentVersion: 'bench' }),
      });
      if (res.status !== 201) throw new Error(`enroll: HTTP ${res.status} ${await res.text()}`);
      const r = (await res.json()) as { agentId: string; secret: string };
      out.push({ id: r.agentId, secret: r.secret });
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  return out;
}

async function main() {
  const databaseUrl = args['database-url'];
  const body = await realSampleBody();
  const sample = args['sample-bytes'] ? resizeSample(body, Number(args['sample-bytes'])) : body;
  const { ts: _ts, ...rest } = sample;
  const sampleRest = JSON.stringify(rest).slice(1);
  const bytesPerSample = sampleBytes(sample);
  say(`sample: ${Object.keys(sample.features).length} features, ${bytesPerSample} bytes`);

  const store = await openStore(
    databaseUrl
      ? { provider: 'postgres', url: databaseUrl }
      : { provider: 'sqlite', file: join(dataDir, 'homeostat.db') },
  );
  const run = Date.now().toString(36);
  const tokenId = `et-bench-${run}`;
  const tokenSecret = `bench-token-secret-${run}`;
  await store.tokens.create({
    id: tokenId,
    tokenHash: hashRandomSecret(tokenSecret),
    labels: { bench: 'link' },
    maxUses: AGENTS,
    expiresAt: new Date(Date.now() + 6 * 3_600_000),
    createdBy: null,
  });
  let agents: { id: string; secret: string }[] = [];
  const sharedSecret = 'bench-secret-shared-by-all-agents';
  if (args['fast-enroll']) {
    const secretHash = hashRandomSecret(sharedSecret);
    for (let i = 0; i < AGENTS; i++) {
      const id = `bench-${run}-${String(i).padStart(6, '0')}`;
      await store.tokens.redeem(
        tokenId,
        new Date(),
        { id, hostname: `${id}.bench`, labels: {}, agentVersion: 'bench' },
        secretHash,
      );
      agents.push({ id, secret: sharedSecret });
    }
  }
  await store.close();

  let mosquitto: TestMosquitto | null = null;
  if (EXTERNAL) {
    // --fast-enroll: the agents' clients and roles go into Mosquitto's file before it starts (one write, not one
    // rewrite of the whole file per dynamic-security command).
    const seed = args['fast-enroll']
      ? {
          clients: agents.map(({ id, secret }) => ({
            username: id,
            clientid: id,
            password: secret,
            roles: [{ rolename: agentRole(id) }],
          })),
          roles: agents.map(({ id }) => ({ rolename: agentRole(id), acls: agentAcls(id) })),
        }
      : undefined;
    mosquitto = await startMosquitto(seed);
    children.push(mosquitto.process);
    say(`mosquitto pid ${mosquitto.process.pid} at ${mosquitto.url}`);
  }

  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const startReplica = async (inspect = false) => {
    const child = spawn(
      process.execPath,
      [
        ...prof,
        // The embedded broker's memory is also read after a full GC, through the inspector (closed before the window).
        ...(inspect ? ['--inspect=127.0.0.1:0'] : []),
        BIN,
        'server',
        '--data-dir',
        dataDir,
        '--http-port',
        '0',
        '--mqtt-port',
        '0',
        '--ws-port',
        '0',
        '--log-level',
        'warn',
        ...(databaseUrl ? ['--database-url', databaseUrl] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          // every simulated agent connects from 127.0.0.1
          HOMEOSTAT_BROKER_MAX_CONNECTIONS: '1000000',
          HOMEOSTAT_BROKER_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
          ...(mosquitto
            ? {
                HOMEOSTAT_BROKER_MODE: 'external',
                HOMEOSTAT_BROKER_URL: mosquitto.url,
                HOMEOSTAT_BROKER_USERNAME: mosquitto.admin.username,
                HOMEOSTAT_BROKER_PASSWORD: mosquitto.admin.password,
                HOMEOSTAT_BROKER_DYNSEC: 'true',
              }
            : {}),
        },
      },
    );
    children.push(child);
    const cdpUrl = inspect ? inspectorUrl(child.stderr!) : null;
    child.stderr!.resume();
    const urls = await new Promise<{ mqttUrl: string; httpUrl: string }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
      child.once('exit', (c) => reject(new Error(`control plane exited ${c}`)));
    });
    return { child, urls, cdpUrl };
  };
  const replicas: Awaited<ReturnType<typeof startReplica>>[] = [];
  // one after the other: the first migrates
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(!EXTERNAL && i === 0));
  const cdp = replicas[0]!.cdpUrl ? await inspector(await replicas[0]!.cdpUrl) : null;
  const cp = replicas[0]!.child;
  const urls = replicas[0]!.urls;
  const enrollStart = nowMs();
  if (!args['fast-enroll']) {
    say(`enrolling ${AGENTS} agents over HTTP…`);
    agents = await enrollOverHttp(urls.httpUrl, formatBearer(ENROLLMENT_TOKEN_PREFIX, tokenId, tokenSecret));
  }
  const enrollS = (nowMs() - enrollStart) / 1000;
  const offered =
    INTERVAL_MS === null ? 'max (closed loop)' : `${Math.round((AGENTS * BATCH * 1000) / INTERVAL_MS)} samples/s`;
  say(
    `control plane pid ${replicas.map((r) => r.child.pid).join(', ')} (${args.mode}) at ${urls.mqttUrl}; enrolled in ${enrollS.toFixed(1)} s; ${WORKERS} load generators connecting ${AGENTS} agents ${STORM ? `at once, ${BACKLOG} records backlog each` : `over ${RAMP_MS / 1000} s`}; offered ${offered}`,
  );

  // The broker process: Mosquitto, or the (first) control plane that embeds Aedes.
  const brokerPid = mosquitto ? mosquitto.process.pid! : cp.pid!;
  const brokerIdle = procStats(brokerPid);
  const idleAfterGc = await cdp?.memory();
  const peak = { broker: brokerIdle.rssMb, replicas: replicas.map((r) => procStats(r.child.pid!).rssMb) };
  const sampler = setInterval(() => {
    peak.broker = Math.max(peak.broker, procStats(brokerPid).rssMb);
    replicas.forEach((r, i) => {
      peak.replicas[i] = Math.max(peak.replicas[i]!, procStats(r.child.pid!).rssMb);
    });
  }, 250);

  const workers = Array.from({ length: WORKERS }, () => {
    const w = fork(AGENTS_JS, [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(w);
    return w;
  });
  const connectStart = nowMs();
  const connected = workers.map((w) => nextMessage<{ ms: number }>(w, 'connected'));
  const recovered = workers.map((w) => nextMessage<{ ms: number }>(w, 'recovered'));
  workers.forEach((w, k) => {
    const cfg: WorkerConfig = {
      mqttUrl: urls.mqttUrl,
      agents: agents.filter((_, i) => i % WORKERS === k),
      rampMs: RAMP_MS,
      intervalMs: INTERVAL_MS,
      inflight: Number(args.inflight),
      batch: BATCH,
      sampleRest,
      backlog: BACKLOG,
      windowRecords: 2000,
      windowMessages: Number(args['window-messages']),
      ackTimeoutMs: 30_000,
    };
    w.send({ type: 'start', ...cfg });
  });
  await Promise.all(connected);
  const connectS = (nowMs() - connectStart) / 1000;
  const brokerConnected = procStats(brokerPid);
  const connectedAfterGc = await cdp?.memory();
  cdp?.close();
  const perConnectionAfterGc = (k: keyof Memory) =>
    idleAfterGc && connectedAfterGc ? round1((connectedAfterGc[k] - idleAfterGc[k]) / 1024 / AGENTS) : null;
  let recoveryS: number | null = null;
  let stormPeak: { brokerRssMb: number; replicasRssMb: number[] } | null = null;
  if (BACKLOG > 0) {
    await Promise.all(recovered);
    recoveryS = (nowMs() - connectStart) / 1000;
    stormPeak = { brokerRssMb: Math.round(peak.broker), replicasRssMb: peak.replicas.map(Math.round) };
    say(
      `${AGENTS} agents connected in ${connectS.toFixed(1)} s; every backlog record (${AGENTS * BACKLOG}) acked after ${recoveryS.toFixed(1)} s`,
    );
  }
  say(
    `${AGENTS} agents connected in ${connectS.toFixed(1)} s; warming up ${WARMUP_MS / 1000} s, measuring ${DURATION_S} s…`,
  );

  const windowStart = nowMs() + WARMUP_MS;
  const windowEnd = windowStart + DURATION_S * 1000;
  const results = workers.map((w) => nextMessage<WorkerResult>(w, 'result'));
  for (const w of workers) w.send({ type: 'go', windowStart, windowEnd, drainMs: Number(args.drain) * 1000 });
  await new Promise((r) => setTimeout(r, Math.max(0, windowStart - nowMs())));
  const waitBefore = schedWaitS(cp.pid!);
  const replicasBefore = replicas.map((r) => procStats(r.child.pid!));
  const brokerBefore = procStats(brokerPid);
  const genBefore = workers.map((w) => procStats(w.pid!).cpuS).reduce((a, b) => a + b, 0);
  // /api/metrics must keep answering under load: polled every 2 s with a 5 s deadline.
  const creds = (() => {
    try {
      return JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')) as { apiToken: string };
    } catch {
      return null;
    }
  })();
  const metricsProbe = { answered: 0, failed: 0, maxMs: 0 };
  const probe = creds
    ? setInterval(() => {
        const t = nowMs();
        fetch(`${urls.httpUrl}/api/metrics`, {
          headers: { authorization: `Bearer ${creds.apiToken}` },
          signal: AbortSignal.timeout(5000),
        })
          .then(async (res) => {
            await res.arrayBuffer();
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            metricsProbe.answered++;
            metricsProbe.maxMs = Math.max(metricsProbe.maxMs, nowMs() - t);
          })
          .catch(() => {
            metricsProbe.failed++;
          });
      }, 2000)
    : null;
  await new Promise((r) => setTimeout(r, Math.max(0, windowEnd - nowMs())));
  if (probe) clearInterval(probe);
  const waitS = schedWaitS(cp.pid!) - waitBefore;
  const replicasCpu = replicas.map((r, i) => procStats(r.child.pid!).cpuS - replicasBefore[i]!.cpuS);
  const brokerCpu = procStats(brokerPid).cpuS - brokerBefore.cpuS;
  const genCpu = workers.map((w) => procStats(w.pid!).cpuS).reduce((a, b) => a + b, 0) - genBefore;
  const load = loadavg();
  const wall = DURATION_S;
  const rs = await Promise.all(results);
  clearInterval(sampler);

  // Un-acked samples count with their age at the end of the drain (a lower bound), so a stall cannot hide.
  const all = new Float64Array(rs.reduce((n, r) => n + r.latencies.length + r.unackedAges.length, 0));
  let o = 0;
  for (const r of rs) {
    all.set(r.latencies, o);
    o += r.latencies.length;
    all.set(r.unackedAges, o);
    o += r.unackedAges.length;
  }
  all.sort();
  const connectMs = Float64Array.from(rs.flatMap((r) => [...r.connectMs])).sort();
  const sum = (f: (r: WorkerResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const clientErrors: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.errors)) clientErrors[k] = (clientErrors[k] ?? 0) + v;
  const messages = sum((r) => r.messagesInWindow);
  const committed = sum((r) => r.ackedInWindow);
  const cpCpu = replicasCpu.reduce((a, b) => a + b, 0);
  const result = {
    mode: args.mode,
    controlPlane: CP_ENTRY.kind,
    agents: AGENTS,
    replicaCount: REPLICAS,
    database: databaseUrl ? 'postgres' : 'sqlite',
    sampleBytes: bytesPerSample,
    features: Object.keys(sample.features).length,
    offeredSamplesPerSec: INTERVAL_MS === null ? 'max' : Math.round((AGENTS * BATCH * 1000) / INTERVAL_MS),
    createdSamplesPerSec: Math.round(sum((r) => r.createdInWindow) / wall),
    samplesPerSec: Math.round(committed / wall),
    ...(SATURATION !== null
      ? { saturation: SATURATION, goodputOfSaturation: round1((100 * committed) / wall / SATURATION) / 100 }
      : {}),
    messagesPerSec: Math.round(messages / wall),
    latencyP50Ms: round1(percentile(all, 50)),
    latencyP99Ms: round1(percentile(all, 99)),
    latencyMaxMs: round1(all.length ? all[all.length - 1]! : NaN),
    unackedAfterDrain: sum((r) => r.unacked),
    enrollS: round1(enrollS),
    connectS: round1(connectS),
    connectP50Ms: Math.round(percentile(connectMs, 50)),
    connectP99Ms: Math.round(percentile(connectMs, 99)),
    ...(recoveryS !== null
      ? { storm: { backlogPerAgent: BACKLOG, recoveryS: round1(recoveryS), peak: stormPeak } }
      : {}),
    errors: {
      reconnects: sum((r) => r.reconnects),
      ackTimeouts: sum((r) => r.ackTimeouts),
      busyRefusals: sum((r) => r.busy),
      busyRecords: sum((r) => r.busyRecords),
      client: clientErrors,
      metricsProbeFailed: metricsProbe.failed,
    },
    metricsProbe,
    replicas: replicas.map((_, i) => ({
      cpuPercent: round1((replicasCpu[i]! / wall) * 100),
      rssMb: Math.round(peak.replicas[i]!),
    })),
    controlPlaneCpuMsPer1000Samples: committed ? Math.round((cpCpu * 1e6) / committed) : null,
    broker: {
      process: mosquitto ? 'mosquitto' : 'control plane (Aedes embedded)',
      cpuPercent: round1((brokerCpu / wall) * 100),
      rssMb: Math.round(peak.broker),
      cpuMsPer1000Messages: messages ? round1((brokerCpu * 1e6) / messages) : null,
      memoryPerConnectionKb: round1(((brokerConnected.rssMb - brokerIdle.rssMb) * 1024) / AGENTS),
      // Embedded: growth after a full GC (garbage and V8's heap sizing are not a connection's cost), from a cold
      // start, so it includes what the first connections create once (bench/broker-memory.ts measures it warm).
      memoryPerConnectionAfterGcKb: cdp
        ? {
            heapUsed: perConnectionAfterGc('heapUsed'),
            external: perConnectionAfterGc('external'),
            rss: perConnectionAfterGc('rss'),
          }
        : null,
    },
    loadGeneratorCpuPercent: Math.round((genCpu / wall) * 100),
    mainThreadWaitedForCpuPercent: Math.round((waitS / wall) * 100),
    loadavg: load.map((x) => Math.round(x * 100) / 100),
  };
  for (const r of replicas) {
    r.child.kill('SIGTERM');
    await new Promise((res) => r.child.once('exit', res));
  }
  await mosquitto?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    say(
      `connect (incl. subscribe) p50 ${result.connectP50Ms} ms, p99 ${result.connectP99Ms} ms; errors ${JSON.stringify(result.errors)}`,
    );
    say(
      `created in window ${result.createdSamplesPerSec} samples/s in ${result.messagesPerSec} messages/s; un-acked after drain ${result.unackedAfterDrain}`,
    );
    say(
      `committed ${result.samplesPerSec} samples/s; latency created→ack p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, max ${result.latencyMaxMs} ms`,
    );
    say(
      `replicas: ${result.replicas.map((r) => `CPU ${r.cpuPercent}% RSS ${r.rssMb} MB`).join('; ')}; ${result.controlPlaneCpuMsPer1000Samples} ms CPU per 1,000 samples; main thread waited for a CPU ${result.mainThreadWaitedForCpuPercent}% of the window`,
    );
    say(
      `broker (${result.broker.process}): CPU ${result.broker.cpuPercent}%, RSS ${result.broker.rssMb} MB, ${result.broker.cpuMsPer1000Messages} ms CPU per 1,000 messages, ${result.broker.memoryPerConnectionKb} KB per connection (after GC: ${JSON.stringify(result.broker.memoryPerConnectionAfterGcKb)})`,
    );
    say(
      `/api/metrics: ${metricsProbe.answered} answered (max ${Math.round(metricsProbe.maxMs)} ms), ${metricsProbe.failed} failed; load generators ${result.loadGeneratorCpuPercent}% CPU over ${WORKERS} processes; loadavg ${result.loadavg.join(' ')}`,
    );
  }
}

/** One run of this benchmark in a child process with `--mode m --json`, every other option as given. */
function runMode(mode: 'embedded' | 'external'): Promise<Record<string, unknown>> {
  const rest: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json' || argv[i]!.startsWith('--mode=')) continue;
    if (argv[i] === '--mode') {
      i++;
      continue;
    }
    rest.push(argv[i]!);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, ...rest, '--mode', mode, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`--mode ${mode} run exited ${code}`));
      resolve(JSON.parse(out) as Record<string, unknown>);
    });
  });
}

/** `--mode compare`: the embedded and the external run back to back, and their brokers side by side. */
async function compare() {
  rmSync(dataDir, { recursive: true, force: true }); // each run makes its own
  say('embedded run…');
  const embedded = await runMode('embedded');
  say('external run…');
  const external = await runMode('external');
  type BrokerFigures = {
    process: string;
    cpuMsPer1000Messages: number | null;
    memoryPerConnectionKb: number;
    rssMb: number;
  };
  const e = embedded.broker as BrokerFigures;
  const x = external.broker as BrokerFigures;
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? round1(a / b) : null);
  const result = {
    mode: 'compare',
    brokers: {
      embedded: { ...e, loadavg: embedded.loadavg },
      external: { ...x, loadavg: external.loadavg },
      embeddedOverExternal: {
        cpuPerMessage: ratio(e.cpuMsPer1000Messages, x.cpuMsPer1000Messages),
        memoryPerConnection: ratio(e.memoryPerConnectionKb, x.memoryPerConnectionKb),
      },
    },
    embedded,
    external,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    for (const [m, b] of [
      ['embedded', result.brokers.embedded],
      ['external', result.brokers.external],
    ] as const)
      say(
        `${m}: ${b.process}: ${b.cpuMsPer1000Messages} ms CPU per 1,000 messages, ${b.memoryPerConnectionKb} KB per connection, RSS ${b.rssMb} MB (loadavg ${String(b.loadavg)})`,
      );
  if (!args.json)
    say(
      `embedded / external: ${result.brokers.embeddedOverExternal.cpuPerMessage ?? 'n/a'}x CPU per message, ${result.brokers.embeddedOverExternal.memoryPerConnection ?? 'n/a'}x memory per connection`,
    );
}

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
(COMPARE ? compare() : main()).catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
