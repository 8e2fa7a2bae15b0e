/**
 * The pure healing core: `decide(observation, policies, guardState, now, env)` → actions to run, decisions to
 * journal, and the next guard state. No I/O, no clock: everything comes in as arguments.
 *
 * Per policy (highest priority first): evaluate `when` → open/close the incident → settle a pending verify →
 * local permit → pause → maxAttempts (escalate) → cooldown → maxRunsPerHour → priority conflict → approval →
 * dry run → execute.
 */
import type { HealConfig } from './config.ts';
import type { Policy } from '../../contract/policy/schema.ts';
import { selectorMatches } from '../../contract/policy/schema.ts';
import { isProtectedName } from '../../contract/policy/lint.ts';
import type { GuardState, PolicyGuard } from './guard-state.ts';
import { cloneGuardState, emptyPolicyGuard } from './guard-state.ts';
import {
  evaluate,
  MAX_REGEX_TESTS_PER_CYCLE,
  newMatchBudget,
  processMatches,
  type MatchBudget,
  type ProcessTarget,
  type EvalContext,
} from './evaluate.ts';
import type { Decision, PlannedAction } from './decision.ts';
import { targetKeys } from './decision.ts';
import { refusals } from './permit.ts';
import type { Observation } from './types.ts';
import { processesOf } from './types.ts';

const HOUR = 3_600_000;
/** Actions that only talk to the control plane; a fleet pause never stops them. */
const ESSENTIAL = new Set(['notify', 'cordon']);

/** What decide needs besides the observation: host labels, link state and the local allow-list. */
export interface DecideEnv {
  labels: Record<string, string>;
  connected: boolean;
  config: Pick<
    HealConfig,
    'allowedActions' | 'allowedDirs' | 'scriptsDir' | 'protectedProcesses' | 'approvalOfflineFallback'
  > & { scriptEnv?: readonly string[] };
  /** Never killed: pid 1, the agent and its ancestors (the shell re-checks). */
  protectedPids: number[];
  /** Never killed, by comm name. */
  protectedNames: string[];
}

export interface DecideResult {
  actions: PlannedAction[];
  decisions: Decision[];
  nextGuardState: GuardState;
}

/** Is this action type paused by the control plane at `now`? */
export function isPaused(state: GuardState, type: string, now: number): boolean {
  const p = state.pause;
  if (!p || (p.until !== null && p.until <= now) || ESSENTIAL.has(type)) return false;
  return p.actions.length === 0 || p.actions.includes(type);
}

function resolveActions(
  p: Policy,
  pg: PolicyGuard,
  matched: ProcessTarget[],
  obs: Observation,
  env: DecideEnv,
  budget: MatchBudget,
): PlannedAction[] {
  const inc = pg.incident!;
  const attempt = inc.attempts + 1;
  const out: PlannedAction[] = [];
  p.do.forEach((spec, index) => {
    const base = { id: `${inc.id}/${attempt}/${index}`, policy: p.name, incident: inc.id, attempt, index, spec };
    if (spec.type !== 'kill-process') {
      out.push(base);
      return;
    }
    const byPid = new Map(processesOf(obs).map((x) => [x.pid, x]));
    const candidates = spec.match
      ? processesOf(obs).filter((x) => processMatches(x, spec.match!, budget))
      : matched.map((t) => byPid.get(t.pid) ?? { ...t, cpuPct: null, rssBytes: 0 });
    const targets = candidates
      .filter(
        (x) =>
          x.runtimeS * 1000 >= spec.minRuntime &&
          (spec.cpuPctAbove === undefined || (x.cpuPct !== null && x.cpuPct > spec.cpuPctAbove)) &&
          (spec.rssBytesAbove === undefined || x.rssBytes > spec.rssBytesAbove) &&
          !env.protectedPids.includes(x.pid) &&
          !isProtectedName(x.name, env.protectedNames),
      )
      .map((x) => ({ pid: x.pid, name: x.name, runtimeS: x.runtimeS }));
    if (targets.length > 0) out.push({ ...base, targets });
  });
  return out;
}

