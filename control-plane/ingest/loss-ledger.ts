/**
 * Loss ledger (I/O shell of loss-accounting.ts): computes a host's loss accounting from the store on request
 * (`GET /api/hosts/:id/loss`) and for every host on a slow sweep, and keeps the latest figures per host for the
 * gauges `loss.seqs.explained`, `loss.seqs.unexplained` and `loss.hosts.unexplained` (/api/metrics, Prometheus).
 */
import type { Logger } from 'pino';
import type { HostLoss } from '../../contract/api/host-loss.ts';
import type { TelemetryRepository } from '../store/ports.ts';
import { reconcileLoss } from './loss-accounting.ts';

/** Most drop events read per host (each lists up to 256 ranges); more are summarised by the newest ones' folding. */
const MAX_DROP_EVENTS = 10_000;

export type LossLedger = {
  /** The host's accounting now (also updates the gauges). */
  host(hostId: string): Promise<HostLoss>;
  /** Recomputes every listed host, one at a time; hosts not listed leave the gauges. */
  sweep(hostIds: string[]): Promise<void>;
  gauges(): Record<string, number>;
  /** Sweeps every `intervalMs` (unref'd timer) until {@link LossLedger.stop}. */
  start(listHosts: () => Promise<string[]>, intervalMs: number, log: Logger): void;
  stop(): void;
};

export function createLossLedger(telemetry: TelemetryRepository, now: () => number = Date.now): LossLedger {
  const latest = new Map<string, HostLoss>();
  let timer: NodeJS.Timeout | null = null;
  let sweeping = false;
  let stopped = false;

  async function host(hostId: string): Promise<HostLoss> {
    const [span, drops] = await Promise.all([
      telemetry.seqSpan(hostId),
      telemetry.listEvents(hostId, { type: 'outbox.dropped', limit: MAX_DROP_EVENTS, order: 'asc' }),
    ]);
    const loss: HostLoss = {
      hostId,
      ...reconcileLoss(
        span,
        drops.map((e) => e.data),
      ),
      at: now(),
    };
    if (drops.length >= MAX_DROP_EVENTS) loss.truncated = true;
    latest.set(hostId, loss);
    return loss;
  }

  const ledger: LossLedger = {
    host,
    async sweep(hostIds) {
      const keep = new Set(hostIds);
      for (const id of latest.keys()) if (!keep.has(id)) latest.delete(id);
      for (const id of hostIds) {
        if (stopped) return;
        await host(id);
      }
    },
    gauges() {
      let explained = 0;
      let unexplained = 0;
      let hosts = 0;
      for (const l of latest.values()) {
        explained += l.explained;
        unexplained += l.unexplained;
        if (l.unexplained > 0) hosts += 1;
      }
      return {
        'loss.seqs.explained': explained,
        'loss.seqs.unexplained': unexplained,
        'loss.hosts.unexplained': hosts,
      };
    },
    start(listHosts, intervalMs, log) {
      const run = async () => {
        if (sweeping) return;
        sweeping = true;
        try {
          await ledger.sweep(await listHosts());
        } catch (err) {
          log.error({ err }, 'loss accounting sweep failed');
        } finally {
          sweeping = false;
        }
      };
      timer = setInterval(() => void run(), intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
  return ledger;
}
