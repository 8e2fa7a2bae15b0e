/**
 * The rollout state machine (pure, clock passed in). A rollout sends one version to its waves in order; after each
 * wave it soaks for `soakMs`, then asks the health gate. Pass → next wave (or completed); fail → halted, and with
 * `autoRollback` (model rollouts) the treated hosts are sent the previous version; no verdict after `ackTimeoutMs`
 * beyond the soak (hosts never acknowledged) → halted. The shell persists the state and performs the actions.
 */
import { evaluateGate, type GateResult, type GateThresholds, type GroupHealth } from './health-gate.ts';
import { dropCordonedFromWave, namedHosts, withoutCordoned } from './cordon-skip.ts';

/** What is rolled out: a policy set, a model, or the agent itself (its own version). */
export type RolloutKindName = 'policy' | 'model' | 'agent';

/** Rollout lifecycle. */
export type RolloutStatus = 'pending' | 'soaking' | 'completed' | 'halted' | 'rolled-back' | 'cancelled';

/** Persisted rollout state; JSON-serialisable. */
export interface RolloutState {
  id: string;
  kind: RolloutKindName;
  /** Policy id or model name. */
  subject: string;
  version: string;
  previousVersion: string | null;
  waves: string[][];
  /** Index of the wave being soaked; -1 before the first is sent. */
  wave: number;
  status: RolloutStatus;
  waveStartedAt: number | null;
  soakMs: number;
  ackTimeoutMs: number;
  autoRollback: boolean;
  thresholds: GateThresholds;
  history: { at: number; event: string; detail?: string }[];
  /** A rollback (or roll forward) sent to every target at once: done when every host acknowledges it (rollback-ack.ts). */
  rollback?: boolean;
  /** Target hosts left out because they were cordoned: at planning, or when their wave (or a rollback) was due. */
  skippedCordoned?: string[];
  /** Each wave's outcome, frozen when its gate decided (pass or fail): later host changes never rewrite it. */
  waveResults?: WaveResult[];
}

/** One wave's outcome as its health gate saw it: how many of its hosts had acknowledged the version, and when. */
export interface WaveResult {
  wave: number;
  verdict: 'pass' | 'fail';
  hosts: number;
  acknowledged: number;
  at: number;
}

/** What the shell must do after a step. */
export type RolloutAction =
  | { type: 'send'; wave: number; hosts: string[]; version: string }
  | { type: 'rollback'; hosts: string[]; toVersion: string | null; reasons: string[] }
  | { type: 'halted'; reasons: string[] }
  | { type: 'completed' };

/** What the gate needs about the hosts sent so far (treated) and the rest of the target (baseline). */
export interface WaveObservation {
  treated: GroupHealth;
  baseline: GroupHealth;
  applyFailures: number;
  /** Treated hosts that acknowledged the new version (frozen per wave in {@link WaveResult}). */
  acknowledged: string[];
}

/** Options for {@link createRolloutState}; defaults: soak 10 min, ack timeout 10 min, no auto rollback. */
export interface RolloutInit {
  id: string;
  kind: RolloutKindName;
  subject: string;
  version: string;
  previousVersion: string | null;
  waves: string[][];
  soakMs?: number;
  ackTimeoutMs?: number;
  autoRollback?: boolean;
  thresholds?: GateThresholds;
  rollback?: boolean;
  /** Hosts the selector matched that were left out of the waves because they are cordoned. */
  skippedCordoned?: string[];
}

/** A fresh pending rollout. */
export function createRolloutState(init: RolloutInit, now: number): RolloutState {
  return {
    ...init,
    waves: init.waves.filter((w) => w.length > 0),
    wave: -1,
    status: 'pending',
    waveStartedAt: null,
    soakMs: init.soakMs ?? 600_000,
    ackTimeoutMs: init.ackTimeoutMs ?? 600_000,
    autoRollback: init.autoRollback ?? false,
    thresholds: init.thresholds ?? {},
    history: [
      { at: now, event: 'created' },
      ...(init.skippedCordoned?.length
        ? [{ at: now, event: 'cordoned host(s) skipped: not planned', detail: namedHosts(init.skippedCordoned) }]
        : []),
    ],
  };
}

/** Hosts that have been sent the new version so far. */
export function treatedHosts(s: RolloutState): string[] {
  return s.waves.slice(0, s.wave + 1).flat();
}

/**
 * Advances the rollout. `observe` is called only when a soak has elapsed; `cordoned` hosts are not sent a wave or a
 * rollback (cordon-skip.ts). Returns the new state (input untouched) and the actions to perform, plus the gate result
 * when one was evaluated.
 */
