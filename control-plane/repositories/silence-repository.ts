/** Silences and maintenance windows; the schedule is parsed with correlate/schedule.ts's schema on read. */
import type { Silence } from '../correlate/silences.ts';

export type SilenceRecord = Silence & { createdAt: Date };

export interface SilenceRepository {
  create(s: SilenceRecord): Promise<SilenceRecord>;
  /** Oldest first. */
  list(): Promise<SilenceRecord[]>;
  /** True when it existed. */
  delete(id: string): Promise<boolean>;
}
