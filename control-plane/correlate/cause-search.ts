/**
 * Which attribute value best explains a set of symptomatic hosts, and which open cause best explains one more event.
 * Pure: the correlator (correlator.ts) passes the hosts, their attributes and the fleet counts.
 */
import type { HostAttributes, Population } from './population.ts';
import {
  bestPossibleScore,
  isCause,
  taroneCorrection,
  testValue,
  type CauseThresholds,
  type ValueTest,
} from './significance.ts';

/** A candidate cause: one attribute value and its test. */
export interface CauseCandidate {
  key: string;
  value: string;
  test: ValueTest;
}

/** Context shared by the searches. */
export interface SearchContext {
  population: Population;
  attrsOf: (hostId: string) => HostAttributes;
  ignore: ReadonlySet<string>;
  thresholds: CauseThresholds;
}

/** Prefers the more significant test; on a tie, the rarer value. */
function better(a: CauseCandidate, b: CauseCandidate | null): boolean {
  if (!b) return true;
  if (a.test.score > b.test.score + 1e-9) return true;
  return Math.abs(a.test.score - b.test.score) <= 1e-9 && a.test.K < b.test.K;
}

/** How many holders of each (key, value) pair `explained` holds ("key\0value" → count). */
function explainedHolders(explained: ReadonlySet<string>, ctx: SearchContext): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of explained)
    for (const [key, value] of Object.entries(ctx.attrsOf(h))) {
      const kv = `${key}\0${value}`;
      out.set(kv, (out.get(kv) ?? 0) + 1);
    }
  return out;
}

/**
 * Tarone's correction (significance.ts) over the family of hypotheses a search could test: every (key, value) pair of
 * the fleet (ignored keys aside), each with its holders among the hosts nothing explains. Which value a search tries
 * depends on which hosts report, so the family is every pair, not one per key; pairs whose best possible p-value
 * cannot pass (a value almost every host holds) do not count.
 */
export function pairCorrection(n: number, N: number, out: ReadonlyMap<string, number>, ctx: SearchContext): number {
  const best: number[] = [];
  for (const [key, value, count] of ctx.population.values()) {
    if (ctx.ignore.has(key)) continue;
    best.push(bestPossibleScore(n, Math.max(0, count - (out.get(`${key}\0${value}`) ?? 0)), N));
  }
  return taroneCorrection(best, ctx.thresholds.minScore);
}

/**
 * Tests each candidate value against the symptomatic hosts and returns the best that passes the thresholds after
 * Tarone's correction over the fleet's testable (key, value) pairs (pairCorrection), or null. Hosts that another open
 * cause already explains (`explained`) are out of both the symptomatic set and the fleet counts: the test asks whether
 * the value stands out among the hosts nothing explains yet (removing a datacenter-wide fault's hosts from the
 * symptomatic ones only would make the other datacenter's background look over-represented).
 */
export function bestCause(
  candidates: readonly (readonly [string, string])[],
  symptomatic: readonly string[],
  ctx: SearchContext,
  explained: ReadonlySet<string> = new Set(),
): CauseCandidate | null {
  const sick = symptomatic.filter((h) => !explained.has(h));
  const n = sick.length;
  if (n < ctx.thresholds.minHosts) return null;
  const N = Math.max(ctx.population.size() - explained.size, n);
  const out = explainedHolders(explained, ctx);
  const correction = pairCorrection(n, N, out, ctx);
  let best: CauseCandidate | null = null;
  for (const [key, value] of candidates) {
    if (ctx.ignore.has(key)) continue;
    const k = sick.filter((h) => ctx.attrsOf(h)[key] === value).length;
    if (k < ctx.thresholds.minHosts) continue;
    const K = Math.max(0, ctx.population.count(key, value) - (out.get(`${key}\0${value}`) ?? 0));
    const c = { key, value, test: testValue(k, n, K, N) };
    if (isCause(c.test, correction, ctx.thresholds) && better(c, best)) best = c;
  }
  return best;
}