export function stepRollout(
  s0: RolloutState,
  now: number,
  observe: (treated: string[]) => WaveObservation,
  cordoned: ReadonlySet<string> = new Set(),
): { state: RolloutState; actions: RolloutAction[]; gate?: GateResult } {
  const s: RolloutState = { ...s0, history: [...s0.history] };
  if (s.status === 'pending') {
    if (s.waves.length === 0) {
      const n = s.skippedCordoned?.length ?? 0;
      return finish(s, now, 'completed', [{ type: 'completed' }], `no target hosts${n ? ` (${n} cordoned)` : ''}`);
    }
    return sendWave(s, 0, now, cordoned);
  }
  if (s.status !== 'soaking' || s.waveStartedAt === null || now - s.waveStartedAt < s.soakMs)
    return { state: s, actions: [] };
  const obs = observe(treatedHosts(s));
  const gate = evaluateGate(obs.treated, obs.baseline, obs.applyFailures, s.thresholds);
  if (gate.verdict === 'insufficient') {
    if (now - s.waveStartedAt < s.soakMs + s.ackTimeoutMs) return { state: s, actions: [], gate };
    const reasons = [
      `wave ${s.wave} not acknowledged within ${Math.round(s.ackTimeoutMs / 1000)} s: ${gate.reasons.join('; ')}`,
    ];
    recordWave(s, now, 'fail', obs.acknowledged);
    return { ...finish(s, now, 'halted', [{ type: 'halted', reasons }], reasons.join('; ')), gate };
  }
  recordWave(s, now, gate.verdict, obs.acknowledged);
  if (gate.verdict === 'fail') {
    const actions: RolloutAction[] = [{ type: 'halted', reasons: gate.reasons }];
    if (s.autoRollback) {
      const hosts = withoutCordoned(s, treatedHosts(s), cordoned, now, 'rollback');
      actions.push({ type: 'rollback', hosts, toVersion: s.previousVersion, reasons: gate.reasons });
      return { ...finish(s, now, 'rolled-back', actions, gate.reasons.join('; ')), gate };
    }
    return { ...finish(s, now, 'halted', actions, gate.reasons.join('; ')), gate };
  }
  s.history.push({ at: now, event: `wave ${s.wave} passed the health gate` });
  if (s.wave + 1 >= s.waves.length) return { ...finish(s, now, 'completed', [{ type: 'completed' }]), gate };
  return { ...sendWave(s, s.wave + 1, now, cordoned), gate };
}

/** Marks a rollout cancelled (e.g. superseded by a rollback); no actions. */
export function cancelRollout(s: RolloutState, now: number, why: string): RolloutState {
  if (s.status === 'completed' || s.status === 'halted' || s.status === 'rolled-back' || s.status === 'cancelled')
    return s;
  return { ...s, status: 'cancelled', history: [...s.history, { at: now, event: 'cancelled', detail: why }] };
}

/** Sends wave `wave` without its cordoned hosts; a wave left empty is passed over (every one left: completed). */
function sendWave(
  s: RolloutState,
  first: number,
  now: number,
  cordoned: ReadonlySet<string>,
): { state: RolloutState; actions: RolloutAction[] } {
  let wave = first;
  while (wave < s.waves.length && dropCordonedFromWave(s, wave, cordoned, now).length === 0) wave++;
  if (wave >= s.waves.length)
    return finish(s, now, 'completed', [{ type: 'completed' }], 'every remaining target host is cordoned');
  s.wave = wave;
  s.status = 'soaking';
  s.waveStartedAt = now;
  s.history.push({ at: now, event: `wave ${wave} sent`, detail: `${s.waves[wave]!.length} host(s)` });
  return { state: s, actions: [{ type: 'send', wave, hosts: s.waves[wave]!, version: s.version }] };
}

/** Freezes the current wave's outcome ({@link WaveResult}); `s` is the step's own copy. */
function recordWave(s: RolloutState, now: number, verdict: WaveResult['verdict'], acknowledged: string[]): void {
  const hosts = s.waves[s.wave] ?? [];
  const acked = new Set(acknowledged);
  const result = { wave: s.wave, verdict, hosts: hosts.length, acknowledged: hosts.filter((h) => acked.has(h)).length };
  s.waveResults = [...(s.waveResults ?? []), { ...result, at: now }];
}

function finish(s: RolloutState, now: number, status: RolloutStatus, actions: RolloutAction[], detail?: string) {
  s.status = status;
  s.history.push(detail === undefined ? { at: now, event: status } : { at: now, event: status, detail });
  return { state: s, actions };
}
