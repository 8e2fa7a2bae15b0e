/**
 * Drives a streaming ONNX model whose state goes in and comes back out: every input other than the feature input
 * `x` is a state tensor `S`, fed from the previous step's output `S_out` (zeros for a new host). This is the
 * convention of models/anomaly (see its card). The state is plain data so a host's baseline can be saved.
 *
 * One optional non-state input: `phase` [1, 2] = [fraction of the UTC day, fraction of the week since Monday 00:00
 * UTC] at the sample's timestamp, for models with a time-of-day / day-of-week baseline (seasonality).
 */
import type { ModelCard } from '../../models/onnx/card.ts';
import { ModelError, type ModelSession, type Tensor } from './engine.ts';

/** Named state tensors of one host. */
export type ModelState = Record<string, { data: number[] | Float32Array; dims: number[] }>;

/** Shapes of the state inputs for `features` features: symbolic dims ('F') become the feature count. */
export function initialState(card: ModelCard, features: number): Record<string, Tensor> {
  const state: Record<string, Tensor> = {};
  for (const input of card.inputs) {
    if (input.name === 'x' || input.name === PHASE_INPUT) continue;
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : features));
    state[input.name] = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  }
  return state;
}

/** Checks the session matches the card's inputs and the `S` → `S_out` convention. @throws ModelError */
export function checkStatefulSession(card: ModelCard, session: ModelSession): void {
  const want = card.inputs.map((i) => i.name).sort().join(',');
  const have = [...session.inputNames].sort().join(',');
  if (want !== have) throw new ModelError(card.name, `inputs are [${have}], card says [${want}]`);
  if (!session.inputNames.includes('x')) throw new ModelError(card.name, "no feature input named 'x'");
  for (const name of session.inputNames) {
    if (name !== 'x' && name !== PHASE_INPUT && !session.outputNames.includes(`${name}_out`)) throw new ModelError(card.name, `state input '${name}' has no output '${name}_out'`);
  }
}

/** Name of the optional time input (see the file comment). */
export const PHASE_INPUT = 'phase';

/** `[fraction of the UTC day, fraction of the week since Monday 00:00 UTC]` for a timestamp in ms. */
export function phaseOf(tsMs: number): Float32Array {
  const day = 86_400_000;
  const mondayOffset = 3 * day; // the epoch (1970-01-01) was a Thursday
  return new Float32Array([(((tsMs % day) + day) % day) / day, ((((tsMs + mondayOffset) % (7 * day)) + 7 * day) % (7 * day)) / (7 * day)]);
}

/** One step: feeds x (and `phase` when the model takes it) and state; returns the outputs and the next state. */
export async function stepStateful(session: ModelSession, x: Float32Array, state: Record<string, Tensor>, tsMs?: number): Promise<{ outputs: Record<string, Tensor>; state: Record<string, Tensor> }> {
  const feeds: Record<string, Tensor> = { ...state, x: { data: x, dims: [1, x.length] } };
  if (session.inputNames.includes(PHASE_INPUT)) feeds[PHASE_INPUT] = { data: phaseOf(tsMs ?? Date.now()), dims: [1, 2] };
  const outputs = await session.run(feeds);
  const next: Record<string, Tensor> = {};
  for (const name of Object.keys(state)) {
    const out = outputs[`${name}_out`];
    if (!out) throw new ModelError('stateful', `missing output ${name}_out`);
    // engines return fresh buffers per run (engine.ts), so the output becomes the next state without a copy
    next[name] = out;
  }
  return { outputs, state: next };
}

/** Serializable copy of a state (for the state file). */
export function snapshotState(state: Record<string, Tensor>): ModelState {
  return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, { data: Array.from(t.data), dims: [...t.dims] }]));
}

/** Restores a state saved by {@link snapshotState}; null when it does not fit the card for `features` features. */
export function restoreState(card: ModelCard, features: number, saved: ModelState): Record<string, Tensor> | null {
  const fresh = initialState(card, features);
  for (const [name, t] of Object.entries(fresh)) {
    const s = saved[name];
    if (!s || s.dims.join('x') !== t.dims.join('x') || s.data.length !== t.data.length) return null;
    fresh[name] = { data: Float32Array.from(s.data), dims: t.dims };
  }
  return fresh;
}
