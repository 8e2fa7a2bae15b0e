/**
 * Wave planner: deterministic assignment of target hosts to rollout waves. Named canary hosts (by id or hostname)
 * form wave 0; the others are ordered by sha256(salt + hostId) — stable across runs and independent of list order —
 * and cut at cumulative percentages (default 5% → 25% → 100%). Every non-empty wave gets at least one host; the last
 * wave always reaches 100%.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../../contract/errors.ts';

/** Wave specification. `percents` are cumulative and strictly increasing; the last is forced to 100. */
export interface WaveSpec {
  percents?: number[];
  canaries?: string[];
}

/** Default cumulative wave sizes. */
export const DEFAULT_WAVE_PERCENTS = [5, 25, 100];

/** A host as the planner sees it. */
export interface PlannableHost {
  id: string;
  hostname?: string;
}

/** Returns waves of host ids (wave 0 = canaries when any match). `salt` is normally the rollout id. */
export function planWaves(hosts: readonly PlannableHost[], spec: WaveSpec, salt: string): string[][] {
  const percents = validatePercents(spec.percents ?? DEFAULT_WAVE_PERCENTS);
  const canaryNames = new Set(spec.canaries ?? []);
  const canaries = hosts.filter(
    (h) => canaryNames.has(h.id) || (h.hostname !== undefined && canaryNames.has(h.hostname)),
  );
  const canaryIds = new Set(canaries.map((h) => h.id));
  const rest = hosts
    .filter((h) => !canaryIds.has(h.id))
    .map((h) => ({ id: h.id, rank: createHash('sha256').update(`${salt}\0${h.id}`).digest('hex') }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .map((h) => h.id);
  const waves: string[][] = [];
  if (canaries.length) waves.push(canaries.map((h) => h.id).sort());
  let taken = 0;
  for (const p of percents) {
    const upTo = Math.min(rest.length, Math.max(taken + 1, Math.ceil((rest.length * p) / 100)));
    if (upTo > taken) waves.push(rest.slice(taken, upTo));
    taken = upTo;
  }
  return waves;
}

function validatePercents(percents: number[]): number[] {
  const issues: { path: string; message: string }[] = [];
  if (percents.length === 0) issues.push({ path: 'percents', message: 'at least one wave is needed' });
  percents.forEach((p, i) => {
    if (!(p > 0 && p <= 100)) issues.push({ path: `percents[${i}]`, message: `${p} is not in (0, 100]` });
    if (i > 0 && p <= percents[i - 1]!)
      issues.push({ path: `percents[${i}]`, message: `${p} must exceed the previous wave (${percents[i - 1]})` });
  });
  if (issues.length) throw new ValidationError(issues, 'wave spec');
  const out = [...percents];
  out[out.length - 1] = 100;
  return out;
}
