/**
 * Inference engine in plain JavaScript for small streaming ONNX graphs (the anomaly model: ~90 elementwise nodes on
 * tens of features). It runs the same `.onnx` bytes as onnxruntime: the graph is decoded, checked against the ops it
 * supports (js/plan.ts) and planned once per input shape; a run is a list of typed-array loops on the calling thread.
 *
 * Why it exists: onnxruntime-node costs ~10 µs per call plus ~0.3–1 µs per node before any arithmetic, and defers
 * each run to the next event-loop turn (`setImmediate`), so this model's p99 there is 200+ µs (`npm run bench:infer`)
 * against a target of 50 µs (issue 4). Here the same graph runs in a few microseconds. Results agree with onnxruntime
 * within 1e-5 (js-engine.test.ts, both shipped models over thousands of stateful steps), and `createAutoEngine`
 * (auto-engine.ts) prefers this engine for a model only with a verdict of that agreement for this engine's build
 * (`JS_ENGINE_ID`): signed by the control plane, shipped beside the model, or reached by a probe at load.
 *
 * A plan is built and warmed up (js/plan.ts) when the model is loaded (`prepare`), not on the agent's cycle. A run
 * with input dims no plan covers (the anomaly model's first cycle on a new host, or a new feature) builds a cold plan
 * (a few ms) and warms it up on a later event-loop turn, after the cycle that needed it.
 */
import { readModelProto } from '../../contract/models/model-proto.ts';
import { ModelError } from '../../contract/errors.ts';
import type { InferenceEngine, ModelSession, Tensor } from './engine.ts';
import { GraphError } from './js/graph-error.ts';
import { checkGraph } from './js/graph-check.ts';
import { buildPlan, type Plan } from './js/plan.ts';

/**
 * The build of this engine that verdicts name (contract/models/verdict.ts). Bump it whenever the engine's arithmetic
 * may change: any change to js-engine.ts, probe.ts or js/*.ts. js-engine-id.test.ts pins a hash of those sources
 * to this string, so a change without a bump fails the test; the control plane and the agent compare this string.
 */
export const JS_ENGINE_ID = 'js/3';

/** Plans kept per model (one per distinct input shape; the anomaly model changes shape only when features are added). */
const MAX_PLANS = 4;

/** Options: `warmupMs` bounds the warm-up of each plan (default 150 ms; 0 = none); `defer` runs the warm-up of a
 * plan built during a run later (default: the next timer turn, not holding the process open). */
export type JsEngineOptions = { warmupMs?: number; defer?: (warmUp: () => void) => void };

const laterTimer = (fn: () => void): void => void setTimeout(fn, 0).unref();

/** Creates the JS engine. `load` throws ModelError for a graph it cannot run (an op it does not support, say). */
export function createJsEngine(options: JsEngineOptions = {}): InferenceEngine {
  const warmupMs = options.warmupMs ?? 150;
  const defer = options.defer ?? laterTimer;
  return {
    name: 'js',
    id: JS_ENGINE_ID,
    async load(bytes: Uint8Array): Promise<ModelSession> {
      let model: ReturnType<typeof readModelProto>;
      try {
        model = readModelProto(bytes);
      } catch (err) {
        throw new ModelError('(js engine)', `not an ONNX model: ${(err as Error).message}`);
      }
      const label = model.graph.name || '(unnamed graph)';
      const wrap = (err: unknown): never => {
        throw err instanceof GraphError ? new ModelError(label, err.reason) : err;
      };
      let consts: ReturnType<typeof checkGraph>;
      try {
        consts = checkGraph(model);
      } catch (err) {
        return wrap(err);
      }
      const inputNames = model.graph.input.map((i) => i.name).filter((n) => !consts.has(n));
      const declared = new Map(model.graph.input.map((i) => [i.name, i.type?.tensor_type?.shape?.dim ?? []]));
      const plans = new Map<string, Plan>();
      const data: Record<string, Float32Array> = {};
      // the plan of the previous run and its input dims: a stream keeps its shape, so most runs skip the lookup
      let last: { plan: Plan; dims: (readonly number[])[] } | null = null;
      /** The plan for these dims; a new one is warmed up now (`warm`), later (`'later'`) or not at all. */
      // (`source`/`pick` rather than a closure: a run allocates nothing here)
      type DimsPick<S> = (source: S, name: string) => readonly number[];
      const planFor = <S>(source: S, pick: DimsPick<S>, warm: boolean | 'later'): Plan => {
        if (last && inputNames.every((name, k) => sameDims(pick(source, name), last!.dims[k]!))) return last.plan;
        const dims = inputNames.map((name) => [...pick(source, name)]);
        const key = dims.map((d) => d.join('x')).join(';');
        let plan = plans.get(key);
        if (!plan) {
          let built: Plan;
          try {
            built = buildPlan(model, consts, Object.fromEntries(inputNames.map((n, k) => [n, dims[k]!])));
          } catch (err) {
            return wrap(err);
          }
          if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
          plans.set(key, (plan = built));
          if (warm === true) built.warmUp(warmupMs);
          // only while the plan is still in use: a released session or an evicted plan is not warmed
          else if (warm === 'later' && warmupMs > 0) {
            defer(() => {
              if (plans.get(key) === built) built.warmUp(warmupMs);
            });
          }
        }
        last = { plan, dims };
        return plan;
      };
      return {
        inputNames,
        outputNames: model.graph.output.map((o) => o.name),
        prepare(dims, prepareOptions = {}) {
          for (const name of inputNames) {
            if (!dims[name]) {
              throw new ModelError(label, `prepare: no dims for input '${name}' (inputs: ${inputNames.join(', ')})`);
            }
          }
          planFor(dims, dimsOf, prepareOptions.warm ?? true);
        },
        async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
          for (const name of inputNames) {
            const t = feeds[name];
            if (!t) throw new ModelError(label, `input '${name}' was not fed (inputs: ${inputNames.join(', ')})`);
            const want = declared.get(name)!;
            if (
              t.dims.length !== want.length ||
              want.some((d, i) => (d.dim_value ?? 0) > 0 && d.dim_value !== t.dims[i])
            ) {
              throw new ModelError(
                label,
                `input '${name}' has dims [${t.dims.join(', ')}], the model declares [${want.map((d) => d.dim_param || d.dim_value).join(', ')}]`,
              );
            }
            data[name] = t.data;
          }
          const plan = planFor(feeds, tensorDimsOf, 'later');
          try {
            return plan.run(data);
          } catch (err) {
            return wrap(err);
          }
        },
        async release() {
          plans.clear();
        },
      };
    },
  };
}

const dimsOf = (dims: Readonly<Record<string, readonly number[]>>, name: string) => dims[name]!;
const tensorDimsOf = (feeds: Readonly<Record<string, Tensor>>, name: string) => feeds[name]!.dims;

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
