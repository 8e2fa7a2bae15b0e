/**
 * Rollout shell: persists rollouts, sends signed bundles/manifests wave by wave, observes agents' `state`
 * acknowledgements and events for the health gate, halts or rolls back, and records intent per host.
 * The decisions themselves are the pure state machine in rollout.ts.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command, EventKind } from '../../contract/protocol/index.ts';
import type { HostRecord } from '../store/ports.ts';
import type { FleetContext } from './context.ts';
import type { GateThresholds } from './health-gate.ts';
import { observeWave } from './wave-observation.ts';
import { matchesSelector, parseSelector } from '../../contract/label-selector.ts';
import {
  cancelRollout,
  createRolloutState,
  stepRollout,
  treatedHosts,
  type RolloutAction,
  type RolloutKindName,
  type RolloutState,
  type WaveObservation,
} from './rollout.ts';
import { planWaves } from './wave-planner.ts';
import { stepRollbackAck } from './rollback-ack.ts';
import { NO_POLICY_VERSION, resumeRollout } from './rollout-resume.ts';
import { RUNNING_STATUSES, type RolloutRecord } from '../repositories/rollout-repository.ts';
import { cordonedIds } from './cordon-skip.ts';
import { refuseOtherPlatforms } from './platform-check.ts';

/** How one kind of artifact is sent and recognised on hosts. */
export interface RolloutKind {
  /** `policy` or `model:<name>` — the HostIntent kind. */
  intentKind(subject: string): string;
  /** The command delivering `version` (signed); agent upgrades: the artifact for the host's `platform`. */
  command(version: string, platform?: string | null): Promise<Command>;
  /** The version label the host reports as applied, in the rollout's version vocabulary. */
  applied(host: HostRecord, subject: string): string | null;
  /** Applying restarts the agent (agent upgrades): a host that has not acknowledged yet may be offline while it
   * restarts, so liveness is judged on the hosts that run the new version; one that never comes back is halted by the
   * ack timeout, one that switched back reports an apply failure. Default false: every host sent must stay alive. */
  restartsAgent?: boolean;
  /** The platforms `version` is built for (agent upgrades): each host is sent its own platform's artifact; a selector
   * matching hosts of a platform it has none for is refused (409 `wrong-platform`), naming them; hosts that report
   * no platform are sent the default one and judge it. */
  platforms?(version: string): string[];
}

/** Options of a new rollout. */
export interface RolloutRequest {
  selector?: string;
  percents?: number[];
  canaries?: string[];
  soakMs?: number;
  ackTimeoutMs?: number;
  thresholds?: GateThresholds;
  autoRollback?: boolean;
}

/** How a rollout starts: `immediate` (a rollback: one wave, no soak, complete on acknowledgement), only to `hosts`
 * (of those the selector matches), and by a `system` actor (named as given, not as `user:<name>`). */
interface StartOptions {
  immediate?: boolean;
  hosts?: readonly string[];
  system?: boolean;
}

/** A rollout as the API shows it. */
export type RolloutView = RolloutState & { selector: string; createdBy: string; createdAt: string };

