/**
 * The healer: wires the pure core (decide, commands) to the shell (execute, journal, guard-state and
 * last-known-good policy files). One instance per agent; the agent runtime calls `onCycle` after each
 * collection and forwards `approval` / `pause` commands; every returned event goes to the outbox.
 *
 * ```ts
 * const healer = await createHealer({ config: loadHealConfig(cfg.heal) });
 * healer.applyPolicySet(text, 'yaml');            // { ok, events } — malformed sets keep the previous one
 * const events = await healer.onCycle(observation); // HealEvent[] (AgentEvent without seq)
 * ```
 */
import { join } from 'node:path';
import type { HealConfig } from './config.ts';
import { ALWAYS_PROTECTED, journalPath } from './config.ts';
import type { PolicySet } from '../../contract/policy/schema.ts';
import { ValidationError } from '../../contract/errors.ts';
import { agentEvent, OUTCOME_EVENT } from '../../contract/protocol/events.ts';
import { checkPolicyDocument } from './policy-document.ts';
import { decide, type DecideEnv } from './decide.ts';
import { applyApproval, applyPause, type ApprovalCommand, type PauseCommand } from './commands.ts';
import { decisionEvent, type Decision } from './decision.ts';
import type { GuardState } from './guard-state.ts';
import { execute, type ExecutedAction } from './execute.ts';
import type { ActionAudit, ActionContext } from './actions/context.ts';
import { noAudit } from './actions/context.ts';
import { ancestry } from './actions/proc.ts';
import { refusals } from './permit.ts';
import { openJournal, type Journal } from './journal.ts';
import { createGuardStateWriter, loadGuardState } from './state-store.ts';
import { loadPolicyCache, savePolicyCache } from './policy-cache.ts';
import type { ServiceManager } from './services/service-manager.ts';
import { createServiceManager, type Pid1Reader, type ServiceBackendChoice } from './services/choose.ts';
import type { HealEvent, Observation } from './types.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
export const systemClock: Clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface HealerOptions {
  config: HealConfig;
  /** Default: systemd when PID 1 is systemd, else the supervised backend over `config.services` (services/choose.ts). */
  serviceManager?: ServiceManager;
  /** Reads PID 1's command name for that choice (default `/proc/1/comm`). */
  readPid1?: Pid1Reader;
  /** Default: `openJournal` at `config.journal`. */
  journal?: Journal;
  /** Default: the system clock. */
  clock?: Clock;
  /** Signal port (default process.kill). */
  kill?: ActionContext['kill'];
  audit?: ActionAudit;
  /** Default process.pid. */
  selfPid?: number;
  procRoot?: string;
  /** Link state at start (default false: offline until the link says otherwise). */
  connected?: boolean;
}

export type ApplyResult =
  | { ok: true; version: string | null; active: number; refused: string[]; events: HealEvent[] }
  | { ok: false; error: ValidationError; events: HealEvent[] };

export interface Healer {
  /** Runs one healing cycle; returns the events for the outbox (already journaled). */
  onCycle(obs: Observation): Promise<HealEvent[]>;
  /** Validates and activates a policy document (text + format, or an already-decoded object). */
  applyPolicySet(doc: string | object, format?: 'yaml' | 'json'): ApplyResult;
  onApproval(cmd: ApprovalCommand): HealEvent[];
  onPause(cmd: PauseCommand): HealEvent[];
  setConnected(connected: boolean): void;
  /** The service manager backend restart-service uses, and why it was chosen. */
  serviceBackend(): ServiceBackendChoice;
  /** The active policy set (null before any was applied or cached). */
  policySet(): PolicySet | null;
  /**
   * Why the cached last-known-good set was not resumed at start-up (it failed validation or lint), or null. The
   * agent then starts without policies, reports this in an event and its `state` errors, and waits for a fix.
   */
  startupProblem(): string | null;
  guardState(): GuardState;
  close(): Promise<void>;
}