/** Runs every policy against the observation. Pure: same inputs, same outputs; `state` is not mutated. */
export function decide(
  obs: Observation,
  policies: readonly Policy[],
  state: GuardState,
  now: number,
  env: DecideEnv,
): DecideResult {
  const next = cloneGuardState(state);
  const nextSince: Record<string, number> = {};
  const decisions: Decision[] = [];
  const actions: PlannedAction[] = [];
  const claimed = new Map<string, string>();
  const budget = newMatchBudget();
  const ctx: EvalContext = { obs, now, since: state.since, nextSince, budget };
  if (next.pause && next.pause.until !== null && next.pause.until <= now) {
    next.pause = null;
    decisions.push({ kind: 'resumed', policy: '', reason: 'pause expired' });
  }
  const order = [...policies]
    .filter((p) => p.enabled && selectorMatches(p.selector, env.labels))
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const live = new Set(order.map((p) => p.name));
  for (const name of Object.keys(next.policies)) if (!live.has(name)) delete next.policies[name];

  for (const p of order) {
    const pg = (next.policies[p.name] ??= emptyPolicyGuard());
    budget.exhausted = false; // set again by any regex test of this policy's conditions the budget refused
    const when = evaluate(p.when, ctx, `${p.name}/when`);
    const verifyHolds = p.guards.verify ? evaluate(p.guards.verify.condition, ctx, `${p.name}/verify`).holds : false;
    const inc = () => ({ policy: p.name, incident: pg.incident?.id });
    const suppress = (guard: string, reason: string) => {
      if (pg.lastSuppressed !== guard) decisions.push({ kind: 'suppressed', ...inc(), guard, reason });
      pg.lastSuppressed = guard;
    };
    if (budget.exhausted) {
      // Some of its regex tests did not run: the verdict is unknown (a `not` around them would hold), so the policy
      // neither acts nor clears this cycle, and says why once.
      suppress(
        'match-budget',
        `the cycle's ${MAX_REGEX_TESTS_PER_CYCLE} regular-expression tests ran out before its conditions were decided`,
      );
      continue;
    }

    if (pg.verify) {
      if (verifyHolds) {
        decisions.push({ kind: 'verified', ...inc(), attempt: pg.verify.attempt });
        pg.verify = null;
        pg.incident = null;
        pg.lastSuppressed = null;
        continue;
      }
      if (now < pg.verify.deadline) {
        if (when.holds) suppress('verify-pending', 'waiting for the verify condition');
        continue;
      }
      decisions.push({
        kind: 'verify-failed',
        ...inc(),
        attempt: pg.verify.attempt,
        reason: `verify condition did not hold within ${p.guards.verify?.within ?? 0} ms`,
      });
      pg.verify = null;
    }

    if (!when.holds) {
      if (pg.incident) decisions.push({ kind: 'cleared', ...inc() });
      if (pg.approval) {
        decisions.push({ kind: 'approval-withdrawn', ...inc(), requestId: pg.approval });
        delete next.approvals[pg.approval];
      }
      pg.incident = null;
      pg.approval = null;
      pg.lastSuppressed = null;
      continue;
    }
    if (!pg.incident) {
      pg.incident = { id: `${p.name}#${++next.counter}`, openedAt: now, attempts: 0, escalated: false, denied: false };
      decisions.push({ kind: 'matched', ...inc() });
    }
    const incident = pg.incident;
    if (incident.escalated || incident.denied) continue;

    const refused = refusals(p, env.config);
    if (refused.length) {
      // defence in depth: applyPolicySet already refuses these, this catches a config changed underneath
      if (pg.lastSuppressed !== 'local-config')
        decisions.push({
          kind: 'refused',
          ...inc(),
          guard: 'local-config',
          reason: refused.map((r) => `do.${r.action}: ${r.reason}`).join('; '),
        });
      pg.lastSuppressed = 'local-config';
      continue;
    }
    const paused = p.do.find((a) => isPaused(next, a.type, now));
    if (paused) {
      suppress('paused', `'${paused.type}' paused by the control plane: ${next.pause?.reason ?? ''}`);
      continue;
    }
    if (p.guards.maxAttempts !== undefined && incident.attempts >= p.guards.maxAttempts) {
      incident.escalated = true;
      decisions.push({
        kind: 'escalated',
        ...inc(),
        reason: `${incident.attempts} attempt(s) did not heal it (maxAttempts ${p.guards.maxAttempts}); no more tries until it clears`,
      });
      continue;
    }
    if (pg.lastRunAt !== null && now - pg.lastRunAt < p.guards.cooldown) {
      suppress('cooldown', `last run ${now - pg.lastRunAt} ms ago, cooldown ${p.guards.cooldown} ms`);
      continue;
    }
    pg.runs = pg.runs.filter((t) => now - t < HOUR);
    if (p.guards.maxRunsPerHour !== undefined && pg.runs.length >= p.guards.maxRunsPerHour) {
      suppress('hourly-limit', `${pg.runs.length} runs in the last hour (max ${p.guards.maxRunsPerHour})`);
      continue;
    }

    const planned = resolveActions(p, pg, when.processes, obs, env, budget);
    if (planned.length === 0) {
      suppress('no-target', 'no process left to act on (all protected or gone)');
      continue;
    }
    const conflict = planned.flatMap(targetKeys).find((k) => claimed.has(k));
    if (conflict) {
      suppress('priority', `target ${conflict} taken by higher-priority policy '${claimed.get(conflict)}'`);
      continue;
    }

    if (p.guards.requireApproval) {
      const req = pg.approval ? next.approvals[pg.approval] : undefined;
      const offlineSkip = !env.connected && env.config.approvalOfflineFallback === 'skip-and-escalate';
      if (!req || req.status === 'pending') {
        if (offlineSkip) {
          if (req) {
            delete next.approvals[req.requestId];
            pg.approval = null;
          }
          incident.escalated = true;
          decisions.push({
            kind: 'escalated',
            ...inc(),
            guard: 'approval',
            reason: 'approval needed but the control plane is unreachable (approvalOfflineFallback: skip-and-escalate)',
          });
          continue;
        }
        if (!req) {
          const requestId = `${incident.id}/${incident.attempts + 1}`;
          next.approvals[requestId] = {
            requestId,
            policy: p.name,
            incident: incident.id,
            createdAt: now,
            status: 'pending',
          };
          pg.approval = requestId;
          pg.lastSuppressed = 'awaiting-approval';
          decisions.push({
            kind: 'approval-requested',
            ...inc(),
            requestId,
            actions: planned.map((a) => ({ type: a.spec.type, targets: a.targets })),
          });
        } else suppress('awaiting-approval', `request ${req.requestId} pending`);
        for (const k of planned.flatMap(targetKeys)) claimed.set(k, p.name);
        continue;
      }
      delete next.approvals[req.requestId];
      pg.approval = null;
    }

    for (const k of planned.flatMap(targetKeys)) claimed.set(k, p.name);
    pg.lastRunAt = now;
    pg.runs.push(now);
    pg.lastSuppressed = null;
    const summary = planned.map((a) => ({ type: a.spec.type, targets: a.targets }));
    if (p.guards.dryRun) {
      decisions.push({ kind: 'dry-run', ...inc(), actions: summary });
      continue;
    }
    incident.attempts += 1;
    decisions.push({ kind: 'execute', ...inc(), attempt: incident.attempts, actions: summary });
    actions.push(...planned);
    if (p.guards.verify)
      pg.verify = { startedAt: now, deadline: now + p.guards.verify.within, attempt: incident.attempts };
  }
  next.since = nextSince;
  return { actions, decisions, nextGuardState: next };
}
