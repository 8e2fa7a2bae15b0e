/**
 * The agent runtime: every `cycleSeconds` it reads the source, runs the stages, appends the sample to the durable
 * outbox and nudges the link; the link ships the outbox to the control plane. Lifecycle: createAgent → start → stop
 * (stop drains: finishes the running cycle, waits up to `drainSeconds` for acks, then says offline).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createAgentLogger } from './logger.ts';
import { eventBody } from '../contract/protocol/events.ts';
import type { AgentConfig } from './config/schema.ts';
import type { Credentials } from './enroll/credentials.ts';
import { realTimers, type Timers } from './link/backoff.ts';
import type { CommandHandlers } from './link/commands.ts';
import { createLink, type Link } from './link/mqtt-link.ts';
import { openSqliteOutbox } from './link/outbox/sqlite-store.ts';
import type { OutboxStore } from './link/outbox/store.ts';
import {
  toSampleBody,
  type EventInput,
  type PipelineReading,
  type SampleSource,
  type Stage,
} from './pipeline/types.ts';
import { writeStatus, type AgentStatus } from './status/status-file.ts';

import { AGENT_VERSION } from './version.ts';

export { AGENT_VERSION };

/** What the runtime is built from. Everything but `credentials` has a default. */
export type AgentDeps = {
  credentials: Credentials;
  /** Default: the built-in basic source (agent/pipeline/basic-source.ts). */
  source?: SampleSource;
  /** Run in order after the source (infer, then heal). */
  stages?: Stage[];
  handlers?: CommandHandlers;
  /** Default: SQLite at `<stateDir>/outbox.db`. */
  outbox?: OutboxStore;
  logger?: Logger;
  clock?: () => number;
  timers?: Timers;
  /** Stop collecting after this many cycles (the link keeps delivering). Default: unlimited. */
  maxCycles?: number;
  /** Write `<stateDir>/status.json` (default true). */
  statusFile?: boolean;
  /**
   * Routine rewrites of the status file (after cycles and acks) at most once per this many ms. Default: six cycles,
   * at most 60 s (60 s at the default 10 s cycle). Start, the first cycle, the end of --max-cycles
   * and stop write at once.
   */
  statusEveryMs?: number;
  /** The healer's service manager backend, stated in the status file (agent/heal/services/choose.ts). */
  serviceManager?: AgentStatus['serviceManager'];
  /** The version this agent reports (presence, status, `agent.started`); default the compiled-in one. */
  agentVersion?: string;
  /** The version it replaced and this host's platform, stated in presence (agent/fleet/install-layout.ts, platform.ts). */
  previousAgentVersion?: string | null;
  platform?: string;
  /** What ran before (agent/fleet/install-layout.ts release file), stated in the status file. */
  release?: () => AgentStatus['release'];
  /** The running models and their engines, stated in the status file (read at each write: a rollout changes them). */
  models?: () => AgentStatus['models'];
};

export type Agent = {
  start(): Promise<void>;
  /** Graceful stop; resolves once drained (or the drain timed out) and everything is closed. */
  stop(): Promise<void>;
  /** Runs one cycle now (tests, and the scheduler). */
  cycle(): Promise<void>;
  /** Appends an audited event. */
  emit(event: EventInput): void;
  readonly link: Link;
  readonly outbox: OutboxStore;
  status(): AgentStatus;
};