/** For each attribute key, the value most of `hosts` share (the candidates when re-checking a group's cause). */
export function commonValues(hosts: readonly string[], ctx: SearchContext): [string, string][] {
  const counts = new Map<string, Map<string, number>>();
  for (const h of hosts)
    for (const [key, value] of Object.entries(ctx.attrsOf(h))) {
      if (ctx.ignore.has(key)) continue;
      const m = counts.get(key) ?? counts.set(key, new Map()).get(key)!;
      m.set(value, (m.get(value) ?? 0) + 1);
    }
  const out: [string, string][] = [];
  for (const [key, m] of counts) {
    const [value, c] = [...m].sort((a, b) => b[1] - a[1])[0]!;
    if (c * 2 > hosts.length) out.push([key, value]);
  }
  return out;
}

/** An open cause an event could belong to. */
export interface OpenCause {
  id: string;
  /** The host already belongs to it (its earlier signals of this symptom went there). */
  holdsHost: boolean;
  /** Onset rate now: hosts joining per unit time (onsetHazard) / holders not affected before the recent window. */
  hazard: number;
  /** Failure rate among the fleet hosts holding its value. */
  rateWith: number;
  score: number;
}

/**
 * The current run of an onset: the joins (ms) back from the latest with no improbable silence between them
 * (improbableSilence), so a background blip of the same symptom half an hour earlier neither stretches the onset's
 * pace nor its start. Null without joins.
 */
export function onsetRun(
  joins: readonly number[],
  minScore: number,
): { first: number; last: number; n: number } | null {
  const desc = [...joins].sort((a, b) => b - a);
  if (desc.length === 0) return null;
  let n = 1;
  while (n < desc.length && !improbableSilence(desc[n - 1]! - desc[n]!, desc[0]! - desc[n - 1]!, n, minScore)) n++;
  return { first: desc[n - 1]!, last: desc[0]!, n };
}

/**
 * Chance that an onset of `n` joins spanning `span` ms is still going after `gap` ms without a join, against its
 * having ended: the predictive chance of that silence under its own pace (rate posterior Gamma(n − 1, span)),
 * (span / (span + gap))^(n − 1); 1 with fewer than two joins (no pace to judge by).
 */
function stillGoing(gap: number, span: number, n: number): number {
  if (n < 2 || gap <= 0) return 1;
  const s = Math.max(span, (n - 1) * 1_000);
  return (s / (s + gap)) ** (n - 1);
}

/**
 * Onset rate of a cause at `now`: its hosts joined at `joins` (ms), `K` hosts hold its value. The hosts of its current
 * run (onsetRun) that joined in the last `windowMs`, over the holders not affected before that window: the share of
 * its holders at risk being hit now. A blip of the symptom long before the onset counts in neither.
 */
export function onsetHazard(
  joins: readonly number[],
  now: number,
  K: number,
  minScore: number,
  windowMs = 5 * 60_000,
): number {
  const past = joins.filter((t) => t <= now);
  const run = onsetRun(past, minScore);
  if (!run) return 0;
  const from = now - windowMs;
  const fresh = past.filter((t) => t > from && t >= run.first).length;
  const before = past.filter((t) => t <= from).length;
  return fresh / Math.max(1, K - before);
}

/**
 * Whether a cause's onset of a symptom is over at `now`: its hosts joined at `joins` (ms), and the chance it is still
 * going after the silence since its current run's last join (stillGoing) is as small as the evidence a cause needs to
 * open (10^−minScore). A one-off symptom trickling in every few minutes stays on; a crash loop whose new hosts stopped
 * coming ten minutes ago, while its hosts still repeat it, is over; a blip long before the onset does not slow its
 * pace. The same test on the times a symptom was reported at all says whether a cause has stopped producing it.
 */
export function onsetOver(joins: readonly number[], now: number, minScore: number): boolean {
  const run = onsetRun(joins, minScore);
  if (!run) return true;
  return improbableSilence(now - run.last, run.last - run.first, run.n, minScore);
}

/**
 * Whether a silence of `gap` ms next to an onset of `n` joins spanning `span` ms is as improbable as the evidence a
 * cause needs to open (10^−minScore). The onset rate is uncertain when few hosts joined, so the chance of the silence
 * is the predictive one, averaged over the rate (Poisson process, rate posterior Gamma(n − 1, span)):
 * (span / (span + gap))^(n − 1). Three hosts in twenty seconds say little about the next ten minutes; thirty do.
 */
