/**
 * `npm run bench:infer [-- --cycles 5000 --features 40 --json]`: latency of the agent's inference stage per sample
 * through onnxruntime-node (the anomaly model for one host's feature vector, the disk model for one disk) and the
 * RSS the models add to the agent (after the same loop without models, from before onnxruntime is imported to after
 * the runs). Prints figures; with
 * --json one object
 * `{anomalyP50Us, anomalyP99Us, diskP99Us, addedRssMb}`. `--floor` adds what onnxruntime-node costs per call for a
 * trivial graph of about 1, 30 and 60 nodes (bench/onnx-floor.ts), printed after the result (with --json as a second line).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInference } from '../agent/infer/inference.ts';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '5000' }, features: { type: 'string', default: '40' }, json: { type: 'boolean', default: false }, floor: { type: 'boolean', default: false } } });
const cycles = Number(values.cycles);
const F = Number(values.features);
if (!Number.isInteger(cycles) || cycles < 100) throw new Error(`--cycles must be an integer >= 100, got '${values.cycles}'`);
if (!Number.isInteger(F) || F < 1 || F > 256) throw new Error(`--features must be an integer in 1..256, got '${values.features}'`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const names = Array.from({ length: F }, (_, i) => `feature_${i}`);
function reading(i: number): Record<string, number> {
  const features: Record<string, number> = {};
  for (let j = 0; j < F; j++) features[names[j]!] = 50 + 10 * Math.sin(i / 30 + j) + Math.sin(i * 12.9898 + j * 78.233);
  return features;
}
// The same loop without the models first (the agent's own per-cycle work: building readings, awaiting a stage), so
// that the JS heap's growth under this loop is not counted as the models'. Then RSS is taken before onnxruntime is
// even imported: loading its native library is part of what the models cost the agent.
for (let i = 0; i < cycles; i++) await Promise.resolve(reading(i));
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const { createOnnxEngine } = await import('../agent/infer/onnx-engine.ts');
const inf = await createInference({ engine: createOnnxEngine(), stateDir: mkdtempSync(join(tmpdir(), 'bench-infer-')), saveEvery: Number.MAX_SAFE_INTEGER });
await inf.start();
const anomaly: number[] = [];
for (let i = 0; i < cycles; i++) {
  const features = reading(i);
  const t0 = process.hrtime.bigint();
  await inf.onCycle({ ts: i * 10_000, features });
  anomaly.push(Number(process.hrtime.bigint() - t0) / 1000);
}
// Disk model: one new day per call so every call runs the model.
const disk: number[] = [];
const diskRuns = Math.min(cycles, 2000);
for (let i = 0; i < diskRuns; i++) {
  const reading = { model: 'ST4000DM000', attributes: { 5: i % 7, 9: 20_000 + i * 24, 194: 30 + (i % 5), 197: i % 3, 1: 100_000 + i } };
  const t0 = process.hrtime.bigint();
  await inf.onCycle({ ts: i * 86_400_000, features: {}, disks: [{ device: 'sda', serial: 'Z1', reading }] });
  disk.push(Number(process.hrtime.bigint() - t0) / 1000);
}
global.gc?.();
const addedRssMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
await inf.stop();
anomaly.sort((a, b) => a - b);
disk.sort((a, b) => a - b);
const warm = anomaly.slice(Math.floor(anomaly.length * 0.02));
const result = {
  anomalyP50Us: +percentile(warm, 0.5).toFixed(1),
  anomalyP99Us: +percentile(warm, 0.99).toFixed(1),
  diskP99Us: +percentile(disk, 0.99).toFixed(1),
  addedRssMb: +addedRssMb.toFixed(1),
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`inference per sample through onnxruntime-node (${cycles} cycles, ${F} features; includes tensor marshalling)`);
  console.log(`  anomaly  p50 ${result.anomalyP50Us} µs   p99 ${result.anomalyP99Us} µs   (target p99 < 50 µs)`);
  console.log(`  disk     p99 ${result.diskP99Us} µs (${diskRuns} daily updates)`);
  console.log(`  added RSS ${result.addedRssMb} MB (target < 40 MB)`);
}
if (values.floor) {
  // onnxruntime's own cost per call on this machine, for context (bench/onnx-floor.ts); the anomaly graph's node count
  // is in its card (extra.nodes).
  const { onnxFloor } = await import('./onnx-floor.ts');
  const floors = [await onnxFloor(0, F), await onnxFloor(30, F), await onnxFloor(60, F)];
  if (values.json) console.log(JSON.stringify({ floor: floors }));
  else for (const f of floors) console.log(`  onnxruntime floor, ${f.nodes}-node graph (2 inputs, 2 outputs): p50 ${f.p50Us} µs   p99 ${f.p99Us} µs`);
}
