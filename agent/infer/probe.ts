/**
 * Agreement probe between two sessions of the same model (auto-engine.ts): both are stepped `PROBE_STEPS` times on
 * the same inputs, a stateful model's outputs fed back as its next state, and every output compared.
 */
import { readModelProto } from '../../contract/models/model-proto.ts';
import { seededRandom } from '../../contract/seeded-random.ts';
import type { ModelSession, Tensor } from './engine.ts';

/** Probe steps per model. */
export const PROBE_STEPS = 64;
/** Largest accepted difference, relative to max(1, |reference|). */
export const PROBE_TOLERANCE = 1e-5;

/** What a probe found: `disagreement` (null when every output agreed), the largest |a - b| over the outputs compared
 * (null when not finite: an infinity on one side only) and the steps run. */
export type ProbeResult = { disagreement: string | null; maxAbsDiff: number | null; steps: number };

/** Steps `a` and the reference `b` on the same inputs; returns what disagreed, or null. */
export async function probeAgreement(bytes: Uint8Array, a: ModelSession, b: ModelSession): Promise<string | null> {
  return (await probeModel(bytes, a, b)).disagreement;
}

/** Steps `a` and the reference `b` on the same inputs, up to the first disagreement. Symbolic dims are 3; an input `S`
 * with an output `S_out` of the same size is fed that output back (the stateful-model convention). */
export async function probeModel(bytes: Uint8Array, a: ModelSession, b: ModelSession): Promise<ProbeResult> {
  let maxAbsDiff = 0;
  const result = (disagreement: string | null, steps: number): ProbeResult => ({
    disagreement,
    maxAbsDiff: Number.isFinite(maxAbsDiff) ? maxAbsDiff : null,
    steps,
  });
  const dims = new Map(
    readModelProto(bytes).graph.input.map((i) => [
      i.name,
      (i.type?.tensor_type?.shape?.dim ?? []).map((d) => (d.dim_value && d.dim_value > 0 ? d.dim_value : 3)),
    ]),
  );
  const random = seededRandom(0x9e3779b9);
  let feedsA: Record<string, Tensor> = {};
  let feedsB: Record<string, Tensor> = {};
  for (let step = 0; step < PROBE_STEPS; step++) {
    for (const name of a.inputNames) {
      const fedBack = step > 0 && a.outputNames.includes(`${name}_out`);
      if (fedBack) continue;
      const d = dims.get(name) ?? [];
      // a level with noise, an occasional spike, zero and missing value: the paths an anomaly model branches on
      const data = Float32Array.from({ length: d.reduce((x, y) => x * y, 1) }, (_, i) => {
        const r = random();
        return r < 0.02 ? Number.NaN : r < 0.04 ? 0 : r < 0.08 ? 1000 * r : 10 + i + 5 * r;
      });
      feedsA[name] = feedsB[name] = { data, dims: d };
    }
    const [outA, outB] = [await a.run(feedsA), await b.run(feedsB)];
    for (const name of b.outputNames) {
      const x = outA[name]?.data;
      const y = outB[name]!.data;
      if (!x || x.length !== y.length) {
        return result(`output '${name}' has ${x?.length ?? 0} values, not ${y.length}`, step + 1);
      }
      for (let i = 0; i < y.length; i++) {
        const same =
          x[i] === y[i] ||
          (Number.isNaN(x[i]!)
            ? Number.isNaN(y[i]!)
            : Math.abs(x[i]! - y[i]!) <= PROBE_TOLERANCE * Math.max(1, Math.abs(y[i]!)));
        if (x[i] !== y[i] && !Number.isNaN(x[i]!) && !Number.isNaN(y[i]!)) {
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(x[i]! - y[i]!));
        }
        if (!same) return result(`output '${name}'[${i}] is ${x[i]} vs ${y[i]} at probe step ${step}`, step + 1);
      }
    }
    feedsA = { ...feedsA };
    feedsB = { ...feedsB };
    for (const name of a.inputNames) {
      if (!a.outputNames.includes(`${name}_out`)) continue;
      feedsA[name] = outA[`${name}_out`]!;
      feedsB[name] = outB[`${name}_out`]!;
    }
  }
  return result(null, PROBE_STEPS);
}