/** Builds an agent; nothing runs until start(). */
export async function createAgent(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
  const clock = deps.clock ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const logger = deps.logger ?? createAgentLogger(config.logLevel);
  const creds = deps.credentials;
  const version = deps.agentVersion ?? AGENT_VERSION;
  // imported only when used: it imports systeminformation, which the real agent loads only for its inventory
  const source = deps.source ?? (await import('./pipeline/basic-source.ts')).createBasicSource();
  const stages = deps.stages ?? [];
  const outbox = deps.outbox ?? openSqliteOutbox(join(config.stateDir, 'outbox.db'), config.outbox);
  const link = createLink({
    agentId: creds.agentId,
    secret: creds.secret,
    ca: creds.ca,
    previousSecret: creds.previousSecret,
    mqttUrl: config.server.mqttUrl ?? creds.mqttUrl,
    agentVersion: version,
    ...(deps.previousAgentVersion !== undefined ? { previousAgentVersion: deps.previousAgentVersion } : {}),
    ...(deps.platform ? { platform: deps.platform } : {}),
    outbox,
    logger,
    handlers: deps.handlers,
    windowRecords: config.link.windowRecords,
    ackTimeoutMs: config.link.ackTimeoutSeconds * 1000,
    backoff: { baseMs: config.link.backoffBaseMs, capMs: config.link.backoffCapMs },
    timers,
    clock,
    onAck: () => saveStatusSoon(linkChanged()),
  });
  const periodMs = Math.round(config.cycleSeconds * 1000);
  const startedAt = clock();
  let state: AgentStatus['state'] = 'stopped';
  let cycles = 0;
  let lastCycle: AgentStatus['lastCycle'] = null;
  let lastError: string | null = null;
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let epoch = 0;
  let closed = false;

  const emit = (e: EventInput): void => {
    outbox.append('event', {
      ts: e.ts ?? clock(),
      type: e.type,
      severity: e.severity ?? 'info',
      ...(e.message ? { message: e.message } : {}),
      data: e.data ?? {},
    });
    link.notify();
  };

  const status = (): AgentStatus => ({
    pid: process.pid,
    agentId: creds.agentId,
    agentVersion: version,
    release: deps.release?.() ?? null,
    startedAt,
    updatedAt: clock(),
    state,
    link: link.status(),
    outbox: outbox.stats(),
    cycles,
    lastCycle,
    lastError,
    serviceManager: deps.serviceManager ?? null,
    models: deps.models?.() ?? null,
  });
  const saveStatus = () => {
    if (deps.statusFile === false) return;
    statusWrittenAt = clock();
    writtenLinkState = link.status().state;
    try {
      writeStatus(config.stateDir, status());
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'cannot write status file');
    }
  };

  // The status file is for `homeostat-agent status` (and tests): it is rewritten at most once per `statusEveryMs`
  // (60 s at the default cycle), not after every cycle and ack. A rewrite (status object, JSON, write, rename over the
  // old file) cost about 1 ms of CPU, an eighth of the cycle's budget. A cycle's end and the acks that follow are
  // folded into one trailing write at least `statusDelayMs` later (half a cycle, at most 1 s); the first cycle is
  // written at once and that soon again (with its ack).
  const statusDelayMs = Math.min(1000, Math.max(1, Math.floor(periodMs / 2)));
  const statusEveryMs = deps.statusEveryMs ?? Math.min(60_000, 6 * periodMs);
  // A change of the link's state (connected, disconnected) is written as soon as the first cycle is.
  let statusTimer: unknown = null;
  let statusTimerAt = 0;
  let statusWrittenAt = Number.NEGATIVE_INFINITY;
  let writtenLinkState: string | null = null;
  const linkChanged = () => link.status().state !== writtenLinkState;
  function saveStatusSoon(soon = false): void {
    if (state === 'stopped' || deps.statusFile === false) return;
    const now = clock();
    const delay = soon ? statusDelayMs : Math.max(statusDelayMs, statusWrittenAt + statusEveryMs - now);
    if (statusTimer !== null) {
      if (statusTimerAt <= now + delay) return;
      timers.clearTimeout(statusTimer); // an urgent write replaces a throttled one
    }
    statusTimerAt = now + delay;
    statusTimer = timers.setTimeout(() => {
      statusTimer = null;
      saveStatus();
    }, delay);
  }

  async function refreshInventory(): Promise<void> {
    try {
      link.setInventory((await source.inventory()).inventory); // published only when its hash changed
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'inventory unavailable');
    }
  }
  const inventoryEvery = Math.max(1, Math.round(3600 / config.cycleSeconds)); // hourly

  async function runCycle(): Promise<void> {
    const t0 = clock();
    if (cycles > 0 && cycles % inventoryEvery === 0) await refreshInventory();
    let reading: PipelineReading = await source.collect(t0);
    const ctx = { now: t0, emit, logger };
    for (const stage of stages) {
      try {
        reading = await stage.run(reading, ctx);
      } catch (err) {
        lastError = `${stage.name}: ${(err as Error).message}`;
        logger.error({ stage: stage.name, err: (err as Error).message }, 'stage failed; sample sent without it');
      }
    }
    const rec = outbox.append('telemetry', toSampleBody(reading));
    link.notify();
    cycles += 1;
    lastCycle = { ts: t0, durationMs: clock() - t0, seq: rec.seq };
    // The first cycle is written at once (a new agent shows its first sample, and start-up ends there: the inventory
    // and the rest of what follows the first cycle are not part of it), then again with its ack.
    if (cycles === 1) saveStatus();
    saveStatusSoon(cycles === 1 || linkChanged());
  }

  function cycle(): Promise<void> {
    if (running) return running; // never overlap: a slow cycle absorbs the next tick
    running = runCycle()
      .catch((err: Error) => {
        lastError = err.message;
        logger.error({ err: err.message }, 'cycle failed');
      })
      .finally(() => (running = null));
    return running;
  }

  /** Drift-free schedule: ticks at start + k·period; missed ticks are skipped, not bunched. */
  function schedule(from: number, myEpoch: number): void {
    if (myEpoch !== epoch || state !== 'running') return;
    if (deps.maxCycles !== undefined && cycles >= deps.maxCycles) return void saveStatus();
    const now = clock();
    const next = from + Math.max(1, Math.ceil((now - from + 1) / periodMs)) * periodMs;
    timer = timers.setTimeout(() => {
      timer = null;
      void cycle().then(() => schedule(next, myEpoch));
    }, next - now);
  }

  return {
    link,
    outbox,
    emit,
    cycle,
    status,
    async start() {
      state = 'running';
      await source.start();
      emit(
        eventBody('agent.started', {
          severity: 'info',
          message: `agent ${version} started`,
          data: { version, cycleSeconds: config.cycleSeconds },
        }),
      );
      link.start();
      saveStatus();
      const myEpoch = ++epoch;
      const t0 = clock();
      // The inventory (systeminformation spawns lsblk, dmidecode, …: hundreds of ms of CPU) is read after the first
      // cycle, off the start path: the first sample is not held back by it, and the link publishes it when ready.
      void cycle().then(() => {
        schedule(t0, myEpoch);
        if (myEpoch === epoch) void refreshInventory();
      });
      logger.info({ agentId: creds.agentId, cycleSeconds: config.cycleSeconds }, 'agent started');
    },
    async stop() {
      if (closed) return;
      if (state === 'stopped') {
        // Never started: nothing to drain, but the stages, source and outbox were opened by the factory.
        closed = true;
        for (const s of stages) await s.stop?.().catch(() => undefined);
        await source.stop().catch(() => undefined);
        outbox.close();
        return;
      }
      state = 'draining';
      epoch++;
      if (timer !== null) timers.clearTimeout(timer);
      await running;
      saveStatus();
      const drained = await link.drain(config.drainSeconds * 1000);
      logger.info({ drained, depth: outbox.stats().depth }, 'agent stopping');
      await link.stop();
      if (statusTimer !== null) timers.clearTimeout(statusTimer);
      for (const s of stages) await s.stop?.().catch(() => undefined);
      await source.stop();
      state = 'stopped';
      closed = true;
      saveStatus();
      outbox.close();
    },
  };
}
