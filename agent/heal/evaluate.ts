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

/** A process a condition matched, identified well enough to detect pid reuse at kill time. */
export interface ProcessTarget { pid: number; name: string; runtimeS: number }

export interface EvalResult { holds: boolean; processes: ProcessTarget[] }

export interface EvalContext {
  obs: Observation;
  now: number;
  /** Since-times from the previous cycle (read only). */
  since: Readonly<Record<string, number>>;
  /** Since-times for the next cycle: every leaf instance that holds now writes here. */
  nextSince: Record<string, number>;
}

const regexCache = new Map<string, RegExp>();
const globCache = new Map<string, (s: string) => boolean>();

/** True when the process matches a name glob and/or cmdline regex (both must match when both are given). */
export function processMatches(p: ProcessFact, m: ProcessMatch): boolean {
  if (m.name !== undefined) {
    let g = globCache.get(m.name);
    if (!g) { g = picomatch(m.name, { dot: true }); globCache.set(m.name, g); }
    if (!g(p.name)) return false;
  }
  if (m.cmdline !== undefined) {
    let r = regexCache.get(m.cmdline);
    if (!r) { r = new RegExp(m.cmdline); regexCache.set(m.cmdline, r); }
    if (!r.test(p.cmdline ?? p.name)) return false;
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
      return (obs.scores?.disks ?? []).some((d) => (c.device === undefined || d.device === c.device) && compare(d.probability, c.op, c.value));
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
      return (c.freePctBelow !== undefined && freePct < c.freePctBelow)
        || (c.freeBytesBelow !== undefined && fs.availBytes < c.freeBytesBelow)
        || (c.inodesFreePctBelow !== undefined && inodePct < c.inodesFreePctBelow);
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
        const raw = processMatches(p, c.process)
          && p.runtimeS * 1000 >= c.minRuntimeMs
          && (c.cpuPctAbove === undefined || (p.cpuPct !== null && p.cpuPct > c.cpuPctAbove))
          && (c.rssBytesAbove === undefined || p.rssBytes > c.rssBytesAbove);
        // keyed per pid; a reused pid at worst inherits a timer — the kill shell re-checks identity
        if (timed(ctx, `${key}#${p.pid}`, raw, c.forMs)) hits.push({ pid: p.pid, name: p.name, runtimeS: p.runtimeS });
      }
      return { holds: hits.length > 0, processes: hits };
    }
    default:
      return { holds: timed(ctx, key, rawLeaf(c, ctx.obs), c.forMs), processes: [] };
  }
}
