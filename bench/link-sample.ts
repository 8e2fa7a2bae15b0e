/**
 * The sample the link benchmark sends: built the way the agent builds it (agent/collect engine on this host, two
 * cycles so rates are filled, `toSampleBody`, plus an anomaly score with its top contributions as the infer stage
 * attaches), so its feature vector, collector statuses and size are a real agent's (~110 features, ~3.3 KB).
 * `sampleBytes` pads with extra `bench.pad_<n>` features or drops features to approach a wanted size instead.
 */
import { createCollectionEngine } from '../agent/collect/engine.ts';
import { toSampleBody } from '../agent/pipeline/types.ts';
import type { Sample } from '../contract/protocol/index.ts';

export type SampleBody = Omit<Sample, 'seq'>;

/** One real sample body from this host's collectors (takes about a second: two cycles). */
export async function realSampleBody(): Promise<SampleBody> {
  const engine = await createCollectionEngine({});
  await engine.start();
  try {
    await engine.collect(Date.now());
    await new Promise((r) => setTimeout(r, 1000));
    const reading = await engine.collect(Date.now());
    const numeric = Object.entries(reading.features).filter((e): e is [string, number] => typeof e[1] === 'number');
    const top = numeric.slice(0, 3).map(([feature, v]) => ({ feature, contribution: Math.abs(v) / 100, ratio: 1.5 }));
    return toSampleBody({
      ...reading,
      scores: { anomaly: { score: 0.12, model: 'anomaly-ae@1.0.0', top, latencyUs: 850 } },
    } as Parameters<typeof toSampleBody>[0]);
  } finally {
    await engine.stop();
  }
}

/** Bytes of one sample on the wire (with a 6-digit seq), as it sits inside a telemetry message. */
export function sampleBytes(body: SampleBody): number {
  return Buffer.byteLength(JSON.stringify({ seq: 100_000, ...body }));
}

/** Pads (extra features) or trims (drops features, then scores and collectors) the body to about `bytes`. */
export function resizeSample(body: SampleBody, bytes: number): SampleBody {
  const out: SampleBody = { ...body, features: { ...body.features } };
  let n = 0;
  while (sampleBytes(out) < bytes) out.features[`bench.pad_${n++}`] = 12345.678;
  if (n > 0 || sampleBytes(out) <= bytes) return out;
  delete out.scores;
  delete out.collectors;
  const names = Object.keys(out.features);
  while (names.length > 1 && sampleBytes(out) > bytes) delete out.features[names.pop()!];
  return out;
}
