/**
 * The seasonal pre-processing a stateful model's card may ask for (`extra.seasonal`): which state input is bucketed
 * by time of day, and how often a bucket learns. Shared by the agent's driver and the models' reference code.
 */
import { z } from 'zod';
import { ModelError } from '../errors.ts';
import type { ModelCard } from './card.ts';

/** Card `extra.seasonal`: which state input is bucketed by time, into how many buckets of a period (ms). */
export const SeasonalSpecSchema = z.object({
  input: z.string().min(1),
  buckets: z.number().int().min(1).max(100_000),
  periodMs: z.number().int().positive(),
  updateEveryMs: z.number().int().positive().optional(),
});
export type SeasonalSpec = z.infer<typeof SeasonalSpecSchema>;

const specs = new WeakMap<ModelCard, SeasonalSpec | null>();

/** The card's seasonal spec, or null when it has none (parsed once per card). @throws ModelError when present but
 * malformed. */
export function seasonalSpec(card: ModelCard): SeasonalSpec | null {
  const known = specs.get(card);
  if (known !== undefined) return known;
  const spec = parseSeasonalSpec(card);
  specs.set(card, spec);
  return spec;
}

function parseSeasonalSpec(card: ModelCard): SeasonalSpec | null {
  const raw = card.extra?.seasonal;
  if (raw === undefined) return null;
  const parsed = SeasonalSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new ModelError(
      card.name,
      `extra.seasonal: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`,
    );
  if (!card.inputs.some((i) => i.name === parsed.data.input))
    throw new ModelError(card.name, `extra.seasonal.input '${parsed.data.input}' is not an input of the model`);
  return parsed.data;
}

/** Bucket 0..buckets-1 of `tsMs` within its period (integer arithmetic: period 1 day, 24 buckets = the UTC hour);
 * -1 for a timestamp that is not a finite number. */
export function seasonalBucket(tsMs: number, buckets: number, periodMs = 86_400_000): number {
  if (!Number.isFinite(tsMs)) return -1;
  const inPeriod = ((Math.floor(tsMs) % periodMs) + periodMs) % periodMs;
  return Math.floor((inPeriod * buckets) / periodMs);
}

/** Interval numbers are kept mod 2^23 so that float32 state holds them exactly for any `updateEveryMs` (a 10 s
 * interval number passes 2^24 in 1975). Consecutive intervals still differ; two equal only 2^23 intervals apart
 * (2.6 years at 10 s) with no sample in between, when a bucket would skip one update. */
export const SLOT_WRAP = 2 ** 23;

/** The update interval of `tsMs`, as stored in the slot state. */
export function slotOf(tsMs: number, updateEveryMs: number): number {
  return Math.floor(tsMs / updateEveryMs) % SLOT_WRAP;
}

const slotKeys = new WeakMap<SeasonalSpec, string>();
/** State key of the last stored update interval (not a model input). */
export function slotKey(spec: SeasonalSpec): string {
  let key = slotKeys.get(spec);
  if (key === undefined) slotKeys.set(spec, (key = `${spec.input}@slot`));
  return key;
}
