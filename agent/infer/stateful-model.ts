/**
 * Drives a streaming ONNX model whose state goes in and comes back out: every input other than the feature input
 * `x` is a state tensor `S`, fed from the previous step's output `S_out` (zeros for a new host). This is the
 * convention of models/anomaly (see its card). The state is plain data so a host's baseline can be saved.
 *
 * Seasonal state (card `extra.seasonal = { input, buckets, periodMs, updateEveryMs? }`): the model takes one time
 * bucket's rows of that input; the driver keeps `buckets` copies (state dims [buckets, ...input dims]), feeds the copy
 * of the sample's bucket (`seasonalBucket`: e.g. the UTC hour for 24 buckets of a day) and stores the output back into
 * it. A step without a time feeds zeros and keeps nothing. Only the current bucket crosses into the engine each step.
 * With `updateEveryMs`, a bucket learns at most once per that interval (the first sample of each interval; the state
 * key `<input>@slot` remembers the last interval stored): the model's seasonal rates are per update, so a 10 s agent
 * and a 5-minute recording then give an hour's baseline the same memory in days (the anomaly model: 5 min).
 */
import type { ModelCard } from '../../contract/models/card.ts';
import { ModelError } from '../../contract/errors.ts';
import { seasonalSpec, slotKey, slotOf, seasonalBucket } from '../../contract/models/seasonal.ts';
import type { ModelSession, Tensor } from './engine.ts';

/**
 * Named state tensors of one host, as saved: `f32` is the tensor's float32 values, little-endian, in base64 (exact,
 * and one native call each way: the anomaly model's ~15,500 values as JSON numbers took ~3 ms to print and 280 KB
 * of heap at every save). `data` (JSON numbers) is what state files written before held; both restore.
 */
export type ModelState = Record<string, { dims: number[]; f32?: string; data?: number[] | Float32Array }>;

/** Fresh (zero) state for `features` features: symbolic dims ('F') become the feature count; a seasonal input gets a
 * leading bucket axis. */
export function initialState(card: ModelCard, features: number): Record<string, Tensor> {
  const seasonal = seasonalSpec(card);
  const state: Record<string, Tensor> = {};
  for (const input of card.inputs) {
    if (input.name === 'x') continue;
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : features));
    if (seasonal?.input === input.name) dims.unshift(seasonal.buckets);
    state[input.name] = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  }
  // the last update interval stored (-1 = none), as interval number mod SLOT_WRAP (slotOf)
  if (seasonal?.updateEveryMs) state[slotKey(seasonal)] = { data: new Float32Array([-1]), dims: [1] };
  return state;
}

/** Checks the session matches the card's inputs and the `S` → `S_out` convention. @throws ModelError */
export function checkStatefulSession(card: ModelCard, session: ModelSession): void {
  const want = card.inputs
    .map((i) => i.name)
    .sort()
    .join(',');
  const have = [...session.inputNames].sort().join(',');
  if (want !== have) throw new ModelError(card.name, `inputs are [${have}], card says [${want}]`);
  if (!session.inputNames.includes('x')) throw new ModelError(card.name, "no feature input named 'x'");
  for (const name of session.inputNames) {
    if (name !== 'x' && !session.outputNames.includes(`${name}_out`))
      throw new ModelError(card.name, `state input '${name}' has no output '${name}_out'`);
  }
  seasonalSpec(card);
}

/**
 * One step: feeds x and the state (for a seasonal input, the bucket of `tsMs`); returns the outputs and the next
 * state. The seasonal state is updated in place (its other buckets are untouched), the rest is replaced by the
 * engine's fresh output buffers.
 */
