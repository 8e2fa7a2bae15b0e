/**
 * The agent's anomaly detector: turns each cycle's named feature vector into the anomaly model's input, keeps the
 * host's baseline (the model's state tensors) across cycles and restarts, and explains a score by the features
 * that contributed most ("disk.sda.await_ms 14x its usual").
 *
 * Feature columns are fixed by name: the first cycle defines them (up to `maxFeatures`, in the given order);
 * later new names are appended as fresh columns without disturbing the learnt ones. A name that goes missing is
 * fed as NaN, which the model masks.
 */
import type { ModelCard } from '../../contract/models/card.ts';
import type { ModelSession, Tensor } from './engine.ts';
import { seasonalSpec } from '../../contract/models/seasonal.ts';
import { createStatefulStepper, initialState, restoreState, snapshotState, type ModelState } from './stateful-model.ts';

/** One feature's part in a score. `ratio` = value / usual value, null when the usual value is 0. */
export type Explanation = { feature: string; contribution: number; ratio: number | null; value: number; usual: number };

/** The detector's output for one cycle. */
export type AnomalyResult = { score: number; top: Explanation[] };

/** What the detector saves between runs. */
export type AnomalyDetectorState = { model: string; names: string[]; state: ModelState };

/** Options. `maxFeatures` defaults to 64, `topK` (explanations kept) to 5. */
export type AnomalyDetectorOptions = { maxFeatures?: number; topK?: number; include?: (name: string) => boolean };

/** Names turned away that a detector remembers at most. */
export const TURNED_AWAY_MAX = 4096;

