/**
 * Link benchmark: N simulated agents (real mqtt.js clients over loopback, spread over several load-generator
 * processes: bench/link-agents.ts) publish telemetry into a control plane running as its own child process
 * (`homeostat server`), so its CPU and RSS are measured apart from the load generator.
 *
 *   npm run bench:link -- --agents 1000 [--duration 20] [--interval 1] [--rate <samples/s>|max] [--json]
 *     --interval s     each agent publishes one message of --batch samples every s seconds (default 1: 1000 agents =
 *                      1000 samples/s offered); --rate N sets the interval so the fleet offers N samples/s
 *     --rate max       closed loop: every agent keeps --inflight messages un-acked (finds the saturation point)
 *     --ramp s         connects are spread at random over s seconds (default agents/200, at least 2)
 *     --warmup s       after every agent is connected, publish this long before measuring (default 3)
 *     --workers n      load-generator processes (default 2; 1 per 500 agents, at most 4)
 *     --database-url   postgres://… to measure PostgreSQL instead of the default SQLite file
 *     --cpu-prof dir   run the control plane with --cpu-prof, profile written to dir
 *     --scrypt-secrets store the agents' secrets as scrypt hashes (how agents enrolled before 2026-11-22 are stored)
 *     --mode m         embedded (default: Aedes in the control plane) or external: a private Mosquitto 2 with its
 *                      dynamic-security plugin (one client + role per agent, created here before the run), the control
 *                      plane(s) as its clients (docs/scale-out.md)
 *     --replicas n     external mode: n control-plane processes sharing the database (n > 1 needs --database-url)
 *
 * Agents are enrolled directly through the repository (one shared secret hash, but each agent still costs the
 * control plane one verification at its first connect, as in a real fleet restart: a fast salted HMAC, as enrollment
 * stores agent secrets; `--scrypt-secrets` stores scrypt hashes, as enrollment did before, to compare connect storms).
 * samplesPerSec = samples whose ack (sent only after commit) arrived inside the window / window length.
 * Latency = publish → ack received, over samples published inside the window; samples still un-acked after the
 * drain count with their age at the end (a lower bound), so a stall cannot hide as a missing sample.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openStore } from '../control-plane/store/prisma-store.ts';
import { hashRandomSecret, hashSecret } from '../control-plane/keys/secrets.ts';
import type { WorkerConfig, WorkerResult } from './link-agents.ts';
import { startMosquitto, type TestMosquitto } from '../test/support/mosquitto.ts';
import mqtt from 'mqtt';
import { agentAcls, agentRole, createDynsec } from '../control-plane/broker/dynsec.ts';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    duration: { type: 'string', default: '20' },
    interval: { type: 'string', default: '1' },
    rate: { type: 'string' },
    batch: { type: 'string', default: '1' },
    inflight: { type: 'string', default: '8' },
    ramp: { type: 'string' },
    warmup: { type: 'string', default: '3' },
    workers: { type: 'string' },
    'database-url': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'scrypt-secrets': { type: 'boolean', default: false },
    mode: { type: 'string', default: 'embedded' },
    replicas: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const AGENTS = Number(args.agents);
const EXTERNAL = args.mode === 'external';
const REPLICAS = Number(args.replicas);
if (args.mode !== 'embedded' && !EXTERNAL) throw new Error(`--mode must be embedded or external, got '${args.mode}'`);
if (REPLICAS > 1 && !(EXTERNAL && args['database-url']))
  throw new Error('--replicas > 1 needs --mode external and --database-url (replicas share PostgreSQL)');
const SCRYPT_SECRETS = args['scrypt-secrets'];
const DURATION_S = Number(args.duration);
const BATCH = Number(args.batch);
const MAX = args.rate === 'max';
const INTERVAL_MS = MAX
  ? null
  : args.rate !== undefined
    ? (AGENTS * BATCH * 1000) / Number(args.rate)
    : Number(args.interval) * 1000;
const RAMP_MS = Number(args.ramp ?? Math.max(2, AGENTS / 200)) * 1000;
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
const say = (s: string) => {
  if (!args.json) process.stderr.write(`${s}\n`);
};
const nowMs = () => performance.timeOrigin + performance.now();

const BIN = join(import.meta.dirname, '..', 'control-plane', 'cli', 'homeostat.mjs');
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

/** Main thread's time on CPU and time runnable but waiting for a CPU (run-queue delay: other load on the machine). */
function schedStats(pid: number): { runS: number; waitS: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { runS: run! / 1e9, waitS: wait! / 1e9 };
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

async function main() {
  const databaseUrl = args['database-url'];
  say(`enrolling ${AGENTS} agents (${databaseUrl ? 'postgres' : `sqlite in ${dataDir}`})…`);
  const secret = 'bench-secret-shared-by-all-agents';
  const store = await openStore(
    databaseUrl
      ? { provider: 'postgres', url: databaseUrl }
      : { provider: 'sqlite', file: join(dataDir, 'homeostat.db') },
  );
  // as enrollment stores them (control-plane/keys/secrets.ts); --scrypt-secrets: as agents enrolled before 2026-11-22
  const secretHash = SCRYPT_SECRETS ? await hashSecret(secret) : hashRandomSecret(secret);
  const run = Date.now().toString(36);
  const tokenId = `et-bench-${run}`;
  await store.tokens.create({
    id: tokenId,
    tokenHash: 'unused',
    labels: { bench: 'link' },
    maxUses: AGENTS,
    expiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  const ids: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const id = `bench-${run}-${String(i).padStart(6, '0')}`;
    await store.tokens.redeem(
      tokenId,
      new Date(),
      { id, hostname: `${id}.bench`, labels: {}, agentVersion: 'bench' },
      secretHash,
    );
    ids.push(id);
  }
  await store.close();

  let mosquitto: TestMosquitto | null = null;
  if (EXTERNAL) {
    mosquitto = await startMosquitto();
    children.push(mosquitto.process);
    say(`mosquitto pid ${mosquitto.process.pid} at ${mosquitto.url}; creating ${AGENTS} dynamic-security clients…`);
    const admin = await mqtt.connectAsync(mosquitto.url, { ...mosquitto.admin, protocolVersion: 5 });
    const dynsec = await createDynsec(admin, 120_000);
    for (let i = 0; i < ids.length; i += 250) {
      const cmds = ids.slice(i, i + 250).flatMap((id) => [
        { command: 'createRole', rolename: agentRole(id), acls: agentAcls(id) },
        { command: 'createClient', username: id, clientid: id, password: secret, roles: [{ rolename: agentRole(id) }] },
      ]);
      const errors = (await dynsec.send(cmds)).filter(Boolean);
      if (errors.length) throw new Error(`dynamic security: ${errors[0]}`);
    }
    dynsec.close();
    await admin.endAsync();
  }

  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const startReplica = async () => {
    const child = spawn(
      process.execPath,
      [
        ...prof,
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
    child.stderr!.resume();
    const urls = await new Promise<{ mqttUrl: string }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
      child.once('exit', (c) => reject(new Error(`control plane exited ${c}`)));
    });
    return { child, urls };
  };
  const replicas: Awaited<ReturnType<typeof startReplica>>[] = [];
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica()); // one after the other: the first migrates
  const cp = replicas[0]!.child;
  const urls = replicas[0]!.urls;
  const offered =
    INTERVAL_MS === null ? 'max (closed loop)' : `${Math.round((AGENTS * BATCH * 1000) / INTERVAL_MS)} samples/s`;
  say(
    `control plane pid ${replicas.map((r) => r.child.pid).join(', ')} (${args.mode}) at ${urls.mqttUrl}; ${WORKERS} load generators connecting ${AGENTS} agents over ${RAMP_MS / 1000} s; offered ${offered}`,
  );

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
  workers.forEach((w, k) => {
    const cfg: WorkerConfig = {
      mqttUrl: urls.mqttUrl,
      ids: ids.filter((_, i) => i % WORKERS === k),
      secret,
      rampMs: RAMP_MS,
      intervalMs: INTERVAL_MS,
      inflight: Number(args.inflight),
      batch: BATCH,
    };
    w.send({ type: 'start', ...cfg });
  });
  await Promise.all(connected);
  const connectS = (nowMs() - connectStart) / 1000;
  say(
    `${AGENTS} agents connected in ${connectS.toFixed(1)} s; warming up ${WARMUP_MS / 1000} s, measuring ${DURATION_S} s…`,
  );

  const windowStart = nowMs() + WARMUP_MS;
  const windowEnd = windowStart + DURATION_S * 1000;
  const results = workers.map((w) => nextMessage<WorkerResult>(w, 'result'));
  for (const w of workers) w.send({ type: 'go', windowStart, windowEnd, drainMs: 10_000 });
  await new Promise((r) => setTimeout(r, Math.max(0, windowStart - nowMs())));
  const before = procStats(cp.pid!);
  const schedBefore = schedStats(cp.pid!);
  const replicasBefore = replicas.map((r) => procStats(r.child.pid!));
  const brokerBefore = mosquitto ? procStats(mosquitto.process.pid!) : null;
  const peakReplicaRss = replicasBefore.map((r) => r.rssMb);
  let peakBrokerRss = brokerBefore?.rssMb ?? 0;
  const genBefore = workers.map((w) => procStats(w.pid!).cpuS).reduce((a, b) => a + b, 0);
  let peakRss = before.rssMb;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procStats(cp.pid!).rssMb);
    replicas.forEach((r, i) => {
      peakReplicaRss[i] = Math.max(peakReplicaRss[i]!, procStats(r.child.pid!).rssMb);
    });
    if (mosquitto) peakBrokerRss = Math.max(peakBrokerRss, procStats(mosquitto.process.pid!).rssMb);
  }, 250);
  await new Promise((r) => setTimeout(r, Math.max(0, windowEnd - nowMs())));
  const after = procStats(cp.pid!);
  const schedAfter = schedStats(cp.pid!);
  const replicasCpu = replicas.map((r, i) => procStats(r.child.pid!).cpuS - replicasBefore[i]!.cpuS);
  const brokerCpu = mosquitto && brokerBefore ? procStats(mosquitto.process.pid!).cpuS - brokerBefore.cpuS : null;
  const genCpu = workers.map((w) => procStats(w.pid!).cpuS).reduce((a, b) => a + b, 0) - genBefore;
  clearInterval(sampler);
  const wall = DURATION_S;
  const rs = await Promise.all(results);

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
  const sum = (f: (r: WorkerResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const result = {
    agents: AGENTS,
    samplesPerSec: Math.round(sum((r) => r.ackedInWindow) / wall),
    latencyP50Ms: Math.round(percentile(all, 50) * 10) / 10,
    latencyP99Ms: Math.round(percentile(all, 99) * 10) / 10,
    cpuPercent: Math.round(((after.cpuS - before.cpuS) / wall) * 1000) / 10,
    rssMb: Math.round(Math.max(peakRss, after.rssMb)),
    mode: args.mode,
    connectS: Math.round(connectS * 10) / 10,
    replicas: replicas.map((_, i) => ({
      cpuPercent: Math.round((replicasCpu[i]! / wall) * 1000) / 10,
      rssMb: Math.round(peakReplicaRss[i]!),
    })),
    ...(brokerCpu !== null
      ? { broker: { cpuPercent: Math.round((brokerCpu / wall) * 1000) / 10, rssMb: Math.round(peakBrokerRss) } }
      : {}),
  };
  for (const r of replicas) {
    r.child.kill('SIGTERM');
    await new Promise((res) => r.child.once('exit', res));
  }
  await mosquitto?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const connectMs = Float64Array.from(rs.flatMap((r) => [...r.connectMs])).sort();
    say(
      `connect (incl. subscribe) p50 ${percentile(connectMs, 50).toFixed(0)} ms, p99 ${percentile(connectMs, 99).toFixed(0)} ms; reconnects ${sum((r) => r.reconnects)}`,
    );
    say(
      `published in window ${sum((r) => r.publishedInWindow)} samples (${Math.round(sum((r) => r.publishedInWindow) / wall)}/s); un-acked after drain ${sum((r) => r.unacked)}`,
    );
    say(
      `ingested ${result.samplesPerSec} samples/s; latency publish→ack p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms`,
    );
    say(
      `control plane: CPU ${result.cpuPercent}% of one core, RSS ${result.rssMb} MB; main thread waited for a CPU ${(((schedAfter.waitS - schedBefore.waitS) / wall) * 100).toFixed(0)}% of the window (machine contention)`,
    );
    if (replicas.length > 1)
      say(`replicas: ${result.replicas.map((r) => `CPU ${r.cpuPercent}% RSS ${r.rssMb} MB`).join('; ')}`);
    if (result.broker) say(`mosquitto: CPU ${result.broker.cpuPercent}% of one core, RSS ${result.broker.rssMb} MB`);
    say(`load generators: CPU ${((genCpu / wall) * 100).toFixed(0)}% of one core over ${WORKERS} processes`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