function improbableSilence(gap: number, span: number, n: number, minScore: number): boolean {
  if (n < 2 || gap <= 0) return false;
  return Math.log10(stillGoing(gap, span, n)) < -minScore;
}

/**
 * Whether an event at `at` came too early to belong to an onset whose hosts joined at `joins` (ms): it precedes the
 * onset's current run (onsetRun) by an improbable silence (improbableSilence, the mirror of onsetOver). A host whose
 * own fault started a quarter of an hour before a kernel's hosts began to fail is not an early sighting of the
 * kernel, however alike its symptom.
 */
export function beforeOnset(at: number, joins: readonly number[], minScore: number): boolean {
  const run = onsetRun(joins, minScore);
  if (!run || run.n < 2) return false;
  return at < run.first && improbableSilence(run.first - at, run.last - run.first, run.n, minScore);
}

/**
 * The open cause that best explains a new event from a host holding several causes' values (both a rack whose PDU
 * failed and a bad kernel): the cause it already belongs to; else the one whose unaffected holders are being hit
 * fastest right now (a rack that failed all at once ten minutes ago explains a fresh alert worse than a kernel whose
 * hosts are still falling over); else the one whose holders fail most often; else the more significant.
 */
export function bestExplaining<T extends OpenCause>(causes: readonly T[]): T | null {
  const key = (c: T) => [c.holdsHost ? 1 : 0, c.hazard, c.rateWith, c.score];
  let best: T | null = null;
  for (const c of causes) {
    if (!best) {
      best = c;
      continue;
    }
    const [x, y] = [key(c), key(best)];
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]! - y[i]!) <= 1e-9 * Math.max(Math.abs(x[i]!), Math.abs(y[i]!))) continue;
      if (x[i]! > y[i]!) best = c;
      break;
    }
  }
  return best;
}

/**
 * A cause's onset in hindsight: its hosts' join times (ms) split into runs at improbable silences (improbableSilence),
 * both forwards (a straggler long after) and backwards (a blip long before), each run as [first, last, joins].
 */
export function onsetRuns(joins: readonly number[], minScore: number): [number, number, number][] {
  const asc = [...joins].sort((a, b) => a - b);
  const forward: number[][] = [];
  for (const t of asc) {
    const run = forward[forward.length - 1];
    if (run && !improbableSilence(t - run[run.length - 1]!, run[run.length - 1]! - run[0]!, run.length, minScore))
      run.push(t);
    else forward.push([t]);
  }
  const out: [number, number, number][] = [];
  for (const run of forward) {
    const back: [number, number, number][] = [];
    let last = run[run.length - 1]!;
    let n = 1;
    for (let i = run.length - 2; i >= 0; i--) {
      const first = run[i + 1]!;
      if (improbableSilence(first - run[i]!, last - first, n, minScore)) {
        back.push([first, last, n]);
        last = run[i]!;
        n = 1;
      } else n++;
    }
    back.push([run[0]!, last, n]);
    out.push(...back.reverse());
  }
  return out;
}

/**
 * Density (per ms) of a cause's onset at `t`, in hindsight, from its hosts' join times: each run (onsetRuns) uniform
 * over its span (at least `minSpanMs`: joins a few seconds apart say little about the exact time), falling off outside
 * it with the predictive chance that it had started, or was still going, that far away ((span / (span + gap))^n, as
 * stillGoing); runs weighted by their share of the joins. A kernel's hosts falling over for twenty minutes explain an
 * alert at minute 12 with density 1/20 per minute; a rack whose hosts all failed within two minutes explains one a
 * minute after its last host far less than one inside those two minutes. (The silence after a run's last join up to
 * `t` was seen, whether or not the onset is over by now: the tail applies to any `t` past it.)
 */
export function onsetDensity(joins: readonly number[], t: number, minScore: number, minSpanMs = 60_000): number {
  let d = 0;
  for (const [first, last, n] of onsetRuns(joins, minScore)) {
    const span = Math.max(last - first, minSpanMs);
    const gap = t < first ? first - t : t > last ? t - last : 0;
    d += (n / joins.length / span) * (span / (span + gap)) ** n;
  }
  return d;
}
