/**
 * Per-disk failure prediction on the agent: keeps each disk's SMART history (models/disk/history.ts) and, once a
 * day per disk (a new calendar day or a changed reading after a day), computes the model's probability that the
 * disk fails within 7 days. The history is plain data, saved with the rest of the inference state.
 */
import {
  createDiskHistory,
  diskFeatures,
  type DiskHistory,
  type SmartReading,
} from '../../contract/models/disk/features.ts';
import type { ModelCard } from '../../contract/models/card.ts';
import { ModelError } from '../../contract/errors.ts';
import type { ModelSession, Tensor } from './engine.ts';

/** One disk's prediction. */
export type DiskPrediction = { device: string; serial?: string; probability: number; model: string; day: string };

/** Saved state: history per disk key (serial, else device) and the last prediction. */
export type DiskPredictorState = Record<string, { history: DiskHistory; day: string; last: DiskPrediction }>;

/** A disk's SMART reading as the collectors report it. */
export type DiskReading = { device: string; serial?: string; reading: SmartReading };

/** Creates the predictor for one loaded disk model. `day(ts)` defaults to the UTC date. */
export function createDiskPredictor(
  card: ModelCard,
  session: ModelSession,
  saved: DiskPredictorState = {},
  day: (ts: number) => string = utcDay(),
) {
  const label = `${card.name}@${card.version}`;
  const input = card.inputs[0];
  const output = card.outputs[0];
  if (!input || !output) throw new ModelError(card.name, 'card lists no input or output');
  const width = input.shape[1];
  const state: DiskPredictorState = structuredClone(saved);
  // the feed record and its tensor, made once (a run reads them when called; x is new each run)
  const tensor: { data: Float32Array; dims: readonly number[] } = { data: new Float32Array(0), dims: [1, 0] };
  const feeds: Record<string, Tensor> = { [input.name]: tensor };

  return {
    label,
    /** Returns predictions for disks whose day rolled over; cached ones otherwise. */
    async update(disks: readonly DiskReading[], ts: number): Promise<DiskPrediction[]> {
      const today = day(ts);
      const result: DiskPrediction[] = [];
      for (const d of disks) {
        const key = d.serial ?? d.device;
        const entry = state[key];
        if (entry && entry.day === today) {
          result.push(entry.last);
          continue;
        }
        const history = entry?.history ?? createDiskHistory();
        const x = diskFeatures(history, d.reading);
        if (typeof width === 'number' && x.length !== width)
          throw new ModelError(card.name, `expects ${width} features, got ${x.length}`);
        tensor.data = x;
        if (tensor.dims[1] !== x.length) tensor.dims = [1, x.length];
        const out = await session.run(feeds);
        const probability = out[output.name]?.data[0];
        if (probability === undefined || !Number.isFinite(probability))
          throw new ModelError(card.name, 'produced no probability');
        const last: DiskPrediction = {
          device: d.device,
          probability: Math.min(1, Math.max(0, probability)),
          model: label,
          day: today,
          ...(d.serial ? { serial: d.serial } : {}),
        };
        state[key] = { history, day: today, last };
        result.push(last);
      }
      return result;
    },
    /** Builds the session's plan for one disk's features, not warmed up: the model runs once a day per disk, so
     * V8's optimization would not pay for itself. */
    prepare(): void {
      if (typeof width === 'number') session.prepare?.({ [input.name]: [1, width] }, { warm: false });
    },
    save(): DiskPredictorState {
      return structuredClone(state);
    },
  };
}

export type DiskPredictor = ReturnType<typeof createDiskPredictor>;

/** The UTC date of a timestamp (YYYY-MM-DD), the text made once per day rather than per call. */
function utcDay(): (ts: number) => string {
  let lastDay = Number.NaN;
  let lastText = '';
  return (ts) => {
    const d = Math.floor(Math.trunc(ts) / 86_400_000); // the day of the whole millisecond, as Date takes it
    if (d !== lastDay) {
      lastText = new Date(ts).toISOString().slice(0, 10);
      lastDay = d;
    }
    return lastText;
  };
}
