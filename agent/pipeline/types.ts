/**
 * The agent pipeline's ports: `source → stages… → outbox`. A {@link SampleSource} yields one cycle's readings
 * (agent/collect's engine and replay source implement it as-is); each {@link Stage} may enrich the reading (infer adds
 * `scores`) and emit audited events (heal). The runtime appends the result to the outbox as one telemetry sample.
 */
import type { Logger } from 'pino';
import type { AgentEvent, Sample } from '../../contract/protocol/index.ts';

/** One cycle's readings. `facts` are structured collector outputs for local stages; they are not sent upstream. */
export type CycleReading = {
  ts: number;
  schema: string;
  features: Record<string, number | null>;
  collectors: Record<string, string>;
  facts?: unknown;
};

/** A reading on its way through the stages. */
export type PipelineReading = CycleReading & { scores?: Sample['scores'] };

/** Host inventory with a stable hash. */
export type Inventory = { ts: number; hash: string; inventory: Record<string, unknown> };

/** Where readings come from (structurally the same as agent/collect's ReadingSource). */
export interface SampleSource {
  start(): Promise<void>;
  collect(now: number): Promise<CycleReading>;
  inventory(): Promise<Inventory>;
  stop(): Promise<void>;
}

/** An event a stage wants audited upstream (seq is assigned by the outbox). */
export type EventInput = Omit<AgentEvent, 'seq' | 'ts' | 'severity' | 'data'> &
  Partial<Pick<AgentEvent, 'ts' | 'severity' | 'data'>>;

/** What a stage gets besides the reading. */
export type StageContext = {
  /** This cycle's timestamp (ms). */
  now: number;
  /** Appends an audited event to the outbox (shares the telemetry seq space). */
  emit(event: EventInput): void;
  logger: Logger;
};

/** One pipeline step. Returning the reading (possibly enriched) passes it on; throwing skips only this stage. */
export type Stage = {
  name: string;
  run(reading: PipelineReading, ctx: StageContext): Promise<PipelineReading>;
  stop?(): Promise<void>;
};

/** Turns a reading into the wire sample body (without seq). */
export function toSampleBody(r: PipelineReading): Omit<Sample, 'seq'> {
  return {
    ts: r.ts,
    schema: r.schema,
    features: r.features,
    collectors: r.collectors,
    ...(r.scores ? { scores: r.scores } : {}),
  };
}