function outcomeEvent(x: ExecutedAction, ts: number): HealEvent[] {
  const { action: a, result: r } = x;
  const data = {
    policy: a.policy,
    incident: a.incident,
    attempt: a.attempt,
    action: a.spec.type,
    actionId: a.id,
    status: r.status,
    detail: r.detail,
    durationMs: x.durationMs,
    ...(r.data ?? {}),
  };
  delete (data as Record<string, unknown>).event;
  const severity = r.status === 'done' ? 'info' : 'warning';
  const out: HealEvent[] = [
    agentEvent(OUTCOME_EVENT[r.status], {
      ts,
      severity,
      message: `${a.spec.type} (policy '${a.policy}'): ${r.detail}`,
      data,
    }),
  ];
  const extra = r.data?.event as
    | { type: 'heal.cordon' | 'heal.notify'; severity: HealEvent['severity']; message: string }
    | undefined;
  if (extra && r.status === 'done')
    out.push(
      agentEvent(extra.type, {
        ts,
        severity: extra.severity,
        message: extra.message,
        data: { policy: a.policy, incident: a.incident },
      }),
    );
  return out;
}

/** Creates a healer: loads guard state and the last-known-good policy set from `config.stateDir`. */
export async function createHealer(opts: HealerOptions): Promise<Healer> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const statePath = join(config.stateDir, 'heal-guard-state.json');
  const cachePath = join(config.stateDir, 'heal-policies.json');
  const journal =
    opts.journal ??
    openJournal({ path: journalPath(config), maxBytes: config.journal.maxBytes, keep: config.journal.keep });
  const chosen = opts.serviceManager
    ? null
    : createServiceManager({
        services: config.services,
        stateDir: config.stateDir,
        ...(opts.readPid1 ? { readPid1: opts.readPid1 } : {}),
      });
  const serviceManager = opts.serviceManager ?? chosen!.manager;
  const serviceChoice: ServiceBackendChoice = chosen?.choice ?? {
    backend: serviceManager.backend,
    reason: 'given by the caller',
  };
  const selfPid = opts.selfPid ?? process.pid;
  const procRoot = opts.procRoot ?? '/proc';
  const ctx: ActionContext = {
    config,
    serviceManager,
    now: clock.now,
    sleep: clock.sleep,
    kill:
      opts.kill ??
      ((pid, sig) => {
        process.kill(pid, sig);
      }),
    selfPid,
    procRoot,
    audit: opts.audit ?? noAudit,
  };
  let connected = opts.connected ?? false;
  const protectedPids = await ancestry(procRoot, selfPid);
  const env = (): DecideEnv => ({
    labels: config.labels,
    connected,
    config,
    protectedPids,
    protectedNames: [...ALWAYS_PROTECTED, ...config.protectedProcesses],
  });

  const emit = (events: HealEvent[]) => {
    journal.append(events);
    return events;
  };
  const fromDecisions = (ds: Decision[]) => ds.map((d) => decisionEvent(d, clock.now()));

  const loaded = loadGuardState(statePath);
  // Written only when changed: most cycles decide nothing new (a corrupt file is rewritten at the first save).
  const guardStore = createGuardStateWriter(statePath, loaded.warning ? undefined : loaded.state);
  let state = loaded.state;
  let active: PolicySet | null = null;
  let permitted: PolicySet['policies'] = [];
  const startup: HealEvent[] = [];
  if (loaded.warning)
    startup.push(
      agentEvent('heal.state-reset', { ts: clock.now(), severity: 'warning', message: loaded.warning, data: {} }),
    );

  const activate = (set: PolicySet): { refused: string[]; events: HealEvent[] } => {
    const refusedNames: string[] = [];
    const events: HealEvent[] = [];
    permitted = set.policies.filter((p) => {
      const bad = refusals(p, config);
      if (bad.length === 0) return true;
      refusedNames.push(p.name);
      events.push(
        decisionEvent(
          {
            kind: 'refused',
            policy: p.name,
            guard: 'local-config',
            reason: bad.map((r) => `do.${r.action}: ${r.reason}`).join('; '),
          },
          clock.now(),
        ),
      );
      return false;
    });
    active = set;
    return { refused: refusedNames, events };
  };

  const cached = loadPolicyCache(cachePath);
  let startupProblem: string | null = null;
  if (cached && 'error' in cached) {
    startupProblem = `${cached.error}; started without policies until the control plane sends a valid set`;
    startup.push(
      agentEvent('heal.policy-rejected', {
        ts: clock.now(),
        severity: 'critical',
        message: startupProblem,
        data: { source: 'cache' },
      }),
    );
  } else if (cached)
    startup.push(
      ...activate(cached.set).events,
      agentEvent('heal.policy-applied', {
        ts: clock.now(),
        severity: 'info',
        message: `resumed last-known-good policy set ${cached.set.version ?? ''}`.trim(),
        data: { source: 'cache', version: cached.set.version ?? null, policies: cached.set.policies.length },
      }),
    );
  emit(startup);
  let pendingStartup = startup;

  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => {});
    return p;
  };

  return {
    onCycle: (obs) =>
      serial(async () => {
        const pre = pendingStartup;
        pendingStartup = [];
        if (!config.enabled) return pre;
        const now = clock.now();
        const r = decide(obs, permitted, state, now, env());
        state = r.nextGuardState;
        const events = emit(fromDecisions(r.decisions));
        guardStore.save(state); // persisted before acting: a crash mid-action still counts the attempt
        if (r.actions.length === 0) return [...pre, ...events];
        const done = await execute(r.actions, ctx);
        const outcome = emit(done.flatMap((x) => outcomeEvent(x, clock.now())));
        const failedPolicies = new Set(done.filter((x) => x.result.status !== 'done').map((x) => x.action.policy));
        if (failedPolicies.size) {
          // a failed attempt has nothing to verify; it stays counted towards maxAttempts
          for (const p of failedPolicies) {
            const g = state.policies[p];
            if (g) g.verify = null;
          }
          guardStore.save(state);
        }
        return [...pre, ...events, ...outcome];
      }),

    applyPolicySet(doc, format = 'yaml') {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      const fmt = typeof doc === 'string' ? format : 'json';
      let set: PolicySet;
      try {
        // lint as well: a set the server would refuse (unsafe regex, forbidden env, '..') never becomes active
        set = checkPolicyDocument(doc, fmt);
      } catch (e) {
        const error =
          e instanceof ValidationError
            ? e
            : new ValidationError([{ path: '', message: (e as Error).message }], 'policy document');
        const events = emit([
          agentEvent('heal.policy-rejected', {
            ts: clock.now(),
            severity: 'warning',
            message: `${error.message}; keeping ${active ? `the previous set ${active.version ?? ''}`.trim() : 'no policies'}`,
            data: { issues: error.issues },
          }),
        ]);
        return { ok: false, error, events };
      }
      const { refused, events } = activate(set);
      savePolicyCache(cachePath, { text, format: fmt, appliedAt: clock.now() });
      startupProblem = null;
      const applied: HealEvent = agentEvent('heal.policy-applied', {
        ts: clock.now(),
        severity: 'info',
        message:
          `policy set ${set.version ?? ''} applied: ${permitted.length} active, ${refused.length} refused`.replace(
            '  ',
            ' ',
          ),
        data: { version: set.version ?? null, active: permitted.length, refused },
      });
      return {
        ok: true,
        version: set.version ?? null,
        active: permitted.length,
        refused,
        events: emit([...events, applied]),
      };
    },

    onApproval(cmd) {
      const r = applyApproval(state, cmd);
      state = r.state;
      guardStore.save(state);
      return emit(fromDecisions(r.decisions));
    },

    onPause(cmd) {
      const r = applyPause(state, cmd, clock.now());
      state = r.state;
      guardStore.save(state);
      return emit(fromDecisions(r.decisions));
    },

    setConnected(c) {
      connected = c;
    },
    serviceBackend: () => serviceChoice,
    policySet: () => active,
    startupProblem: () => startupProblem,
    guardState: () => state,
    async close() {
      await chain;
      journal.close();
      if (!opts.serviceManager) await serviceManager.close();
    },
  };
}
