/**
 * Refits from the fleet's own data as background jobs of the control plane (the Models page's "Refit from fleet
 * data"): one at a time (a refit reads the window three times and keeps a core busy), progress kept in memory, the
 * result registered in the model registry (verified, audited, as an upload is) and optionally rolled out as a canary.
 * The fit itself is a `Refitter` the composition root supplies (control-plane/compose/refit.ts), so this module does
 * not depend on models/.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, RefitDataError, ValidationError } from '../../contract/errors.ts';
import { parseSelector } from '../../contract/label-selector.ts';
import { parseDuration } from '../../contract/duration.ts';
import type { ModelCard } from '../../contract/models/card.ts';
import type { RefitBody, RefitJob, RefitSummary } from '../../contract/api/refits.ts';
import type { HostRepository, TelemetryRepository } from '../store/ports.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { RolloutService } from './rollout-service.ts';

/** What one refit reads: hosts matching `selector`, samples of the last `windowMs` before `now`. */
export type RefitRequest = { selector: string; window: string; windowMs: number; holdout: number; now: number };
/** A refit's model file, card and summary. */
export type RefitResult = { bytes: Uint8Array; card: ModelCard; summary: RefitSummary };
/** Runs one refit over the store. */
export type Refitter = (
  repos: { hosts: HostRepository; telemetry: TelemetryRepository },
  req: RefitRequest,
  onProgress: (p: RefitJob['progress']) => void,
) => Promise<RefitResult>;

/** Finished jobs kept for the page. */
const KEPT = 20;

export function createRefitJobs(deps: {
  repos: { hosts: HostRepository; telemetry: TelemetryRepository };
  models: ModelRegistry;
  rollouts: RolloutService;
  refitter: Refitter;
  now: () => number;
  log: { error(o: object, msg: string): void };
}) {
  const jobs: RefitJob[] = [];
  let running: Promise<void> | null = null;
  // set before the first await of start(), so two requests at once cannot both pass the one-job check
  let starting = false;

  async function run(job: RefitJob, req: RefitRequest, actor: string): Promise<void> {
    try {
      const r = await deps.refitter(deps.repos, req, (p) => {
        job.progress = p;
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
      job.error = (err as Error).message;
      if (!(err instanceof RefitDataError)) deps.log.error({ err, job: job.id }, 'model refit failed');
    } finally {
      job.finishedAt = new Date(deps.now()).toISOString();
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
    jobs.unshift(job);
    if (jobs.length > KEPT) jobs.length = KEPT;
    const req = {
      selector: body.selector,
      window: body.since,
      windowMs: parseDuration(body.since)!,
      holdout: body.holdout,
      now,
    };
    running = run(job, req, actor).finally(() => {
      running = null;
    });
    return { ...job };
  }

  return {
    /** Checks the request, starts the job and returns it (running). */
    async start(body: RefitBody, actor: string): Promise<RefitJob> {
      if (running || starting)
        throw new ConflictError('a refit is already running; wait for it to finish', 'refit-running');
      starting = true;
      try {
        return await begin(body, actor);
      } finally {
        starting = false;
      }
    },
    get(id: string): RefitJob {
      const j = jobs.find((x) => x.id === id);
      if (!j) throw new NotFoundError('refit', id);
      return { ...j };
    },
    list(): RefitJob[] {
      return jobs.map((j) => ({ ...j }));
    },
    /** Waits for the running job (shutdown, tests). */
    async idle(): Promise<void> {
      await running;
    },
  };
}
export type RefitJobs = ReturnType<typeof createRefitJobs>;
