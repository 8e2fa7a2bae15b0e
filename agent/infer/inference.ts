/**
 * The agent's inference stage (`collect → features → infer → heal → link`): runs the anomaly model every cycle and
 * the disk-failure model when SMART data changes, attaches scores and explanations to the telemetry, and keeps
 * per-host state on disk so a restart does not forget the baseline.
 *
 * Models come from the shipped files (models/anomaly/anomaly-multi, models/disk/disk-failure) or from a model the
 * control plane rolled out (`swap`), which is kept as the new last good one in `<stateDir>/models/<kind>/`.
 * A model that fails to load or errors falls back to the last good one and says so in an event; the agent never
 * stops collecting because of a model (`onCycle` never throws).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../../contract/models/card.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import { IncompatibleModelError } from '../../contract/errors.ts';
import { featureSchemaProblem } from '../../contract/models/feature-schemas.ts';
import type { AlertSettings } from '../../contract/models/alerting.ts';
import {
  createAnomalyDetector,
  explain,
  type AnomalyDetector,
  type AnomalyDetectorState,
  type Explanation,
} from './anomaly-detector.ts';
import { createAnomalyAlert, type AnomalyAlertState } from './alert-state.ts';
import {
  createDiskPredictor,
  type DiskPredictor,
  type DiskPredictorState,
  type DiskReading,
} from './disk-predictor.ts';
import type { InferenceEngine, ModelSession } from './engine.ts';
import { modelLabel, readModelFile, verdictPathFor, verifyModelBytes, type ModelFile } from './model-file.ts';
import { checkStatefulSession } from './stateful-model.ts';
import { readJson, writeJsonAtomic, writeJsonAtomicAsync } from './state-file.ts';
import { shippedModelPaths } from './models-dir.ts';

/** The two model slots an agent runs. */
export type ModelKind = 'anomaly' | 'disk';

/** An event for the outbox (the link assigns seq and ts). */
export type InferenceEvent = {
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  data: Record<string, unknown>;
};

/** What the stage adds to a sample (the `scores` of the wire Sample). */
export type InferenceScores = {
  anomaly?: {
    score: number;
    model: string;
    top: { feature: string; contribution: number; ratio: number | null }[];
    latencyUs: number;
  };
  disks?: { device: string; serial?: string; probability: number; model: string }[];
};

/** Options. Defaults: shipped models beside this repository, state saved every {@link SAVE_EVERY_CYCLES} cycles and
 * after every alert event, the fleet's default alert settings (contract/models/alerting.ts) until a policy set brings
 * its own (`configureAlerts`). */
export type InferenceOptions = {
  engine: InferenceEngine;
  stateDir: string;
  shipped?: Partial<Record<ModelKind, string>>;
  saveEvery?: number;
  alert?: AlertSettings;
  maxFeatures?: number;
  include?: (feature: string) => boolean;
};

/**
 * Cycles between routine saves of `<stateDir>/infer-state.json`: 30 (5 minutes at the default 10 s cycle, the anomaly
 * model's seasonal update interval). A kill -9 or power loss loses at most that many cycles of baseline learning
 * (the model's running averages, one seasonal update); the alert episode is saved right after each of its events
 * (`anomaly.started`, `anomaly.ended`), so a restart never reports an episode twice. A graceful stop saves at once.
 */
export const SAVE_EVERY_CYCLES = 30;

/** Paths of the models shipped with the agent (models-dir.ts). */
export const SHIPPED_MODELS: Record<ModelKind, string> = shippedModelPaths();

type Saved = { anomaly?: AnomalyDetectorState; disk?: DiskPredictorState; alert?: AnomalyAlertState };
type Slot = { file: ModelFile; session: ModelSession };

/** Words the top contributions of an alert event (made once, not per cycle). */
const explainTop = (top: readonly { feature: string }[]): string =>
  top
    .slice(0, 3)
    .map((e) => explain(e as Explanation))
    .join('; ');

