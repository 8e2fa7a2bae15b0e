/**
 * Evaluates a condition against an observation (pure). `for:` durations are tracked in a `since` map keyed by
 * the leaf's path (and, for process leaves, by process), carried from one cycle to the next by the caller.
 * Missing data (null feature, collector absent, service not reported) never counts as true.
 */
import picomatch from 'picomatch';
import type { Condition, ProcessMatch } from '../../contract/policy/schema.ts';
import { compare } from '../../contract/policy/schema.ts';
import type { Observation, ProcessFact } from './types.ts';
import { processesOf } from './types.ts';
import { compileSafeRegex, type SafeRegex } from '../../contract/policy/regex.ts';

/** Longest command line a regex is run against (longer ones are matched on their first 4 KiB). */
export const MAX_MATCH_INPUT = 4096;
/** Regex evaluations per cycle over all policies; past it cmdline conditions do not match this cycle. */
export const MAX_REGEX_TESTS_PER_CYCLE = 50_000;

/** Remaining regex evaluations of one cycle, shared by every condition and action of that cycle. */
export interface MatchBudget {
  regexTests: number;
  exhausted: boolean;
}
export const newMatchBudget = (): MatchBudget => ({ regexTests: MAX_REGEX_TESTS_PER_CYCLE, exhausted: false });

/** A process a condition matched, identified well enough to detect pid reuse at kill time. */
export interface ProcessTarget {
  pid: number;
  name: string;
  runtimeS: number;
}

export interface EvalResult {
  holds: boolean;
  processes: ProcessTarget[];
}

export interface EvalContext {
  obs: Observation;
  now: number;
  /** Since-times from the previous cycle (read only). */
  since: Readonly<Record<string, number>>;
  /** Since-times for the next cycle: every leaf instance that holds now writes here. */
  nextSince: Record<string, number>;
  /** Regex evaluations left this cycle (default: a fresh budget per call). */
  budget?: MatchBudget;
}

// Compiled matchers, keyed by source; bounded so a stream of policy sets cannot grow them without end.
const regexCache = new Map<string, SafeRegex | null>();
const globCache = new Map<string, (s: string) => boolean>();
const CACHE_MAX = 1000;

function regexFor(source: string): SafeRegex | null {
  let r = regexCache.get(source);
  if (r === undefined) {
    // The set was linted before activation; a pattern refused here (a set cached by an older agent) never matches.
    try {
      r = compileSafeRegex(source);
    } catch {
      r = null;
    }
    if (regexCache.size >= CACHE_MAX) regexCache.clear();
    regexCache.set(source, r);
  }
  return r;
}

/**
 * True when the process matches a name glob and/or cmdline regex (both must match when both are given). The regex
 * runs on a linear-time engine over at most {@link MAX_MATCH_INPUT} characters, and only while `budget` lasts.
 */
export function processMatches(p: ProcessFact, m: ProcessMatch, budget: MatchBudget = newMatchBudget()): boolean {
  if (m.name !== undefined) {
    let g = globCache.get(m.name);
    if (!g) {
      g = picomatch(m.name, { dot: true });
      if (globCache.size >= CACHE_MAX) globCache.clear();
      globCache.set(m.name, g);
    }
    if (!g(p.name)) return false;
  }
  if (m.cmdline !== undefined) {
    const r = regexFor(m.cmdline);
    if (!r) return false;
    if (budget.regexTests <= 0) {
      budget.exhausted = true;
      return false;
    }
    budget.regexTests -= 1;
    const input = p.cmdline ?? p.name;
    if (!r.test(input.length > MAX_MATCH_INPUT ? input.slice(0, MAX_MATCH_INPUT) : input)) return false;
  }
  return true;
}

/** A service is running when it says healthy, else when its state is active/running. */
export function serviceRunning(state: string, healthy: boolean | undefined): boolean {
  return healthy ?? (state === 'active' || state === 'running');
}

function timed(ctx: EvalContext, key: string, raw: boolean, forMs: number): boolean {
  if (!raw) return false;
  const start = ctx.since[key] ?? ctx.now;
  ctx.nextSince[key] = start;
  return ctx.now - start >= forMs;
}

function rawLeaf(c: Condition, obs: Observation): boolean {
  switch (c.kind) {
    case 'feature': {
      const v = obs.features[c.feature];
      return typeof v === 'number' && compare(v, c.op, c.value);
    }
    case 'score': {
      if (c.score === 'anomaly') {
        const s = obs.scores?.anomaly?.score;
        return typeof s === 'number' && compare(s, c.op, c.value);
      }
      return (obs.scores?.disks ?? []).some(
        (d) => (c.device === undefined || d.device === c.device) && compare(d.probability, c.op, c.value),
      );
    }
    case 'service': {
      const s = obs.facts.services?.find((x) => x.name === c.service);
      return s !== undefined && !serviceRunning(s.state, s.healthy);
    }
    case 'mount': {
      const fs = obs.facts.filesystems?.find((x) => x.mount === c.mount);
      if (!fs) return false;
      const freePct = fs.sizeBytes > 0 ? (fs.availBytes / fs.sizeBytes) * 100 : 100;
      const inodePct = fs.inodes > 0 ? (fs.inodesFree / fs.inodes) * 100 : 100;
      return (
        (c.freePctBelow !== undefined && freePct < c.freePctBelow) ||
        (c.freeBytesBelow !== undefined && fs.availBytes < c.freeBytesBelow) ||
        (c.inodesFreePctBelow !== undefined && inodePct < c.inodesFreePctBelow)
      );
    }
    default:
      return false;
  }
}

/** Evaluates `c` at path `key`; every child is evaluated (no short-circuit) so their timers keep running. */
export function evaluate(c: Condition, ctx: EvalContext, key: string): EvalResult {
  switch (c.kind) {
    case 'all': {
      const rs = c.all.map((x, i) => evaluate(x, ctx, `${key}.all.${i}`));
      const holds = rs.every((r) => r.holds);
      return { holds, processes: holds ? rs.flatMap((r) => r.processes) : [] };
    }
    case 'any': {
      const rs = c.any.map((x, i) => evaluate(x, ctx, `${key}.any.${i}`));
      return { holds: rs.some((r) => r.holds), processes: rs.filter((r) => r.holds).flatMap((r) => r.processes) };
    }
    case 'not':
      return { holds: !evaluate(c.not, ctx, `${key}.not`).holds, processes: [] };
    case 'process': {
      const hits: ProcessTarget[] = [];
      for (const p of processesOf(ctx.obs)) {
        const raw =
          processMatches(p, c.process, (ctx.budget ??= newMatchBudget())) &&
          p.runtimeS * 1000 >= c.minRuntimeMs &&
          (c.cpuPctAbove === undefined || (p.cpuPct !== null && p.cpuPct > c.cpuPctAbove)) &&
          (c.rssBytesAbove === undefined || p.rssBytes > c.rssBytesAbove);
        // keyed per pid; a reused pid at worst inherits a timer — the kill shell re-checks identity
        if (timed(ctx, `${key}#${p.pid}`, raw, c.forMs)) hits.push({ pid: p.pid, name: p.name, runtimeS: p.runtimeS });
      }
      return { holds: hits.length > 0, processes: hits };
    }
    default:
      return { holds: timed(ctx, key, rawLeaf(c, ctx.obs), c.forMs), processes: [] };
  }
}