export async function stepStateful(
  card: ModelCard,
  session: ModelSession,
  x: Float32Array,
  state: Record<string, Tensor>,
  tsMs?: number,
): Promise<{ outputs: Record<string, Tensor>; state: Record<string, Tensor> }> {
  const seasonal = seasonalSpec(card);
  // the model's inputs only (the state may hold the driver's own keys, such as the seasonal slot)
  const feeds: Record<string, Tensor> = {};
  for (const name of session.inputNames) feeds[name] = name === 'x' ? { data: x, dims: [1, x.length] } : state[name]!;
  let bucket = -1;
  let store = false;
  let slot: number | null = null;
  if (seasonal) {
    const all = state[seasonal.input]!;
    const size = all.data.length / seasonal.buckets;
    bucket = seasonalBucket(tsMs ?? Number.NaN, seasonal.buckets, seasonal.periodMs);
    const data = bucket >= 0 ? all.data.subarray(bucket * size, (bucket + 1) * size) : new Float32Array(size);
    feeds[seasonal.input] = { data, dims: all.dims.slice(1) };
    store = bucket >= 0;
    if (seasonal.updateEveryMs) {
      slot = slotOf(tsMs!, seasonal.updateEveryMs);
      store &&= slot !== state[slotKey(seasonal)]!.data[0];
    }
  }
  const outputs = await session.run(feeds);
  // marked as learnt only once the run succeeded: a failed run leaves the interval's update to the next sample
  if (store && slot !== null) state[slotKey(seasonal!)]!.data[0] = slot;
  const next: Record<string, Tensor> = {};
  for (const name of Object.keys(state)) {
    if (seasonal?.updateEveryMs && name === slotKey(seasonal)) {
      next[name] = state[name]!;
      continue;
    }
    const out = outputs[`${name}_out`];
    if (!out) throw new ModelError(card.name, `missing output ${name}_out`);
    if (seasonal?.input === name) {
      const all = state[name]!;
      if (store) all.data.set(out.data, bucket * (all.data.length / seasonal.buckets));
      next[name] = all;
    } else {
      // an output stays valid through the next run (engine.ts), so it becomes the next state without a copy
      next[name] = out;
    }
  }
  return { outputs, state: next };
}

/**
 * {@link stepStateful} split for a caller that steps one session every cycle (the anomaly detector): `feed` sets up
 * the feeds of a step, the caller runs the session on them (`await session.run(stepper.feeds)`), and `apply` takes
 * the outputs into the state. Same step, but the caller's state is updated in place, and what a step feeds the engine
 * (the feed record, the `x` tensor, each seasonal bucket's view, the output names) is made once and reused, and the
 * driver adds no async layer of its own: a step allocates only what `feed` returns (issue 12: the stage's per-call
 * garbage set how often a young-generation GC landed in a cycle). A run that fails, or lacks an output, leaves the
 * state as it was (but the seasonal slot: as stepStateful, marked only once a run succeeded).
 * The feeds are read by the engine when the run is called; a second `feed` before the first step's `apply` gets
 * feeds of its own (steps that overlap stay correct, just not allocation-free).
 */
export type StatefulStepper = {
  /** Sets up the feeds for one step; returns what `apply` needs (the feeds to run, the seasonal bucket to store). */
  feed(x: Float32Array, state: Record<string, Tensor>, tsMs?: number): StepFeeds;
  /** Takes a successful run's outputs into `state` (the record given to `feed`). @throws ModelError on a missing output */
  apply(step: StepFeeds, state: Record<string, Tensor>, outputs: Readonly<Record<string, Tensor>>): void;
};

/** One step's feeds and where its seasonal output goes (`bucket` -1: nowhere; `slot`: the interval to mark, NaN:
 * none). */
export type StepFeeds = { feeds: Readonly<Record<string, Tensor>>; bucket: number; slot: number };

type MutableTensor = { data: Float32Array; dims: readonly number[] };

