/**
 * Refits from the fleet's own data as background jobs of the control plane (the Models page's "Refit from fleet
 * data"): one at a time fleet-wide (a refit reads the window three times and keeps a core busy), the job and its
 * progress stored (RefitJobRepository) so that any replica answers for it, the result registered in the model
 * registry (verified, audited, as an upload is) and optionally rolled out as a canary. The replica running a job
 * writes a heartbeat; a job whose replica died is marked failed after six missed heartbeats and no longer blocks.
 * The fit itself is a `Refitter` the composition root supplies (control-plane/compose/refit.ts), so this module does
 * not depend on models/.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, RefitDataError, ValidationError } from '../../contract/errors.ts';
import { parseSelector } from '../../contract/label-selector.ts';
import { parseDuration } from '../../contract/duration.ts';
import type { ModelCard } from '../../contract/models/card.ts';
import type { RefitBody, RefitJob, RefitSummary } from '../../contract/api/refits.ts';
import type { RefitJobRepository } from '../repositories/refit-job-repository.ts';
import type { HostRepository, TelemetryRepository } from '../store/ports.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { RolloutService } from './rollout-service.ts';

/** What one refit reads: hosts matching `selector`, samples of the last `windowMs` before `now`; `signal` aborts it
 * (the control plane stopping). */
export type RefitRequest = {
  selector: string;
  window: string;
  windowMs: number;
  holdout: number;
  now: number;
  signal?: AbortSignal;
};
/** A refit's model file, card and summary. */
export type RefitResult = { bytes: Uint8Array; card: ModelCard; summary: RefitSummary };
/** Runs one refit over the store. */
export type Refitter = (
  repos: { hosts: HostRepository; telemetry: TelemetryRepository },
  req: RefitRequest,
  onProgress: (p: RefitJob['progress']) => void,
) => Promise<RefitResult>;

/** Jobs listed for the page. */
const LISTED = 20;
/** Progress is written at most this often (the heartbeat writes it too). */
const PROGRESS_WRITE_MS = 1000;

export function createRefitJobs(deps: {
  repos: { hosts: HostRepository; telemetry: TelemetryRepository };
  jobs: RefitJobRepository;
  models: ModelRegistry;
  rollouts: RolloutService;
  refitter: Refitter;
  now: () => number;
  log: { error(o: object, msg: string): void };
  /** Heartbeat of a running job (default 10 s); six missed ones mark it failed. */
  heartbeatMs?: number;
}) {
  const heartbeatMs = deps.heartbeatMs ?? 10_000;
  let running: Promise<void> | null = null;
  const stopping = new AbortController();
  // set before the first await of start(), so two requests at once cannot both pass this replica's check
  let starting = false;

  /** Fails the jobs of replicas that stopped, so they neither block nor show as running forever. */
  const failStale = () =>
    deps.jobs.failStale(
      new Date(deps.now() - heartbeatMs * 6),
      `the control plane replica running it stopped (no heartbeat for ${(heartbeatMs * 6) / 1000} s)`,
      new Date(deps.now()),
    );

  async function run(job: RefitJob, req: RefitRequest, actor: string): Promise<void> {
    // writes in order, one at a time; a failed write is logged and the next one carries the newer state
    let writing: Promise<void> = Promise.resolve();
    let lastWrite = 0;
    const persist = () => {
      lastWrite = deps.now();
      const snapshot = structuredClone(job);
      writing = writing
        .then(() => deps.jobs.save(snapshot, new Date(deps.now())))
        .catch((err: unknown) => deps.log.error({ err, job: job.id }, 'refit job state not saved'));
      return writing;
    };
    const beat = setInterval(() => void persist(), heartbeatMs);
    beat.unref();
    try {
      const r = await deps.refitter(deps.repos, req, (p) => {
        job.progress = p;
        if (deps.now() - lastWrite >= PROGRESS_WRITE_MS) void persist();
      });
      job.summary = r.summary;
      job.progress = { phase: 'registering', share: 1, samplesRead: job.progress.samplesRead };
      const model = await deps.models.upload(r.bytes, r.card, actor);
      job.modelId = model.id;
      if (job.canary !== undefined) {
        job.progress = { ...job.progress, phase: 'starting the canary rollout' };
        const rollout = await deps.rollouts.start(
          'model',
          model.name,
          model.id,
          { selector: job.canary, autoRollback: true },
          actor,
        );
        job.rolloutId = rollout.id;
      }
      job.status = 'succeeded';
      job.progress = { ...job.progress, phase: 'done' };
    } catch (err) {
      job.status = 'failed';
      job.error = stopping.signal.aborted
        ? 'the control plane stopped while it ran; start it again'
        : (err as Error).message;
      if (!(err instanceof RefitDataError) && !stopping.signal.aborted)
        deps.log.error({ err, job: job.id }, 'model refit failed');
    } finally {
      clearInterval(beat);
      job.finishedAt = new Date(deps.now()).toISOString();
      await persist();
    }
  }

  /** Validates the request and starts the job (the caller holds the one-job check). */
  async function begin(body: RefitBody, actor: string): Promise<RefitJob> {
    parseSelector(body.selector);
    if (body.canary !== undefined) parseSelector(body.canary);
    const hosts = await deps.rollouts.targets(body.selector);
    if (hosts.length === 0)
      throw new ValidationError(
        [{ path: 'selector', message: `'${body.selector}' matches no enrolled host` }],
        'refit',
      );
    const now = deps.now();
    const job: RefitJob = {
      id: `refit-${randomBytes(6).toString('hex')}`,
      kind: 'anomaly',
      selector: body.selector,
      since: body.since,
      holdout: body.holdout,
      ...(body.canary !== undefined ? { canary: body.canary } : {}),
      status: 'running',
      progress: { phase: 'queued', share: 0, samplesRead: 0 },
      createdBy: actor,
      createdAt: new Date(now).toISOString(),
    };
    await failStale();
    const blocking = await deps.jobs.claim(job, new Date(now));
    if (blocking)
      throw new ConflictError(
        `refit ${blocking.id} (started by ${blocking.createdBy} at ${blocking.createdAt}) is running; wait for it to finish`,
        'refit-running',
      );
    const req = {
      selector: body.selector,
      window: body.since,
      windowMs: parseDuration(body.since)!,
      holdout: body.holdout,
      now,
      signal: stopping.signal,
    };
    running = run(job, req, actor).finally(() => {
      running = null;
    });
    return { ...job };
  }

  return {
    /** Checks the request, starts the job and returns it (running). */
    async start(body: RefitBody, actor: string): Promise<RefitJob> {
      if (stopping.signal.aborted) throw new ConflictError('the control plane is stopping', 'refit-running');
      if (running || starting)
        throw new ConflictError('a refit is already running; wait for it to finish', 'refit-running');
      starting = true;
      try {
        return await begin(body, actor);
      } finally {
        starting = false;
      }
    },
    async get(id: string): Promise<RefitJob> {
      await failStale();
      const j = await deps.jobs.get(id);
      if (!j) throw new NotFoundError('refit', id);
      return j;
    },
    async list(): Promise<RefitJob[]> {
      await failStale();
      return deps.jobs.list(LISTED);
    },
    /** Waits for the running job (tests). */
    async idle(): Promise<void> {
      await running;
    },
    /** Shutdown: aborts the running job at its next page of samples (recorded as failed, saying why) and waits for
     * that; new jobs are refused from now on. */
    async stop(): Promise<void> {
      stopping.abort();
      await running;
    },
  };
}
export type RefitJobs = ReturnType<typeof createRefitJobs>;
