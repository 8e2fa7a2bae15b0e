/**
 * The allocation-lean parsers (issue 12) give what the straightforward ones gave: each is compared with a verbatim
 * copy of its former implementation on the fixtures, this machine's /proc, and edge cases.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CpuTimes, DiskIoFacts } from '../types.ts';
import { isWholeDisk, parseDiskstats } from './diskstats.ts';
import { parseMeminfo, parseVmstat } from './keyvalue.ts';
import { parsePidStat, parsePidStatBytes, parsePidStatInto, type PidStat } from './pid.ts';
import { parseProcStat } from './proc-stat.ts';

const fixtures = new URL('../../../test/fixtures/proc/', import.meta.url);
const texts = (file: string): string[] => {
  const out: string[] = [];
  for (const host of readdirSync(fixtures)) {
    try {
      out.push(readFileSync(new URL(`${host}/${file}`, fixtures), 'utf8'));
    } catch {
      // not in this fixture
    }
  }
  try {
    out.push(readFileSync(`/proc/${file}`, 'utf8'));
  } catch {
    // not Linux
  }
  assert.ok(out.length > 0, file);
  return out;
};

function legacyProcStat(text: string) {
  let total: CpuTimes | null = null;
  const cores: Record<string, CpuTimes> = {};
  let running = 0,
    blocked = 0,
    bootTimeS: number | null = null;
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0] ?? '';
    if (key.startsWith('cpu')) {
      const n = parts.slice(1).map(Number);
      const t: CpuTimes = {
        user: n[0] ?? 0,
        nice: n[1] ?? 0,
        system: n[2] ?? 0,
        idle: n[3] ?? 0,
        iowait: n[4] ?? 0,
        irq: n[5] ?? 0,
        softirq: n[6] ?? 0,
        steal: n[7] ?? 0,
      };
      if (key === 'cpu') total = t;
      else cores[key.slice(3)] = t;
    } else if (key === 'procs_running') running = Number(parts[1]);
    else if (key === 'procs_blocked') blocked = Number(parts[1]);
    else if (key === 'btime') bootTimeS = Number(parts[1]);
  }
  if (!total) throw new Error('/proc/stat has no aggregate cpu line');
  return { total, cores, running, blocked, bootTimeS };
}

function legacyMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
  }
  return out;
}

function legacyVmstat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return out;
}

function legacyDiskstats(text: string, all = false): DiskIoFacts[] {
  const out: DiskIoFacts[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    if (!all && !isWholeDisk(device)) continue;
    const n = (i: number) => Number(f[i]);
    out.push({
      device,
      reads: n(3),
      readSectors: n(5),
      readMs: n(6),
      writes: n(7),
      writeSectors: n(9),
      writeMs: n(10),
      inFlight: n(11),
      ioMs: n(12),
      weightedIoMs: n(13),
    });
  }
  return out;
}

const pick = (r: Record<string, number>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]!]));

test('/proc/stat: only the lines read are split, same result', () => {
  const edge = [
    'cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4\n  procs_running 7\nprocs_runningx 9\nprocs_blocked\t2\nbtime 5\nintr 1 2 3\n',
    '\tcpu 1\n btime  12 \nprocs_blocked 3 4\n',
    'cpu 1 2\nbtimex 3\nbtime\n',
  ];
  for (const t of [...texts('stat'), ...edge]) assert.deepEqual(parseProcStat(t), legacyProcStat(t), t);
  assert.throws(() => parseProcStat('intr 1 2\n'), /no aggregate cpu line/);
});

test('/proc/meminfo and /proc/vmstat with keys: those keys, as the full parse gives them', () => {
  const memKeys = ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree', 'SReclaimable'];
  const edge = 'SwapCached: 5 kB\nCached:   7 kB\nCachedX: 1 kB\nBuffers: 9\nMemFree:x\nMemTotal: 3 kB\nMemTotal: 4 kB';
  for (const t of [...texts('meminfo'), edge]) {
    assert.deepEqual(parseMeminfo(t), legacyMeminfo(t));
    assert.deepEqual(parseMeminfo(t, memKeys), pick(legacyMeminfo(t), memKeys), t);
  }
  const vmKeys = ['pswpin', 'pswpout', 'pgmajfault'];
  for (const t of [...texts('vmstat'), 'pswpin 1\npswpin_x 2\npswpout  3 \npgmajfault\npgmajfault 4']) {
    assert.deepEqual(parseVmstat(t), legacyVmstat(t));
    assert.deepEqual(parseVmstat(t, vmKeys), pick(legacyVmstat(t), vmKeys), t);
  }
});

test('/proc/diskstats: devices skipped before the split, same result', () => {
  const edge = '   8  0 sda 1 2 3 4 5 6 7 8 9 10 11\n 7 0 loop0 1 2 3 4 5 6 7 8 9 10 11\n 8 1 sdb 1 2\n\n8 16';
  for (const t of [...texts('diskstats'), edge]) {
    assert.deepEqual(parseDiskstats(t), legacyDiskstats(t), t);
    assert.deepEqual(parseDiskstats(t, true), legacyDiskstats(t, true), t);
  }
});

test('/proc/[pid]/stat into a reused object: same fields, the previous command name kept only when unchanged', () => {
  const line = (comm: string) => Buffer.from(`42 (${comm}) S 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 2 0 99 0 11\n`);
  const out: PidStat = { pid: 0, comm: '', state: '', utime: 0, stime: 0, numThreads: 0, startTicks: 0, rssPages: 0 };
  const prev = ['ka', 'tmux'].join('');
  let b = line('katmux');
  // Same length, different bytes: decoded afresh.
  assert.ok(parsePidStatInto(b, b.length, out, 'katmuy'));
  assert.equal(out.comm, 'katmux');
  assert.deepEqual(out, parsePidStat(b.toString()));
  assert.ok(parsePidStatInto(b, b.length, out, prev));
  assert.equal(out.comm, prev);
  b = line('naïve ✓');
  assert.ok(parsePidStatInto(b, b.length, out, 'naïve ✓'));
  assert.deepEqual(out, parsePidStat(b.toString()));
  assert.ok(parsePidStatInto(b, b.length, out, 'na'));
  assert.equal(out.comm, 'naïve ✓');
  assert.equal(parsePidStatInto(Buffer.from('12 (x) S 1 2'), 12, out, 'x'), false);
  assert.deepEqual(parsePidStatBytes(b, b.length), parsePidStat(b.toString()));
});