/** Creates the in-place stepper of `session` (see {@link StatefulStepper}). */
export function createStatefulStepper(card: ModelCard, session: ModelSession): StatefulStepper {
  const seasonal = seasonalSpec(card);
  const slotName = seasonal?.updateEveryMs ? slotKey(seasonal) : null;
  const inputNames = session.inputNames;
  const none: Tensor = { data: new Float32Array(0), dims: [0] };
  // one record, its keys set once in input order (a stable shape); values replaced each step
  const feeds: Record<string, Tensor> = {};
  for (const name of inputNames) feeds[name] = none;
  const xTensor: MutableTensor = { data: new Float32Array(0), dims: [1, 0] };
  // What depends on the state record (its keys) and on its seasonal tensor (the bucket views): rebuilt when the
  // caller hands another record (a new feature, a restore) or another seasonal tensor.
  let keysOf: Record<string, Tensor> | null = null;
  let keys: string[] = [];
  let outNames: string[] = [];
  let seasonalOf: Tensor | null = null;
  let views: (Tensor | undefined)[] = [];
  let zeros: Tensor = none;
  let rowDims: readonly number[] = [];
  // steps fed and not applied yet (or whose run failed: then this stays above 0 until the next apply, harmless)
  let open = 0;

  return {
    feed(x, state, tsMs) {
      if (state !== keysOf) {
        keysOf = state;
        keys = Object.keys(state);
        outNames = keys.map((name) => `${name}_out`);
      }
      const target: Record<string, Tensor> = open > 0 ? { ...feeds } : feeds;
      open++;
      for (let k = 0; k < inputNames.length; k++) {
        const name = inputNames[k]!;
        target[name] = name === 'x' ? xTensor : state[name]!;
      }
      if (target !== feeds) target.x = { data: x, dims: [1, x.length] };
      else if (xTensor.data !== x || xTensor.dims[1] !== x.length) {
        xTensor.data = x;
        xTensor.dims = [1, x.length];
      }
      let bucket = -1;
      let slot = Number.NaN;
      if (seasonal) {
        const all = state[seasonal.input]!;
        if (all !== seasonalOf) {
          seasonalOf = all;
          views = new Array<Tensor | undefined>(seasonal.buckets).fill(undefined);
          rowDims = all.dims.slice(1);
          zeros = { data: new Float32Array(all.data.length / seasonal.buckets), dims: rowDims };
        }
        const size = all.data.length / seasonal.buckets;
        const b = seasonalBucket(tsMs ?? Number.NaN, seasonal.buckets, seasonal.periodMs);
        let view = b >= 0 ? views[b] : zeros;
        if (!view) views[b] = view = { data: all.data.subarray(b * size, (b + 1) * size), dims: rowDims };
        target[seasonal.input] = view;
        bucket = b;
        if (b >= 0 && slotName !== null) {
          const s = slotOf(tsMs!, seasonal.updateEveryMs!);
          if (s === state[slotName]!.data[0]) bucket = -1;
          else slot = s;
        }
      }
      return { feeds: target, bucket, slot };
    },
    apply(step, state, outputs) {
      open = 0;
      // marked as learnt only once the run succeeded: a failed run leaves the interval's update to the next sample
      if (!Number.isNaN(step.slot)) state[slotName!]!.data[0] = step.slot;
      if (state !== keysOf) {
        keysOf = state;
        keys = Object.keys(state);
        outNames = keys.map((name) => `${name}_out`);
      }
      for (let k = 0; k < keys.length; k++) {
        if (keys[k] !== slotName && !outputs[outNames[k]!])
          throw new ModelError(card.name, `missing output ${outNames[k]}`);
      }
      for (let k = 0; k < keys.length; k++) {
        const name = keys[k]!;
        if (name === slotName) continue;
        const out = outputs[outNames[k]!]!;
        if (seasonal?.input === name) {
          const all = state[name]!;
          if (step.bucket >= 0) all.data.set(out.data, step.bucket * (all.data.length / seasonal.buckets));
        } else {
          // an output stays valid through the next run (engine.ts), so it becomes the next state without a copy
          state[name] = out;
        }
      }
    },
  };
}

/** Serializable copy of a state (for the state file): float32 bytes in base64, see {@link ModelState}. */
export function snapshotState(state: Record<string, Tensor>): ModelState {
  return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, { dims: [...t.dims], f32: encodeF32(t.data) }]));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values as little-endian bytes in base64. */
export function encodeF32(data: ArrayLike<number>): string {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  const bytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32()).toString('base64');
}

/** The values {@link encodeF32} wrote; null when the text is not a whole number of float32 values. */
export function decodeF32(text: string): Float32Array | null {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return null;
  if (!LITTLE_ENDIAN) bytes.swap32();
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Restores a state saved by {@link snapshotState} (or an older one with `data` arrays); null when it does not fit
 * the card for `features` features. A state saved before the driver kept a seasonal slot (same model version)
 * restores with none stored. */
export function restoreState(card: ModelCard, features: number, saved: ModelState): Record<string, Tensor> | null {
  const fresh = initialState(card, features);
  const seasonal = seasonalSpec(card);
  for (const [name, t] of Object.entries(fresh)) {
    if (seasonal?.updateEveryMs && name === slotKey(seasonal) && !saved[name]) continue;
    const s = saved[name];
    const data = typeof s?.f32 === 'string' ? decodeF32(s.f32) : s?.data ? Float32Array.from(s.data) : null;
    if (!s || !data || s.dims.join('x') !== t.dims.join('x') || data.length !== t.data.length) return null;
    fresh[name] = { data, dims: t.dims };
  }
  return fresh;
}
