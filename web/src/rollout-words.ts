/**
 * Rollouts in words: the health gate's verdict and rates (stored as JSON in the rollout's history) as sentences, what
 * the "send the other version" button really does (roll back, or roll forward when this rollout was itself a
 * rollback), and which rollouts are finished. A wave whose gate decided is shown as the gate saw it (frozen), never
 * recomputed from the hosts' current state; only the wave being soaked counts acknowledgements live.
 */
import type { Rollout } from '../../contract/api/rollouts.ts';

/** The gate's rate names (control-plane/fleet/health-gate.ts evaluateGate: per-host rates, and the latency p95). */
const RATE_WORDS: Record<string, string> = {
  errors: 'errors per host',
  anomalies: 'anomalies per host',
  inferenceErrors: 'inference errors per host',
  latencyP95Ms: 'p95 latency (ms)',
};

/** A history entry `gate pass|fail|insufficient` with its JSON detail, in words; null for other entries. */
export function gateInWords(event: string, detail?: string): { verdict: string; lines: string[] } | null {
  const m = event.match(/^gate (pass|fail|insufficient)$/);
  if (!m) return null;
  const verdict =
    m[1] === 'pass'
      ? 'passed'
      : m[1] === 'fail'
        ? 'failed'
        : 'is waiting (hosts have not acknowledged or reported since the wave was sent)';
  let parsed: { reasons?: unknown; rates?: unknown } = {};
  try {
    parsed = detail ? (JSON.parse(detail) as typeof parsed) : {};
  } catch {
    return { verdict, lines: detail ? [detail] : [] };
  }
  const lines: string[] = Array.isArray(parsed.reasons) ? parsed.reasons.map(String) : [];
  if (parsed.rates && typeof parsed.rates === 'object') {
    for (const [name, r] of Object.entries(parsed.rates as Record<string, { treated?: number; baseline?: number }>)) {
      const fmt = (v: unknown) => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : '?');
      lines.push(`${RATE_WORDS[name] ?? name}: ${fmt(r.treated)} on the new version vs ${fmt(r.baseline)} on the rest`);
    }
  }
  return { verdict, lines };
}

/** The trailing number of a version id (`web@3` → 3, `anomaly@4.0.0` → NaN when not a plain number). */
function versionNumber(v: string): number {
  const tail = v.split('@').at(-1) ?? v;
  return /^\d+$/.test(tail) ? Number(tail) : Number.NaN;
}

/** Whether this rollout was a rollback (it sent an older version, or its history says so). */
export function wasRollback(r: Pick<Rollout, 'version' | 'previousVersion' | 'history'>): boolean {
  if (r.history.some((h) => /rollback/.test(`${h.event} ${h.detail ?? ''}`))) return true;
  if (!r.previousVersion) return false;
  const a = versionNumber(r.version);
  const b = versionNumber(r.previousVersion);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

/** The label of the button sending `previousVersion` back: "Roll back to …" or, after a rollback, "Roll forward to …". */
export function revertLabel(r: Pick<Rollout, 'version' | 'previousVersion' | 'history'>): string {
  return `${wasRollback(r) ? 'Roll forward' : 'Roll back'} to ${versionWords(r.previousVersion ?? '')}`;
}

/** A version label for people: `<set>@0` (an empty set sent by a rollback of a first publish) is "no policy". */
export function versionWords(version: string): string {
  return /@0$/.test(version) ? 'no policy' : version;
}

/** A rollout that will not change any more. */
export function isFinished(r: Pick<Rollout, 'status'>): boolean {
  return r.status === 'completed' || r.status === 'halted' || r.status === 'rolled-back' || r.status === 'cancelled';
}

/** What the history says of wave `index`: sent when, gate passed when (null when the wave was never sent). */
export function waveHistory(
  r: Pick<Rollout, 'history'>,
  index: number,
): { sentAt: number | null; passedAt: number | null } {
  const sent = r.history.find((h) => h.event === `wave ${index} sent`);
  const passed = r.history.find((h) => h.event === `wave ${index} passed the health gate`);
  return { sentAt: sent?.at ?? null, passedAt: passed?.at ?? null };
}

/** How one wave reads: decided by its gate (frozen), being soaked (live), recorded in history only, or not sent. */
export type WaveRow =
  | { state: 'decided'; verdict: 'pass' | 'fail'; hosts: number; acknowledged: number; at: number }
  | { state: 'live'; hosts: number; acknowledged: number; current: boolean }
  | { state: 'recorded'; hosts: number; sentAt: number; passedAt: number | null }
  | { state: 'not-sent'; hosts: number };

/**
 * Wave `index` of `r`. `ackedNow` counts the wave's hosts that report the version today: it is asked only for the
 * wave being soaked, so a wave that passed keeps the count its gate saw whatever its hosts run later. A rollout
 * stored before wave results were kept shows what its history recorded.
 */
export function waveRow(
  r: Pick<Rollout, 'history' | 'waveResults' | 'status' | 'wave' | 'waves'>,
  index: number,
  ackedNow: (hosts: string[]) => number,
): WaveRow {
  const hosts = r.waves[index] ?? [];
  const decided = r.waveResults?.findLast((w) => w.wave === index);
  if (decided) return { state: 'decided', ...decided };
  const { sentAt, passedAt } = waveHistory(r, index);
  if (sentAt === null) return { state: 'not-sent', hosts: hosts.length };
  if (isFinished(r) || index < r.wave) return { state: 'recorded', hosts: hosts.length, sentAt, passedAt };
  return { state: 'live', hosts: hosts.length, acknowledged: ackedNow(hosts), current: index === r.wave };
}

/** A history entry's event for people: the state machine counts waves from 0, the cards from 1 ("wave 0 sent" →
 * "wave 1 sent"). */
export function historyWords(event: string): string {
  return event.replace(/^wave (\d+)/, (_, n: string) => `wave ${Number(n) + 1}`);
}
