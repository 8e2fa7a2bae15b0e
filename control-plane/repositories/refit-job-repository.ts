/**
 * Model refit jobs, stored so that every replica sees them: the job is started on one replica, its progress is
 * written there, and the Models page may poll any replica. One refit runs fleet-wide at a time: `claim` is the
 * check, atomic in the database.
 */
import type { RefitJob } from '../../contract/api/refits.ts';

export interface RefitJobRepository {
  /** Records `job` (status running) as the one running refit unless another one runs; returns the job that blocks,
   * or null when `job` was recorded. */
  claim(job: RefitJob, heartbeatAt: Date): Promise<RefitJob | null>;
  /** Saves the job's progress or outcome and its heartbeat; a finished job releases the running slot. */
  save(job: RefitJob, heartbeatAt: Date): Promise<void>;
  /** Marks failed (with `error`, finished at `now`) a running job whose heartbeat is older than `staleBefore`: the
   * replica running it died. Returns how many. */
  failStale(staleBefore: Date, error: string, now: Date): Promise<number>;
  get(id: string): Promise<RefitJob | null>;
  /** Newest first, at most `limit`. */
  list(limit: number): Promise<RefitJob[]>;
}
