/**
 * Bytes allocated per agent cycle, by stage: a deterministic measure of per-cycle churn (issue 12), unlike CPU time on
 * a shared machine.
 *
 *   node --max-semi-space-size=256 --min-semi-space-size=256 --import tsx bench/agent-alloc.ts [--cycles 200] [--json]
 *        [--root <dir>] the agent's sources from another tree (the same cycle, measured on an earlier version)
 *        [--top N]    also sample allocations (V8's sampling heap profiler, garbage included) over the measured
 *                     cycles and list the N functions allocating most (self bytes per cycle, with their file:line)
 *
 * Method: the agent's cycle as assembled for a real host (agent/assemble.ts: the live collection engine on real /proc
 * and /sys with the default config, the infer stage with the shipped models on the configured engine, the heal stage
 * with the default heal config, the SQLite outbox), in a temporary state dir, without the link: each cycle's sample is
 * appended, then peeked and acked as the link does with the control plane's ack. The clock advances 10 s per cycle so
 * slow collectors run as often as at the default cycle. After 30 warm-up cycles (JIT, sensor discovery, baselines),
 * `used_heap_size` is read between the stages of each cycle; with a young generation large enough that no GC runs
 * during the measured cycles (checked: the run is refused when one does) the growth is exactly what was allocated on
 * the JS heap. CPU (process.cpuUsage over the measured cycles) is printed too, for comparison in the same run only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { pino } from 'pino';
import type { EventInput, PipelineReading } from '../agent/pipeline/types.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const cyclesArg = args.indexOf('--cycles');
const cycles = cyclesArg >= 0 ? Number(args[cyclesArg + 1]) : 200;
const topArg = args.indexOf('--top');
const top = topArg >= 0 ? Number(args[topArg + 1]) : 0;
const WARMUP = 30;
// --root <dir>: the agent's sources from another tree, for a before/after in the same conditions. Outside the repository
// (test/run.mjs and tsc would pick up its files), with the packages and models beside it:
//   mkdir /tmp/head && git archive HEAD agent contract | tar -x -C /tmp/head &&
//   ln -s "$PWD/node_modules" /tmp/head/node_modules && ln -s "$PWD/models" /tmp/head/models
const rootArg = args.indexOf('--root');
const root = new URL(rootArg >= 0 ? `file://${resolve(args[rootArg + 1]!)}/` : '../', import.meta.url);
const load = async <T>(path: string): Promise<T> => (await import(new URL(path, root).href)) as T;
const { sectionConfigs } = await load<typeof import('../agent/assemble.ts')>('agent/assemble.ts');
const { createCollectionEngine } = await load<typeof import('../agent/collect/engine.ts')>('agent/collect/engine.ts');
const { agentConfigSchema } = await load<typeof import('../agent/config/schema.ts')>('agent/config/schema.ts');
const { createHealStage } = await load<typeof import('../agent/heal/heal-stage.ts')>('agent/heal/heal-stage.ts');
const { createHealer } = await load<typeof import('../agent/heal/healer.ts')>('agent/heal/healer.ts');
const { createEngine } = await load<typeof import('../agent/infer/engines.ts')>('agent/infer/engines.ts');
const { createInferStage, isModelFeature } =
  await load<typeof import('../agent/infer/infer-stage.ts')>('agent/infer/infer-stage.ts');
const { createInference } = await load<typeof import('../agent/infer/inference.ts')>('agent/infer/inference.ts');
const { openSqliteOutbox } = await load<typeof import('../agent/link/outbox/sqlite-store.ts')>(
  'agent/link/outbox/sqlite-store.ts',
);
const { toSampleBody } = await load<typeof import('../agent/pipeline/types.ts')>('agent/pipeline/types.ts');

const dir = mkdtempSync(join(tmpdir(), 'hs-alloc-'));
const stateDir = join(dir, 'agent');
const config = agentConfigSchema.parse({ stateDir });
const credentials: import('../agent/enroll/credentials.ts').Credentials = {
  agentId: 'bench',
  secret: 'x',
  server: 'http://127.0.0.1:1',
  mqttUrl: 'mqtt://127.0.0.1:1',
  publicKey: '',
  labels: {},
  hostname: 'bench',
  enrolledAt: 0,
};
const logger = pino({ level: 'silent' });
const { collect, heal } = sectionConfigs(config, credentials);
const source = await createCollectionEngine(collect);
const inference = await createInference({
  engine: createEngine(config.infer.engine, { stateDir: join(stateDir, 'infer') }),
  stateDir: join(stateDir, 'infer'),
  include: isModelFeature,
});
await inference.start();
const healer = await createHealer({ config: heal });
const stages = [createInferStage(inference), createHealStage(healer, () => true)];
const outbox = openSqliteOutbox(join(stateDir, 'outbox.db'), config.outbox);
let events = 0;
const emit = (e: EventInput) => {
  events++;
  outbox.append('event', { ts: e.ts ?? 0, type: e.type, severity: e.severity ?? 'info', data: e.data ?? {} });
};

let gcs = 0;
const obs = new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
});
obs.observe({ entryTypes: ['gc'] });

const names = ['collect', ...stages.map((s) => s.name), 'append', 'ack'] as const;
const bytes = new Map<string, number>(names.map((n) => [n, 0]));
const cpuUs = new Map<string, number>(names.map((n) => [n, 0]));
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const used = () => getHeapStatistics().used_heap_size;
let sent = 0;

async function cycle(ts: number, measure: boolean): Promise<void> {
  let h = used();
  let c = cpuNow();
  const note = (name: string) => {
    if (!measure) return;
    const now = used();
    bytes.set(name, bytes.get(name)! + now - h);
    const cNow = cpuNow();
    cpuUs.set(name, cpuUs.get(name)! + cNow - c);
    h = used();
    c = cNow;
  };
  let reading: PipelineReading = await source.collect(ts);
  note('collect');
  const ctx = { now: ts, emit, logger };
  for (const stage of stages) {
    reading = await stage.run(reading, ctx);
    note(stage.name);
  }
  const rec = outbox.append('telemetry', toSampleBody(reading));
  note('append');
  const batch = outbox.peek(16, sent);
  sent = batch.at(-1)?.seq ?? sent;
  outbox.markSent(sent);
  outbox.ack([[batch[0]?.seq ?? rec.seq, rec.seq]]);
  note('ack');
}

await source.start();
const t0 = Date.now();
for (let i = 0; i < WARMUP; i++) await cycle(t0 + i * 10_000, false);
await new Promise((r) => setTimeout(r, 50));
gcs = 0;
const session = top > 0 ? new Session() : null;
if (session) {
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const cpu0 = process.cpuUsage();
for (let i = 0; i < cycles; i++) await cycle(t0 + (WARMUP + i) * 10_000, true);
const cpu = process.cpuUsage(cpu0);
const sampled = session ? await session.post('HeapProfiler.stopSampling') : null;
session?.disconnect();
await new Promise((r) => setTimeout(r, 50));
const gcsDuring = gcs;
obs.disconnect();
for (const s of stages) await s.stop?.();
await source.stop();
outbox.close();
rmSync(dir, { recursive: true, force: true });

const perCycle = Object.fromEntries([...bytes].map(([k, v]) => [k, Math.round(v / cycles)]));
const total = [...bytes.values()].reduce((a, b) => a + b, 0) / cycles;
const result = {
  cycles,
  gcsDuring,
  events,
  bytesPerCycle: Math.round(total),
  byStage: perCycle,
  cpuMsByStage: Object.fromEntries([...cpuUs].map(([k, v]) => [k, Math.round(v / cycles) / 1000])),
  cpuMsPerCycle: Math.round(((cpu.user + cpu.system) / 1000 / cycles) * 100) / 100,
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`cycles ${cycles} (after ${WARMUP} warm-up), GCs during: ${gcsDuring}, events: ${events}`);
  console.log(`allocated per cycle: ${(total / 1024).toFixed(1)} KB`);
  for (const [k, v] of Object.entries(perCycle))
    console.log(`  ${k.padEnd(8)} ${(v / 1024).toFixed(1).padStart(6)} KB  ${result.cpuMsByStage[k]} ms CPU`);
  console.log(`CPU per cycle (in-process, noisy): ${result.cpuMsPerCycle} ms`);
}
if (sampled) {
  type Node = {
    callFrame: { functionName: string; url: string; lineNumber: number };
    selfSize: number;
    children: Node[];
  };
  const self = new Map<string, number>();
  const walk = (n: Node) => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/work\/main\//, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk((sampled as { profile: { head: Node } }).profile.head);
  console.log(`top ${top} allocating functions (sampled, self bytes per cycle):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${(v / cycles / 1024).toFixed(2).padStart(7)} KB  ${k}`);
}
if (gcsDuring > 0) {
  console.error('a GC ran during the measured cycles: the figures are low; raise --max-semi-space-size');
  process.exitCode = 1;
}