/** Creates the inference stage; call `start()` before `onCycle`. */
export async function createInference(options: InferenceOptions) {
  const statePath = join(options.stateDir, 'infer-state.json');
  const modelDir = (kind: ModelKind) => join(options.stateDir, 'models', kind);
  const saveEvery = options.saveEvery ?? SAVE_EVERY_CYCLES;
  // the alert outlives model swaps (its episode is about the host, not the model); created at start() from saved state
  let alert = createAnomalyAlert(options.alert);
  const slots: Partial<Record<ModelKind, Slot>> = {};
  let anomaly: AnomalyDetector | null = null;
  let disk: DiskPredictor | null = null;
  let cycles = 0;
  const pending: InferenceEvent[] = [];

  const detectorOptions = {
    ...(options.maxFeatures ? { maxFeatures: options.maxFeatures } : {}),
    ...(options.include ? { include: options.include } : {}),
  };

  async function open(file: ModelFile): Promise<Slot> {
    const session = await options.engine.load(file.bytes, file.verdict === undefined ? {} : { verdict: file.verdict });
    return { file, session };
  }

  /** Binds a loaded model to its slot and prepares it (plan built and warmed up now, at load, not on a cycle). */
  function bind(kind: ModelKind, slot: Slot, saved: Saved): void {
    const problem = featureSchemaProblem(slot.file.card.featureSchemaVersion, kind);
    if (problem) throw new IncompatibleModelError(modelLabel(slot.file.card), problem);
    let prepare: () => void;
    if (kind === 'anomaly') {
      checkStatefulSession(slot.file.card, slot.session);
      const detector = createAnomalyDetector(slot.file.card, slot.session, detectorOptions, saved.anomaly);
      anomaly = detector;
      prepare = () => detector.prepare();
    } else {
      const predictor = createDiskPredictor(slot.file.card, slot.session, saved.disk);
      disk = predictor;
      prepare = () => predictor.prepare();
    }
    slots[kind] = slot;
    try {
      prepare();
    } catch {
      // a shape the engine cannot plan fails again on the run, where the auto engine moves to onnxruntime
    }
  }

  /** Loads the last good model of a kind (rolled out earlier), else the shipped one. */
  async function loadInitial(kind: ModelKind, saved: Saved): Promise<void> {
    const candidates = [join(modelDir(kind), 'model.onnx'), options.shipped?.[kind] ?? SHIPPED_MODELS[kind]];
    for (const path of candidates) {
      if (!existsSync(path)) continue;
      try {
        bind(kind, await open(await readModelFile(path)), saved);
        return;
      } catch (err) {
        pending.push(
          eventBody('model.load-failed', {
            severity: 'warning',
            message: `${kind} model at ${path}: ${(err as Error).message}`,
            data: { kind, path },
          }),
        );
      }
    }
    pending.push(
      eventBody('model.unavailable', {
        severity: 'warning',
        message: `no usable ${kind} model; running without it`,
        data: { kind },
      }),
    );
  }

  function snapshot(): Saved {
    const a = anomaly as AnomalyDetector | null;
    const d = disk as DiskPredictor | null;
    return { anomaly: a?.save(), disk: d?.save(), alert: alert.save() };
  }
  function save(): void {
    writeJsonAtomic(statePath, snapshot());
  }
  /** Saves after this cycle, off it: a fsync took 10-25 ms on a busy disk, which was the stage's p99. A failure is
   * reported with the next cycle's events. Asked again while a save is under way, it saves once more after it (that
   * save's snapshot may predate an alert event). */
  let saving: Promise<void> | null = null;
  let saveAgain = false;
  function saveLater(): void {
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await writeJsonAtomicAsync(statePath, snapshot());
    })()
      .catch((err: unknown) => {
        pending.push(
          eventBody('infer.state-save-failed', { severity: 'warning', message: (err as Error).message, data: {} }),
        );
      })
      .finally(() => {
        saving = null;
        if (saveAgain) {
          saveAgain = false;
          saveLater();
        }
      });
  }

  return {
    /** Loads models and saved state. Never throws for a bad model (reports it in the next cycle's events). */
    async start(): Promise<void> {
      const saved = readJson<Saved>(statePath) ?? {};
      alert = createAnomalyAlert(alert.settings(), saved.alert);
      await loadInitial('anomaly', saved);
      await loadInitial('disk', saved);
    },

    /** Applies the alert settings of a new policy set (or the fleet defaults); an episode in progress continues. */
    configureAlerts(settings: AlertSettings): void {
      alert.configure(settings);
    },

    /** The alert settings in force. */
    alertSettings(): AlertSettings {
      return alert.settings();
    },

    /** Whether the host is in an anomaly alert episode now. */
    alerting(): boolean {
      return alert.active();
    },

    /** `name@version` of the running models (for the `state` message). */
    versions(): Record<string, string> {
      const v: Record<string, string> = {};
      for (const [kind, slot] of Object.entries(slots)) v[kind] = modelLabel(slot.file.card);
      return v;
    },

    /** Which engine runs each loaded model (the auto engine's choice, and why). */
    engines(): Record<string, { engine: string; note?: string }> {
      const e: Record<string, { engine: string; note?: string }> = {};
      for (const [kind, slot] of Object.entries(slots))
        e[kind] = {
          engine: slot.session.engine ?? options.engine.name,
          ...(slot.session.engineNote ? { note: slot.session.engineNote } : {}),
        };
      return e;
    },

    /** Scores one cycle. Never throws: a failing model is reported and skipped. */
    async onCycle(reading: {
      ts: number;
      features: Readonly<Record<string, number | null>>;
      disks?: readonly DiskReading[];
    }): Promise<{ scores: InferenceScores; events: InferenceEvent[] }> {
      const events = pending.splice(0);
      const scores: InferenceScores = {};
      let alertChanged = false;
      const a = anomaly as AnomalyDetector | null;
      if (a) {
        try {
          const t0 = performance.now();
          const r = await a.step(reading.features, reading.ts);
          const latencyUs = Math.round((performance.now() - t0) * 1000);
          scores.anomaly = {
            score: r.score,
            model: a.label,
            top: r.top.map((e) => ({ feature: e.feature, contribution: e.contribution, ratio: e.ratio })),
            latencyUs,
          };
          const alertEvents = alert.step({
            ts: reading.ts,
            score: r.score,
            model: a.label,
            top: r.top,
            explain: explainTop,
          });
          if (alertEvents.length > 0) {
            events.push(...alertEvents);
            alertChanged = true;
          }
        } catch (err) {
          events.push(
            eventBody('model.error', {
              severity: 'warning',
              message: `anomaly model ${a.label}: ${(err as Error).message}`,
              data: { kind: 'anomaly', model: a.label },
            }),
          );
        }
      }
      const d = disk as DiskPredictor | null;
      if (d && reading.disks && reading.disks.length > 0) {
        try {
          scores.disks = (await d.update(reading.disks, reading.ts)).map(({ day: _day, ...p }) => p);
        } catch (err) {
          events.push(
            eventBody('model.error', {
              severity: 'warning',
              message: `disk model ${d.label}: ${(err as Error).message}`,
              data: { kind: 'disk', model: d.label },
            }),
          );
        }
      }
      if (++cycles % saveEvery === 0 || alertChanged) saveLater();
      return { scores, events };
    },

    /**
     * Swaps in a model rolled out by the control plane (bytes already signature-checked by the caller): verifies the
     * hash against the card, loads it, checks its inputs; on success keeps it as the new last good model. On any
     * failure the running model stays and the error is thrown for the caller to report.
     */
    async swap(kind: ModelKind, bytes: Uint8Array, card: ModelCard, verdict?: unknown): Promise<string> {
      verifyModelBytes(card, bytes);
      const slot = await open({ card, bytes, path: '(rollout)', ...(verdict === undefined ? {} : { verdict }) });
      const previous = slots[kind];
      const saved: Saved = {
        anomaly: (anomaly as AnomalyDetector | null)?.save(),
        disk: (disk as DiskPredictor | null)?.save(),
      };
      try {
        bind(kind, slot, saved);
      } catch (err) {
        if (previous) bind(kind, previous, saved);
        await slot.session.release();
        throw err;
      }
      mkdirSync(modelDir(kind), { recursive: true, mode: 0o700 });
      writeFileSync(join(modelDir(kind), 'model.onnx.tmp'), bytes);
      writeFileSync(join(modelDir(kind), 'model.card.json'), JSON.stringify(card, null, 2));
      // the signed verdict, kept beside the model in this private dir so a restart runs it as it runs now
      const verdictPath = verdictPathFor(join(modelDir(kind), 'model.onnx'));
      if (verdict === undefined) rmSync(verdictPath, { force: true });
      else writeFileSync(verdictPath, JSON.stringify(verdict));
      copyFileSync(join(modelDir(kind), 'model.onnx.tmp'), join(modelDir(kind), 'model.onnx'));
      if (previous && previous !== slot) await previous.session.release();
      return modelLabel(card);
    },

    /** Saves state and releases sessions. */
    async stop(): Promise<void> {
      saveAgain = false; // the save below covers it
      await saving;
      try {
        save();
      } finally {
        for (const slot of Object.values(slots)) await slot.session.release();
      }
    },
  };
}

export type Inference = Awaited<ReturnType<typeof createInference>>;
