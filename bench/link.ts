/**
 * Link benchmark: N simulated agents (real mqtt.js clients over loopback) publish telemetry into a control plane
 * running as a child process (`homeostat server`), so its CPU and RSS are measured apart from the load generator.
 *
 *   npm run bench:link -- --agents 1000 [--duration 20] [--interval-ms 1000] [--batch 1] [--json]
 *
 * Agents are enrolled directly through the repository (one shared secret hash: enrollment's scrypt is not what is
 * measured). Latency = publish → `ack` command received, i.e. committed in the DB and acked. Throughput = samples
 * acked per second over the measurement window (after connect and a 2 s warm-up).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { openStore } from '../control-plane/store/prisma-store.ts';
import { hashSecret } from '../control-plane/keys/secrets.ts';
import { agentTopic, commandTopic } from '../control-plane/protocol/index.ts';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    duration: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '1000' },
    batch: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const AGENTS = Number(args.agents);
const DURATION_S = Number(args.duration);
const INTERVAL = Number(args['interval-ms']);
const BATCH = Number(args.batch);
const say = (s: string) => { if (!args.json) process.stderr.write(`${s}\n`); };

const BIN = join(import.meta.dirname, '..', 'control-plane', 'cli', 'homeostat.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-bench-link-'));

function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: rssKb / 1024 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  say(`enrolling ${AGENTS} agents in ${dataDir}…`);
  const secret = 'bench-secret-shared-by-all-agents';
  const store = await openStore({ provider: 'sqlite', file: join(dataDir, 'homeostat.db') });
  const secretHash = await hashSecret(secret);
  await store.tokens.create({ id: 'et-bench', tokenHash: 'unused', labels: { bench: 'link' }, maxUses: AGENTS, expiresAt: new Date(Date.now() + 3_600_000), createdBy: null });
  const ids: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const id = `bench-${String(i).padStart(6, '0')}`;
    await store.tokens.redeem('et-bench', new Date(), { id, hostname: `${id}.bench`, labels: {}, agentVersion: 'bench' }, secretHash);
    ids.push(id);
  }
  await store.close();

  const child = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  const urls = await new Promise<{ mqttUrl: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l)));
    child.once('exit', (c) => reject(new Error(`control plane exited ${c}`)));
  });
  say(`control plane pid ${child.pid} at ${urls.mqttUrl}; connecting…`);

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let measuring = false;
  let acked = 0;
  const clients: MqttClient[] = [];
  const connectOne = (id: string) => new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(urls.mqttUrl, { clientId: id, username: id, password: secret, reconnectPeriod: 1000, connectTimeout: 60_000, clean: true });
    c.once('connect', async () => {
      c.on('message', (_t, payload) => {
        const cmd = JSON.parse(payload.toString()) as { type: string; ranges?: [number, number][] };
        if (cmd.type !== 'ack' || !cmd.ranges) return;
        const now = performance.now();
        for (const [a, b] of cmd.ranges) for (let s = a; s <= b; s++) {
          const k = `${id}:${s}`;
          const t0 = sentAt.get(k);
          if (t0 === undefined) continue;
          sentAt.delete(k);
          if (measuring) { latencies.push(now - t0); acked++; }
        }
      });
      await c.subscribeAsync(commandTopic(id), { qos: 1 });
      resolve(c);
    });
    c.once('error', reject);
  });
  for (let i = 0; i < ids.length; i += 50) clients.push(...(await Promise.all(ids.slice(i, i + 50).map(connectOne))));
  say(`${clients.length} agents connected; warming up 2 s, measuring ${DURATION_S} s…`);

  const seqs = new Map<string, number>();
  const timers = clients.map((c, i) => {
    const id = ids[i]!;
    const tick = () => {
      const base = seqs.get(id) ?? 0;
      const now = Date.now();
      const samples = Array.from({ length: BATCH }, (_, k) => ({ seq: base + k + 1, ts: now, schema: 'host-v1', features: { 'cpu.util': Math.random(), 'mem.used': Math.random() * 1e9, 'disk.temp': null } }));
      seqs.set(id, base + BATCH);
      const t0 = performance.now();
      for (const s of samples) sentAt.set(`${id}:${s.seq}`, t0);
      c.publish(agentTopic(id, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 });
    };
    // Spread agents over the interval so load is steady, not bursty.
    const start = setTimeout(() => { tick(); timersInner.push(setInterval(tick, INTERVAL)); }, (i / clients.length) * INTERVAL);
    return start;
  });
  const timersInner: NodeJS.Timeout[] = [];
  await new Promise((r) => setTimeout(r, 2000));
  measuring = true;
  const before = procStats(child.pid!);
  const t0 = performance.now();
  let peakRss = before.rssMb;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, procStats(child.pid!).rssMb); }, 500);
  await new Promise((r) => setTimeout(r, DURATION_S * 1000));
  measuring = false;
  const wall = (performance.now() - t0) / 1000;
  const after = procStats(child.pid!);
  clearInterval(sampler);
  for (const t of [...timers, ...timersInner]) { clearTimeout(t); clearInterval(t); }
  latencies.sort((a, b) => a - b);
  const result = {
    agents: AGENTS,
    samplesPerSec: Math.round(acked / wall),
    latencyP50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    latencyP99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    cpuPercent: Math.round(((after.cpuS - before.cpuS) / wall) * 1000) / 10,
    rssMb: Math.round(Math.max(peakRss, after.rssMb)),
  };
  await Promise.all(clients.map((c) => c.endAsync(true)));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    say(`offered ${Math.round((AGENTS * BATCH * 1000) / INTERVAL)} samples/s`);
    say(`ingested ${result.samplesPerSec} samples/s; latency publish→ack p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms`);
    say(`control plane: CPU ${result.cpuPercent}% of one core, RSS ${result.rssMb} MB`);
  }
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack}\n`); rmSync(dataDir, { recursive: true, force: true }); process.exit(1); });
