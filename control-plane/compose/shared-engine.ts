/**
 * One loaded model per version for many simulated agents in one process (the demo fleet, demo-fleet.ts): an inference
 * engine that loads each model (its bytes' sha256 and the verdict it comes with) once on the engine it wraps and hands
 * every agent a view of that one session. Without it each demo agent parsed, planned and warmed up (js/plan.ts: up to
 * a second of V8 optimizing per plan, on the event loop) its own copy of the same two models: ~0.9 s per agent.
 *
 * The session is read-only to its users: a model's state lives in each agent's detector (stateful-model.ts), not in the
 * session. What is not shared is the output buffers: the JS engine rotates preallocated outputs (engine.ts promises an
 * output for the session's next two runs), and another agent's runs would overwrite them, so a view copies each run's
 * outputs. A view's `release` releases the session when the last view of it is released.
 */
import { sha256Hex } from '../../contract/models/card.ts';
import type { InferenceEngine, LoadOptions, ModelSession, Tensor } from '../../agent/infer/engine.ts';

/** The shared engine; `loaded()` counts the sessions loaded now (one per model version in use). */
export type SharedEngine = InferenceEngine & { loaded(): number };

type Entry = { session: Promise<ModelSession>; users: number };

/** Wraps `inner` so that each model version is loaded once and shared. A failed load is not kept (the next tries again). */
export function createSharedEngine(inner: InferenceEngine): SharedEngine {
  const entries = new Map<string, Entry>();
  const keyOf = (bytes: Uint8Array, options: LoadOptions) =>
    `${sha256Hex(bytes)}|${options.verdict === undefined ? '' : JSON.stringify(options.verdict)}`;

  async function releaseOne(key: string, entry: Entry): Promise<void> {
    if (--entry.users > 0) return;
    if (entries.get(key) === entry) entries.delete(key);
    await (await entry.session).release();
  }

  return {
    name: inner.name,
    ...(inner.id ? { id: inner.id } : {}),
    loaded: () => entries.size,
    async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<ModelSession> {
      const key = keyOf(bytes, options);
      let entry = entries.get(key);
      if (!entry) {
        const created: Entry = { session: inner.load(bytes, options), users: 0 };
        created.session.catch(() => {
          if (entries.get(key) === created) entries.delete(key);
        });
        entries.set(key, (entry = created));
      }
      entry.users++;
      let session: ModelSession;
      try {
        session = await entry.session;
      } catch (err) {
        entry.users--;
        throw err;
      }
      const held = entry;
      let released = false;
      return viewOf(session, async () => {
        if (released) return;
        released = true;
        await releaseOne(key, held);
      });
    },
  };
}

/** One user's view: the shared session with outputs copied, and its own release. */
function viewOf(session: ModelSession, release: () => Promise<void>): ModelSession {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    get engine() {
      return session.engine;
    },
    get engineNote() {
      return session.engineNote;
    },
    ...(session.prepare ? { prepare: (dims, options) => session.prepare?.(dims, options) } : {}),
    async run(feeds) {
      const out = await session.run(feeds);
      const copy: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(out)) copy[name] = { data: t.data.slice(), dims: [...t.dims] };
      return copy;
    },
    release,
  };
}
