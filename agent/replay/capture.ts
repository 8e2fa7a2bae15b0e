/**
 * Records this machine's host-level model features to a replay CSV:
 *   tsx agent/replay/capture.ts <out.csv> [cycles=90] [intervalSeconds=2]
 */
import { writeFileSync } from 'node:fs';
import { createCollectionEngine } from '../collect/engine.ts';
import { MODEL_FEATURES } from '../../contract/features/schema.ts';

const [out, cyclesArg, intervalArg] = process.argv.slice(2);
if (!out) {
  console.error('usage: tsx agent/replay/capture.ts <out.csv> [cycles] [intervalSeconds]');
  process.exit(2);
}
const cycles = Number(cyclesArg ?? 90),
  interval = Number(intervalArg ?? 2);
const engine = await createCollectionEngine();
await engine.start();
const lines = [['timestamp', ...MODEL_FEATURES].join(',')];
for (let i = 0; i <= cycles; i++) {
  const r = await engine.collect(Date.now());
  if (i > 0) lines.push([Math.round(r.ts / 1000), ...MODEL_FEATURES.map((f) => r.features[f] ?? '')].join(','));
  await new Promise((res) => setTimeout(res, interval * 1000));
}
await engine.stop();
writeFileSync(out, `${lines.join('\n')}\n`);
console.error(`wrote ${cycles} rows to ${out}`);
