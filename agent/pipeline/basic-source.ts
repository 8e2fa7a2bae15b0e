/**
 * A deliberately tiny built-in {@link SampleSource} used until agent/collect lands: systeminformation once for the
 * inventory, then cheap /proc reads per cycle (loadavg, meminfo, /proc/stat CPU). Shell file (reads /proc, imports
 * systeminformation). Features are null when a file is unreadable, never a fake zero.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import si from 'systeminformation';
import type { CycleReading, Inventory, SampleSource } from './types.ts';

/** Schema tag of the basic source's features. */
export const BASIC_SCHEMA = 'basic-1';

type CpuTotals = { busy: number; total: number; iowait: number };

/** Creates the basic source; `procRoot` lets tests point it at a fixture (default '/proc'). */
export function createBasicSource(options: { procRoot?: string } = {}): SampleSource {
  const proc = options.procRoot ?? '/proc';
  let prevCpu: CpuTotals | null = null;
  let inventory: Inventory | null = null;
  const read = (name: string) => readFile(`${proc}/${name}`, 'utf8').catch(() => null);

  return {
    async start() {
      prevCpu = parseStat(await read('stat'));
    },
    async collect(now) {
      const [loadavg, meminfo, stat] = await Promise.all([read('loadavg'), read('meminfo'), read('stat')]);
      const features: Record<string, number | null> = {};
      const collectors: Record<string, string> = {};
      const load = loadavg?.split(/\s+/).slice(0, 3).map(Number);
      collectors.loadavg = load?.every(Number.isFinite) ? 'ok' : 'unavailable: /proc/loadavg unreadable';
      features['load.1m'] = load?.[0] ?? null;
      features['load.5m'] = load?.[1] ?? null;
      features['load.15m'] = load?.[2] ?? null;
      const mem = meminfo ? parseMeminfo(meminfo) : null;
      collectors.memory = mem?.MemTotal ? 'ok' : 'unavailable: /proc/meminfo unreadable';
      features['mem.used_ratio'] =
        mem?.MemTotal && mem.MemAvailable !== undefined ? 1 - mem.MemAvailable / mem.MemTotal : null;
      features['mem.available_bytes'] = mem?.MemAvailable !== undefined ? mem.MemAvailable * 1024 : null;
      features['swap.used_ratio'] = mem?.SwapTotal ? 1 - (mem.SwapFree ?? 0) / mem.SwapTotal : mem ? 0 : null;
      const cpu = parseStat(stat);
      collectors.cpu = cpu ? 'ok' : 'unavailable: /proc/stat unreadable';
      const dt = cpu && prevCpu ? cpu.total - prevCpu.total : 0;
      features['cpu.util'] = cpu && prevCpu && dt > 0 ? (cpu.busy - prevCpu.busy) / dt : null;
      features['cpu.iowait'] = cpu && prevCpu && dt > 0 ? (cpu.iowait - prevCpu.iowait) / dt : null;
      if (cpu) prevCpu = cpu;
      return { ts: now, schema: BASIC_SCHEMA, features, collectors };
    },
    async inventory() {
      if (inventory) return inventory;
      const [system, os, cpu, mem] = await Promise.all([si.system(), si.osInfo(), si.cpu(), si.mem()]);
      const body = {
        system: { manufacturer: system.manufacturer, model: system.model, virtual: system.virtual ?? false },
        os: {
          platform: os.platform,
          distro: os.distro,
          release: os.release,
          kernel: os.kernel,
          arch: os.arch,
          hostname: os.hostname,
        },
        cpu: { brand: cpu.brand, cores: cpu.cores, physicalCores: cpu.physicalCores },
        memory: { totalBytes: mem.total },
      };
      inventory = {
        ts: Date.now(),
        hash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
        inventory: body,
      };
      return inventory;
    },
    async stop() {},
  };
}

function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function parseStat(text: string | null): CpuTotals | null {
  const line = text?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total, iowait };
}

/** A cycle reading used by tests that need one without touching /proc. */
export function fixedReading(now: number, value = 0.5): CycleReading {
  return { ts: now, schema: BASIC_SCHEMA, features: { 'cpu.util': value }, collectors: { cpu: 'ok' } };
}