/** Creates the service; `kinds` maps 'policy' / 'model' to how they are delivered. */
export function createRolloutService(ctx: FleetContext, kinds: Record<RolloutKindName, RolloutKind>) {
  const repo = ctx.repos.rollouts;
  const toView = (r: RolloutRecord): RolloutView => ({
    ...r.state,
    selector: r.selector,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
  });

  async function save(s: RolloutState): Promise<void> {
    await repo.save(s, new Date(ctx.now()));
  }

  async function send(s: RolloutState, hosts: string[], version: string, actor: string): Promise<void> {
    const kind = kinds[s.kind];
    // One command per platform the hosts report (agent upgrades), all signed before anything is sent.
    const platformOf = kind.platforms ? new Map((await ctx.hosts.list()).map((h) => [h.id, h.agentPlatform])) : null;
    const cmds = new Map<string | null, Command>();
    for (const p of new Set(hosts.map((h) => platformOf?.get(h) ?? null))) cmds.set(p, await kind.command(version, p));
    const intent = kind.intentKind(s.subject);
    for (const hostId of hosts) {
      const cmd = cmds.get(platformOf?.get(hostId) ?? null)!;
      await repo.setIntent({ hostId, kind: intent, version, rolloutId: s.id, at: new Date(ctx.now()) });
      try {
        await ctx.publish(hostId, cmd);
      } catch (err) {
        ctx.log.warn({ err, hostId, rollout: s.id }, 'command publish failed');
      }
    }
    await ctx.audit.record({
      actor,
      actorType: actor.startsWith('user:') ? 'user' : 'system',
      action: `rollout.sent`,
      target: s.id,
      detail: { version, hosts: hosts.length },
    });
  }

  async function perform(s: RolloutState, actions: RolloutAction[], actor: string): Promise<void> {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          await send(s, a.hosts, a.version, actor);
          break;
        case 'rollback': {
          // The gate's rollback is a rollout of its own (immediate, to the treated hosts), complete only when they
          // acknowledge it (rollback-ack.ts), like one started by hand. The version to go back to may not be
          // sendable (a model neither registered nor bundled): this rollout is already rolled back in its state, so
          // say so in its history and the audit log instead of failing the tick, and leave the hosts where they are.
          let failed: string | null = null;
          try {
            if (a.toVersion) {
              const selector = (await repo.get(s.id))?.selector ?? '';
              const back = await start(
                s.kind,
                s.subject,
                a.toVersion,
                { selector, ackTimeoutMs: s.ackTimeoutMs },
                'system:rollout',
                { immediate: true, hosts: a.hosts, system: true },
              );
              s.history.push({ at: ctx.now(), event: 'rollback started', detail: back.id });
              await save(s);
            }
          } catch (err) {
            failed = err instanceof Error ? err.message : String(err);
            ctx.log.warn({ err, rollout: s.id, toVersion: a.toVersion }, 'rollback not sent');
            s.history.push({ at: ctx.now(), event: 'rollback not sent', detail: `${a.toVersion}: ${failed}` });
            await save(s);
          }
          await ctx.audit.record({
            actor: 'system:rollout',
            actorType: 'system',
            action: failed ? 'rollout.rollback-failed' : 'rollout.rolled-back',
            target: s.id,
            detail: {
              toVersion: a.toVersion,
              hosts: a.hosts.length,
              reasons: a.reasons,
              ...(failed ? { failed } : {}),
            },
          });
          break;
        }
        case 'halted':
          await ctx.audit.record({
            actor: 'system:rollout',
            actorType: 'system',
            action: 'rollout.halted',
            target: s.id,
            detail: { reasons: a.reasons },
          });
          break;
        case 'completed':
          await ctx.audit.record({
            actor: 'system:rollout',
            actorType: 'system',
            action: 'rollout.completed',
            target: s.id,
            detail: {},
          });
          break;
      }
    }
  }

  async function targets(selector: string): Promise<HostRecord[]> {
    const reqs = parseSelector(selector);
    return (await ctx.hosts.list()).filter(
      (h) =>
        !h.revokedAt &&
        matchesSelector(reqs, {
          ...h.labels,
          hostname: h.hostname,
          ...(h.agentPlatform ? { 'agent.platform': h.agentPlatform } : {}),
        }),
    );
  }

  async function start(
    kind: RolloutKindName,
    subject: string,
    version: string,
    req: RolloutRequest,
    actor: string,
    opts: StartOptions = {},
  ): Promise<RolloutView> {
    const selector = req.selector ?? '';
    // Cordoned hosts are left out of the waves (cordon-skip.ts), and counted in the rollout.
    const only = opts.hosts ? new Set(opts.hosts) : null;
    const matched = (await targets(selector)).filter((h) => !only || only.has(h.id));
    const hosts = matched.filter((h) => !h.cordon);
    const skippedCordoned = matched.filter((h) => h.cordon).map((h) => h.id);
    refuseOtherPlatforms(kinds[kind].platforms?.(version), version, selector, hosts);
    const id = `ro-${randomBytes(6).toString('hex')}`;
    const intent = kinds[kind].intentKind(subject);
    const intents = await repo.intents({ kind: intent, hostIds: hosts.map((h) => h.id) });
    // What the targets run now: the intended version, else what the host reports (a bundled model); the most common
    // one is what a rollback sends. A policy set never published before rolls back to "no policy".
    const intended = new Map(intents.map((i) => [i.hostId, i.version]));
    const counts = new Map<string, number>();
    for (const h of hosts) {
      const v = intended.get(h.id) ?? kinds[kind].applied(h, subject);
      if (v && v !== version) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const previousVersion =
      [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? (kind === 'policy' ? NO_POLICY_VERSION(subject) : null);
    if (!opts.immediate) {
      // The same version twice: refused while it is still rolling out to these hosts, or once every target runs it.
      const running = await repo.list({ subject, kind, status: RUNNING_STATUSES });
      if (running.some((r) => r.state.version === version && r.selector === selector))
        throw new ConflictError(`${subject} ${version} is already rolling out to '${selector}'`, 'already-rolling-out');
      const live = intents.filter((i) => i.version === version).length;
      if (hosts.length > 0 && live === hosts.length)
        throw new ConflictError(
          `${subject} ${version} is already live on all ${hosts.length} target host(s)`,
          'already-live',
        );
    }
    // A newer rollout of the same subject supersedes a running one.
    for (const r of await repo.list({ subject, kind, status: RUNNING_STATUSES })) {
      await save(cancelRollout(r.state, ctx.now(), `superseded by ${id}`));
    }
    const waves = opts.immediate
      ? [hosts.map((h) => h.id)]
      : planWaves(hosts, { percents: req.percents, canaries: req.canaries }, id);
    let s = createRolloutState(
      {
        id,
        kind,
        subject,
        version,
        previousVersion,
        waves,
        soakMs: opts.immediate ? 0 : req.soakMs,
        ackTimeoutMs: req.ackTimeoutMs,
        ...(opts.immediate ? { rollback: true } : {}),
        ...(skippedCordoned.length ? { skippedCordoned } : {}),
        autoRollback: req.autoRollback ?? kind === 'model',
        thresholds: req.thresholds,
      },
      ctx.now(),
    );
    await repo.create({ state: s, selector, createdBy: actor, at: new Date(ctx.now()) });
    const r = stepRollout(s, ctx.now(), () => {
      throw new Error('unreachable');
    });
    s = r.state;
    await save(s);
    await ctx.audit.record({
      actor: opts.system ? actor : `user:${actor}`,
      actorType: opts.system ? 'system' : 'user',
      action: opts.immediate ? `${kind}.rollback` : `${kind}.published`,
      target: id,
      detail: {
        subject,
        version,
        previousVersion,
        selector,
        waves: waves.map((w) => w.length),
        ...(skippedCordoned.length ? { skippedCordoned: skippedCordoned.length } : {}),
      },
    });
    try {
      await perform(s, r.actions, opts.system ? actor : `user:${actor}`);
    } catch (err) {
      // Nothing was sent (every command is signed before the first is published): the rollout stops here, saying so.
      const why = err instanceof Error ? err.message : String(err);
      await save({
        ...s,
        status: 'halted',
        history: [...s.history, { at: ctx.now(), event: 'not sent', detail: why }],
      });
      throw err;
    }
    return (await get(id))!;
  }

  async function get(id: string): Promise<RolloutView | null> {
    const r = await repo.get(id);
    return r ? toView(r) : null;
  }

  return {
    start,
    get,
    /** Ids of the hosts a selector targets now (dry run). */
    async targets(selector: string): Promise<string[]> {
      return (await targets(selector)).map((h) => h.id);
    },
    /** A publish's dry run: the hosts a rollout to `selector` would plan now, and the matching ones it would skip. */
    async dryRun(selector: string): Promise<{ hosts: string[]; cordoned: string[] }> {
      const matched = await targets(selector);
      return { hosts: matched.filter((h) => !h.cordon).map((h) => h.id), cordoned: [...cordonedIds(matched)] };
    },
    async list(filter: { subject?: string; status?: string; kind?: 'policy' | 'model' } = {}): Promise<RolloutView[]> {
      return (
        await repo.list({
          ...(filter.subject ? { subject: filter.subject } : {}),
          ...(filter.kind ? { kind: filter.kind } : {}),
          ...(filter.status ? { status: filter.status } : {}),
          limit: 200,
        })
      ).map(toView);
    },
    async halt(id: string, actor: string): Promise<RolloutView> {
      const r = await repo.get(id);
      if (!r) throw new NotFoundError('rollout', id);
      const s = r.state;
      if (s.status !== 'pending' && s.status !== 'soaking')
        throw new ConflictError(`rollout '${id}' is ${s.status}`, 'not-running');
      await save({
        ...s,
        status: 'halted',
        history: [...s.history, { at: ctx.now(), event: 'halted', detail: `by ${actor}` }],
      });
      await ctx.audit.record({
        actor: `user:${actor}`,
        actorType: 'user',
        action: 'rollout.halted',
        target: id,
        detail: { manual: true },
      });
      return (await get(id))!;
    },
    /** Treated (sent and acknowledged) versus baseline figures since the current wave was sent, as the gate sees them. */
    async compare(id: string) {
      const r = await repo.get(id);
      if (!r) throw new NotFoundError('rollout', id);
      const now = ctx.now();
      const hostsById = new Map((await ctx.hosts.list()).map((h) => [h.id, h]));
      const obs = await observeWave(ctx, kinds[r.state.kind], r.state, hostsById, now);
      return { rollout: id, since: r.state.waveStartedAt, at: now, ...obs };
    },
    /** A halted rollout goes on: the current wave soaks again from now (or the first wave is sent). */
    async resume(id: string, actor: string): Promise<RolloutView> {
      const r = await repo.get(id);
      if (!r) throw new NotFoundError('rollout', id);
      const later = (await repo.list({ subject: r.subject, kind: r.kind })).find(
        (o) => o.id !== id && (RUNNING_STATUSES.includes(o.status) || o.createdAt > r.createdAt),
      );
      if (later)
        throw new ConflictError(`rollout '${id}' was followed by ${later.id}: publish again instead`, 'superseded');
      const step = resumeRollout(r.state, ctx.now(), actor, cordonedIds(await ctx.hosts.list()));
      await save(step.state);
      await ctx.audit.record({
        actor: `user:${actor}`,
        actorType: 'user',
        action: 'rollout.resumed',
        target: id,
        detail: { wave: r.state.wave },
      });
      await perform(step.state, step.actions, `user:${actor}`);
      return (await get(id))!;
    },
    /** Advances every running rollout; returns the ids that changed status. */
    async tick(): Promise<string[]> {
      const running = await repo.list({ status: RUNNING_STATUSES });
      if (!running.length) return [];
      const hostsById = new Map((await ctx.hosts.list()).map((h) => [h.id, h]));
      const cordoned = cordonedIds(hostsById.values());
      const changed: string[] = [];
      for (const row of running) {
        const s0 = row.state;
        const now = ctx.now();
        if (s0.status === 'soaking' && s0.waveStartedAt !== null && now - s0.waveStartedAt < s0.soakMs) continue;
        let r: ReturnType<typeof stepRollout>;
        if (s0.rollback && s0.status === 'soaking') {
          const kind = kinds[s0.kind];
          const unacknowledged = treatedHosts(s0).filter((h) => {
            const host = hostsById.get(h);
            return host && !host.revokedAt && kind.applied(host, s0.subject) !== s0.version;
          });
          r = stepRollbackAck(s0, now, unacknowledged);
        } else {
          const obs = s0.status === 'soaking' ? await observeWave(ctx, kinds[s0.kind], s0, hostsById, now) : null;
          r = stepRollout(s0, now, () => obs!, cordoned);
        }
        if (r.state.status !== s0.status || r.state.wave !== s0.wave || r.actions.length) {
          if (r.gate)
            r.state.history.push({
              at: now,
              event: `gate ${r.gate.verdict}`,
              detail: JSON.stringify({ reasons: r.gate.reasons, rates: r.gate.rates }),
            });
          await save(r.state);
          await perform(r.state, r.actions, 'system:rollout');
          if (r.state.status !== s0.status) changed.push(row.id);
        }
      }
      return changed;
    },
    /**
     * Sends `hostId` again what a running rollout sent it and it has not acknowledged: a command published while the
     * agent was away (restarting, reconnecting with a clean session) is lost with it, and the rollout would wait for
     * its ack timeout. Called at the agent's presence (it has subscribed by then). Not for agent upgrades (an agent
     * back on its old version rolled back and says why) nor for a version the host refused. Returns how many were sent.
     */
    async resendPending(hostId: string): Promise<number> {
      const host = await ctx.hosts.get(hostId);
      if (!host || host.revokedAt) return 0;
      let sent = 0;
      for (const i of await repo.intents({ hostIds: [hostId] })) {
        if (i.kind === 'agent' || !i.rolloutId) continue;
        const row = await repo.get(i.rolloutId);
        if (!row || !RUNNING_STATUSES.includes(row.status)) continue;
        const kind = kinds[row.kind];
        if (kind.applied(host, row.subject) === i.version) continue;
        if ((host.stateErrors ?? []).some((e) => e.includes(i.version))) continue;
        await ctx.publish(hostId, await kind.command(i.version, host.agentPlatform));
        sent++;
      }
      return sent;
    },
    /** Per host: what the control plane intends vs what the agent acknowledged. */
    async hostVersions() {
      const hosts = await ctx.hosts.list();
      const intents = await repo.intents();
      const byHost = new Map<string, Record<string, string>>();
      for (const i of intents) (byHost.get(i.hostId) ?? byHost.set(i.hostId, {}).get(i.hostId)!)[i.kind] = i.version;
      return hosts.map((h) => {
        const intended = byHost.get(h.id) ?? {};
        const models: Record<string, { intended: string | null; applied: string | null }> = {};
        for (const [k, v] of Object.entries(intended))
          if (k.startsWith('model:')) models[k.slice(6)] = { intended: v, applied: null };
        for (const [name, v] of Object.entries(h.appliedModels ?? {}))
          models[name] = { intended: models[name]?.intended ?? null, applied: `${name}@${v}` };
        return {
          id: h.id,
          hostname: h.hostname,
          labels: h.labels,
          online: h.online,
          revoked: h.revokedAt !== null,
          policy: { intended: intended['policy'] ?? null, applied: h.appliedPolicyVersion },
          models,
          agent: {
            intended: intended['agent'] ?? null,
            applied: h.agentVersion,
            previous: h.previousAgentVersion,
            platform: h.agentPlatform,
          },
          errors: h.stateErrors ?? [],
          inSync: (intended['policy'] ?? null) === null || intended['policy'] === h.appliedPolicyVersion,
          cordon: h.cordon ? { ...h.cordon, at: h.cordon.at.toISOString() } : null,
        };
      });
    },
  };
}
export type RolloutService = ReturnType<typeof createRolloutService>;