/** Creates a detector bound to one loaded model (see `inference.ts` for loading, fallback and persistence). */
export function createAnomalyDetector(
  card: ModelCard,
  session: ModelSession,
  options: AnomalyDetectorOptions = {},
  saved?: AnomalyDetectorState,
) {
  const maxFeatures = options.maxFeatures ?? 64;
  const topK = options.topK ?? 5;
  const include = options.include ?? (() => true);
  const label = `${card.name}@${card.version}`;
  let names: string[] = [];
  let state: Record<string, Tensor> | null = null;
  if (saved && saved.model === label && saved.names.length > 0) {
    const restored = restoreState(card, saved.names.length, saved.state);
    if (restored) {
      names = [...saved.names];
      state = restored;
    }
  }

  // Column of each placed name, and names turned away (excluded, or no room left): a cycle reads its features in
  // one pass with one Map lookup each, not a scan of every column (the agent has ~110 features per cycle). Turned-away
  // names are forgotten past TURNED_AWAY_MAX (container interfaces come and go), and then just checked again.
  let columns = new Map(names.map((n, i) => [n, i]));
  const turnedAway = new Set<string>();
  const turnAway = (n: string): void => {
    if (turnedAway.size >= TURNED_AWAY_MAX) turnedAway.clear();
    turnedAway.add(n);
  };

  /** Adds columns for `fresh` names (seen for the first time, not yet checked); keeps existing columns' state. */
  function admit(candidates: string[] | null): void {
    let fresh: string[] | null = null;
    for (const n of candidates ?? []) {
      if (!include(n)) {
        turnAway(n);
        continue;
      }
      (fresh ??= []).push(n);
    }
    if (!fresh && state) return;
    const room = Math.max(0, maxFeatures - names.length);
    const added = (fresh ?? []).slice(0, room);
    for (const n of (fresh ?? []).slice(room)) turnAway(n);
    if (added.length === 0 && state) return;
    const old = names.length;
    names = [...names, ...added];
    columns = new Map(names.map((n, i) => [n, i]));
    const next = initialState(card, names.length);
    if (state) {
      for (const [key, t] of Object.entries(next)) {
        const prev = state[key]!;
        const symbolic = card.inputs.find((i) => i.name === key)?.shape.some((d) => typeof d === 'string') ?? false; // not an input (the driver's own state): kept
        if (!symbolic) {
          next[key] = prev;
          continue;
        }
        const rows = t.data.length / names.length;
        for (let r = 0; r < rows; r++)
          next[key]!.data.set(prev.data.subarray(r * old, (r + 1) * old), r * names.length);
      }
    }
    state = next;
  }

  // The feature vector's buffer, reused every cycle (rebuilt when the feature count changes).
  let buffers: { x: Float32Array } | null = null;
  // the model's step, state updated in place with nothing made per step (stateful-model.ts); the top-k scratch
  const stepper = createStatefulStepper(card, session);
  const topScratch: number[] = [];

  /** Writes this reading into x (NaN = missing); returns the names neither placed nor turned away, if any. */
  function fill(features: Readonly<Record<string, number | null>>): string[] | null {
    if (buffers?.x.length !== names.length) buffers = { x: new Float32Array(names.length) };
    const { x } = buffers;
    x.fill(Number.NaN);
    let unseen: string[] | null = null;
    for (const n in features) {
      const i = columns.get(n);
      if (i === undefined) {
        if (!turnedAway.has(n)) (unseen ??= []).push(n);
        continue;
      }
      const v = features[n];
      if (typeof v === 'number') x[i] = v;
    }
    return unseen;
  }

  return {
    label,
    /** Feature names in column order. */
    get names(): readonly string[] {
      return names;
    },
    /** Runs one cycle. Features absent from this reading (or null) are fed as missing. */
    async step(features: Readonly<Record<string, number | null>>, tsMs?: number): Promise<AnomalyResult> {
      // one pass reads known features into x and notes unseen names; only a cycle that admits some reads twice
      let unseen = fill(features);
      if (unseen || !state) {
        admit(unseen);
        unseen = fill(features);
      }
      if (names.length === 0 || !state) return { score: 0, top: [] };
      const { x } = buffers!;
      const st = state;
      const fed = stepper.feed(x, st, tsMs);
      const outputs = await session.run(fed.feeds);
      stepper.apply(fed, st, outputs);
      const score = outputs.score?.data[0] ?? 0;
      const contributions = outputs.contributions?.data;
      const baseline = outputs.baseline?.data;
      const top: Explanation[] = [];
      if (contributions) {
        const count = topIndicesInto(contributions, topK, topScratch);
        for (let k = 0; k < count; k++) {
          const i = topScratch[k]!;
          const usual = baseline?.[i] ?? Number.NaN;
          const value = x[i]!;
          top.push({
            feature: names[i]!,
            contribution: contributions[i]!,
            value,
            usual,
            ratio: Number.isFinite(usual) && usual !== 0 ? value / usual : null,
          });
        }
      }
      return { score: Math.min(1, Math.max(0, score)), top };
    },
    /** Gets the session ready for this detector's feature count (the engine builds and warms up its plan), so the
     * next step does not pay for it; nothing to do before the first reading defines the features. */
    prepare(): void {
      if (!state || names.length === 0 || !session.prepare) return;
      const seasonal = seasonalSpec(card);
      const dims: Record<string, readonly number[]> = {};
      for (const name of session.inputNames) {
        dims[name] =
          name === 'x' ? [1, names.length] : seasonal?.input === name ? state[name]!.dims.slice(1) : state[name]!.dims;
      }
      session.prepare(dims);
    },
    /** Serializable state for the state file. */
    save(): AnomalyDetectorState {
      return { model: label, names: [...names], state: state ? snapshotState(state) : {} };
    },
  };
}

export type AnomalyDetector = ReturnType<typeof createAnomalyDetector>;

/** Indices of the `k` largest positive values, largest first (ties: lower index first); one pass, no sort of all F. */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  top.length = topIndicesInto(values, k, top);
  return top;
}

/** {@link topIndices} written into `top` (reused: its first entries, up to the count returned, are the answer); no
 * allocation once `top` has held `k` entries. */
function topIndicesInto(values: ArrayLike<number>, k: number, top: number[]): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v > 0) || (n === k && v <= values[top[k - 1]!]!)) continue;
    let at = n === k ? k - 1 : n;
    while (at > 0 && values[top[at - 1]!]! < v) at--;
    // shift down (the last one drops off when full), then insert
    for (let j = n === k ? k - 1 : n; j > at; j--) top[j] = top[j - 1]!;
    top[at] = i;
    if (n < k) n++;
  }
  return n;
}

/** Plain-language reason for a detection, e.g. "disk.sda.await_ms 14.2x its usual (usual 3.1, now 44)". */
export function explain(e: Explanation): string {
  const ratio =
    e.ratio === null ? 'away from its usual' : `${e.ratio >= 10 ? e.ratio.toFixed(0) : e.ratio.toFixed(1)}x its usual`;
  return `${e.feature} ${ratio} (usual ${round(e.usual)}, now ${round(e.value)})`;
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);
}
