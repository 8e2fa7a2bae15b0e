/**
 * The pure step from facts to the wire feature vector: counters become rates against the previous cycle's facts,
 * gauges pass through, missing collectors give explicit nulls for every host-level model feature.
 */
import { ticks } from '../collect/parse/proc-stat.ts';
import type { CpuTimes, Facts } from '../collect/types.ts';
import { MODEL_FEATURES, featureSegment as seg } from '../../contract/features/schema.ts';

/** One cycle's facts and when they were read (ms since the epoch). */
export interface Observation {
  ts: number;
  facts: Facts;
}

type Vec = Record<string, number | null>;

const round = (x: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const pct = (part: number, whole: number) => (whole > 0 ? round((100 * part) / whole) : null);

/** Per-second rate of a counter; null without a previous value, on a counter reset, or without elapsed time. */
function rate(curr: number | null | undefined, prev: number | null | undefined, dt: number): number | null {
  if (curr == null || prev == null || dt <= 0 || curr < prev) return null;
  return round((curr - prev) / dt);
}

function shares(
  c: CpuTimes,
  p: CpuTimes | undefined,
): Record<'user' | 'nice' | 'system' | 'irq' | 'iowait' | 'steal' | 'idle', number> | null {
  if (!p) return null;
  const total = ticks(c) - ticks(p);
  if (total <= 0) return null;
  const s = (k: keyof CpuTimes) => (100 * Math.max(0, c[k] - p[k])) / total;
  return {
    user: s('user'),
    nice: s('nice'),
    system: s('system'),
    irq: s('irq') + s('softirq'),
    iowait: s('iowait'),
    steal: s('steal'),
    idle: s('idle'),
  };
}

const MODEL_TEMPLATE: Readonly<Vec> = Object.freeze(Object.fromEntries(MODEL_FEATURES.map((n) => [n, null])));

/** A vector holding every MODEL_FEATURES name as null: the base every source (live or replay) fills in. */
export function modelVector(): Vec {
  return { ...MODEL_TEMPLATE }; // a copy of one template: no entry arrays and no key lookups per cycle
}

/**
 * Per-device feature names, built once per device (interface, disk, mount, core…) instead of by template strings
 * every cycle: a memo by device name, cleared when it grows past 1024 names (devices that come and go).
 */
function names<T>(build: (name: string) => T): (name: string) => T {
  const memo = new Map<string, T>();
  return (name) => {
    let k = memo.get(name);
    if (k === undefined) {
      if (memo.size >= 1024) memo.clear();
      k = build(name);
      memo.set(name, k);
    }
    return k;
  };
}
const SHARE_NAMES = {
  user: 'cpu.user_pct',
  nice: 'cpu.nice_pct',
  system: 'cpu.system_pct',
  irq: 'cpu.irq_pct',
  iowait: 'cpu.iowait_pct',
  steal: 'cpu.steal_pct',
  idle: 'cpu.idle_pct',
} as const;
const coreNames = names((id) => {
  const k = `cpu.core.${seg(id)}`;
  return { util: `${k}.util_pct`, freq: `${k}.freq_mhz`, temp: `${k}.temp_c` };
});
const zoneNames = names((z) => `cpu.zone.${seg(z)}.temp_c`);
const fsNames = names((mount) => {
  const k = `fs.${seg(mount)}`;
  return {
    freePct: `${k}.free_pct`,
    freeBytes: `${k}.free_bytes`,
    sizeBytes: `${k}.size_bytes`,
    inodesFreePct: `${k}.inodes_free_pct`,
    readonly: `${k}.readonly`,
  };
});
const diskNames = names((device) => {
  const k = `disk.${seg(device)}`;
  return {
    inFlight: `${k}.in_flight`,
    readBytes: `${k}.read_bytes_per_s`,
    writeBytes: `${k}.write_bytes_per_s`,
    reads: `${k}.reads_per_s`,
    writes: `${k}.writes_per_s`,
    await: `${k}.await_ms`,
    util: `${k}.util_pct`,
  };
});
const netNames = names((iface) => {
  const k = `net.${seg(iface)}`;
  return {
    rxBytes: `${k}.rx_bytes_per_s`,
    txBytes: `${k}.tx_bytes_per_s`,
    rxPackets: `${k}.rx_packets_per_s`,
    txPackets: `${k}.tx_packets_per_s`,
    errors: `${k}.errors_per_s`,
    drops: `${k}.drops_per_s`,
    up: `${k}.up`,
    speed: `${k}.speed_mbps`,
    linkChanges: `${k}.link_changes`,
    /** Counted in net.links_down when down without a speed (physical NIC names only). */
    physical: /^(en|eth|wl|ib|bond)/.test(iface),
  };
});
const fanNames = names((n) => `sensors.fan.${seg(n)}.rpm`);
const voltNames = names((n) => `sensors.volt.${seg(n)}.volts`);
const sensorTempNames = names((n) => `sensors.temp.${seg(n)}.c`);
const SMART_ATTRIBUTES: readonly (readonly [number, string])[] = [
  [1, 'read_error_rate'],
  [5, 'reallocated'],
  [187, 'reported_uncorrect'],
  [188, 'command_timeout'],
  [197, 'pending'],
  [198, 'offline_uncorrectable'],
  [199, 'crc_errors'],
];
const smartNames = names((device) => {
  const k = `smart.${seg(device)}`;
  return {
    passed: `${k}.passed`,
    temp: `${k}.temp_c`,
    powerOnHours: `${k}.power_on_hours`,
    attributes: SMART_ATTRIBUTES.map(([id, name]) => [id, `${k}.${name}`] as const),
    nvmeMediaErrors: `${k}.nvme_media_errors`,
    nvmePctUsed: `${k}.nvme_pct_used`,
    nvmeSparePct: `${k}.nvme_spare_pct`,
    nvmeCriticalWarning: `${k}.nvme_critical_warning`,
  };
});
const serviceNames = names((n) => {
  const k = `service.${seg(n)}`;
  return { healthy: `${k}.healthy`, restarts: `${k}.restarts` };
});

const max = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
const min = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);

/**
 * Turns facts into the named feature vector. `prev` is the previous cycle (null on the first cycle: rates are null).
 * Every MODEL_FEATURES name is present; per-device features appear for the devices present.
 */
export function extractFeatures(curr: Observation, prev: Observation | null): Vec {
  const v = modelVector();
  const dt = prev ? (curr.ts - prev.ts) / 1000 : 0;
  const f = curr.facts,
    pf = prev?.facts ?? {};
  const psi = (name: string, c: number | null | undefined, p: number | null | undefined) => {
    const r = rate(c, p, dt);
    v[name] = r === null ? null : round(Math.min(100, r / 1e4)); // µs stalled per s -> percent
  };

  if (f.cpu) {
    const c = f.cpu,
      p = pf.cpu;
    const s = shares(c.total, p?.total);
    if (s) {
      v['cpu.util_pct'] = round(100 - s.idle - s.iowait);
      for (const k of Object.keys(s) as (keyof typeof s)[]) v[SHARE_NAMES[k]] = round(s[k]);
    }
    const cores = Object.keys(c.cores);
    v['cpu.load1'] = c.load1;
    v['cpu.load5'] = c.load5;
    v['cpu.load15'] = c.load15;
    v['cpu.load1_per_core'] = cores.length ? round(c.load1 / cores.length) : null;
    v['cpu.procs_blocked'] = c.procsBlocked;
    for (const id of cores) {
      const cs = shares(c.cores[id]!, p?.cores[id]);
      const n = coreNames(id);
      v[n.util] = cs ? round(100 - cs.idle - cs.iowait) : null;
      if (c.freqMhz?.[id] !== undefined) v[n.freq] = c.freqMhz[id]!;
      if (c.temps?.coresC[id] !== undefined) v[n.temp] = c.temps.coresC[id]!;
    }
    const freqs = Object.values(c.freqMhz ?? {});
    v['cpu.freq_mhz'] = freqs.length ? round(freqs.reduce((a, b) => a + b, 0) / freqs.length, 1) : null;
    v['cpu.throttle_per_s'] = rate(c.throttleCount, p?.throttleCount, dt);
    if (c.temps) {
      v['cpu.temp_package_c'] = c.temps.packageC;
      for (const [z, t] of Object.entries(c.temps.zonesC)) v[zoneNames(z)] = t;
      v['cpu.temp_max_c'] = max([
        ...(c.temps.packageC === null ? [] : [c.temps.packageC]),
        ...Object.values(c.temps.coresC),
        ...Object.values(c.temps.zonesC),
      ]);
    }
    psi('psi.cpu.some_pct', c.pressure?.someTotalUs, p?.pressure?.someTotalUs);
  }

  if (f.memory) {
    const m = f.memory,
      p = pf.memory;
    v['mem.total_bytes'] = m.totalBytes;
    v['mem.used_pct'] = pct(m.usedBytes, m.totalBytes);
    v['mem.available_bytes'] = m.availableBytes;
    v['mem.cached_bytes'] = m.cachedBytes;
    v['mem.swap_used_pct'] = pct(m.swapTotalBytes - m.swapFreeBytes, m.swapTotalBytes);
    const sin = rate(m.pswpin, p?.pswpin, dt),
      sout = rate(m.pswpout, p?.pswpout, dt);
    v['mem.swap_in_bytes_per_s'] = sin === null ? null : sin * m.pageSizeBytes;
    v['mem.swap_out_bytes_per_s'] = sout === null ? null : sout * m.pageSizeBytes;
    v['mem.major_faults_per_s'] = rate(m.pgmajfault, p?.pgmajfault, dt);
    if (m.ecc) {
      v['mem.ecc_corrected'] = m.ecc.corrected;
      v['mem.ecc_uncorrected'] = m.ecc.uncorrected;
      v['mem.ecc_corrected_per_s'] = rate(m.ecc.corrected, p?.ecc?.corrected, dt);
    }
    psi('psi.memory.some_pct', m.pressure?.someTotalUs, p?.pressure?.someTotalUs);
    psi('psi.memory.full_pct', m.pressure?.fullTotalUs, p?.pressure?.fullTotalUs);
    psi('psi.io.some_pct', m.ioPressure?.someTotalUs, p?.ioPressure?.someTotalUs);
    psi('psi.io.full_pct', m.ioPressure?.fullTotalUs, p?.ioPressure?.fullTotalUs);
  }

  if (f.filesystems) {
    const free: number[] = [],
      inodes: number[] = [];
    for (const fs of f.filesystems) {
      const k = fsNames(fs.mount);
      const fp = pct(fs.availBytes, fs.sizeBytes);
      const ip = fs.inodes > 0 ? pct(fs.inodesFree, fs.inodes) : null; // btrfs/vfat report 0 inodes: no limit
      v[k.freePct] = fp;
      v[k.freeBytes] = fs.availBytes;
      v[k.sizeBytes] = fs.sizeBytes;
      v[k.inodesFreePct] = ip;
      v[k.readonly] = fs.readOnly ? 1 : 0;
      if (fp !== null) free.push(fp);
      if (ip !== null) inodes.push(ip);
    }
    v['fs.min_free_pct'] = min(free);
    v['fs.min_inodes_free_pct'] = min(inodes);
    v['fs.readonly_remounts'] = f.filesystems.filter((x) => x.remountedReadOnly).length;
  }

  if (f.disks) {
    let rb = 0,
      wb = 0,
      ops = 0;
    const utils: number[] = [],
      awaits: number[] = [];
    let any = false;
    for (const d of f.disks) {
      const p = pf.disks?.find((x) => x.device === d.device);
      const k = diskNames(d.device);
      v[k.inFlight] = d.inFlight;
      const r = rate(d.readSectors * 512, p && p.readSectors * 512, dt),
        w = rate(d.writeSectors * 512, p && p.writeSectors * 512, dt);
      const rs = rate(d.reads, p?.reads, dt),
        ws = rate(d.writes, p?.writes, dt);
      v[k.readBytes] = r;
      v[k.writeBytes] = w;
      v[k.reads] = rs;
      v[k.writes] = ws;
      if (!p || r === null || w === null || rs === null || ws === null || dt <= 0) {
        v[k.await] = null;
        v[k.util] = null;
        continue;
      }
      const dio = d.reads - p.reads + d.writes - p.writes;
      const aw = dio > 0 ? round((d.readMs - p.readMs + d.writeMs - p.writeMs) / dio) : 0;
      const ut = round(Math.min(100, Math.max(0, (100 * (d.ioMs - p.ioMs)) / (dt * 1000))));
      v[k.await] = aw;
      v[k.util] = ut;
      any = true;
      rb += r;
      wb += w;
      ops += rs + ws;
      utils.push(ut);
      awaits.push(aw);
    }
    if (any) {
      v['disk.read_bytes_per_s'] = round(rb);
      v['disk.write_bytes_per_s'] = round(wb);
      v['disk.iops'] = round(ops);
    }
    v['disk.max_util_pct'] = max(utils);
    v['disk.max_await_ms'] = max(awaits);
  }

  if (f.network) {
    let rx = 0,
      tx = 0,
      err = 0,
      drop = 0,
      any = false,
      down = 0;
    for (const n of f.network) {
      const p = pf.network?.find((x) => x.iface === n.iface);
      const k = netNames(n.iface);
      const r = rate(n.rxBytes, p?.rxBytes, dt),
        t = rate(n.txBytes, p?.txBytes, dt);
      const e = rate(n.rxErrors + n.txErrors, p && p.rxErrors + p.txErrors, dt),
        dr = rate(n.rxDrops + n.txDrops, p && p.rxDrops + p.txDrops, dt);
      v[k.rxBytes] = r;
      v[k.txBytes] = t;
      v[k.rxPackets] = rate(n.rxPackets, p?.rxPackets, dt);
      v[k.txPackets] = rate(n.txPackets, p?.txPackets, dt);
      v[k.errors] = e;
      v[k.drops] = dr;
      v[k.up] = n.up ? 1 : 0;
      v[k.speed] = n.speedMbps;
      v[k.linkChanges] =
        n.carrierChanges !== null && p?.carrierChanges != null && n.carrierChanges >= p.carrierChanges
          ? n.carrierChanges - p.carrierChanges
          : null;
      if (n.iface === 'lo') continue;
      if (!n.up && n.speedMbps === null && n.operstate === 'down' && k.physical) down++;
      if (r !== null && t !== null) {
        any = true;
        rx += r;
        tx += t;
        err += e ?? 0;
        drop += dr ?? 0;
      }
    }
    if (any) {
      v['net.rx_bytes_per_s'] = round(rx);
      v['net.tx_bytes_per_s'] = round(tx);
      v['net.errors_per_s'] = round(err);
      v['net.drops_per_s'] = round(drop);
    }
    v['net.links_down'] = down;
  }

  if (f.processes) {
    const p = f.processes;
    v['proc.count'] = p.count;
    v['proc.threads'] = p.threads;
    v['proc.zombies'] = p.zombies;
    v['proc.top_cpu_pct'] = p.topCpu[0]?.cpuPct ?? null;
    v['proc.top_rss_bytes'] = p.topMem[0]?.rssBytes ?? null;
    v['proc.fds_used_pct'] = p.fdsAllocated !== null && p.fdsMax ? pct(p.fdsAllocated, p.fdsMax) : null;
  }

  if (f.sensors) {
    const s = f.sensors;
    for (const [n, x] of Object.entries(s.fans)) v[fanNames(n)] = x;
    for (const [n, x] of Object.entries(s.voltages)) v[voltNames(n)] = x;
    for (const [n, x] of Object.entries(s.temps)) v[sensorTempNames(n)] = x;
    v['sensors.fan_min_rpm'] = min(Object.values(s.fans));
    v['sensors.temp_max_c'] = max(Object.values(s.temps));
  }

  if (f.smart) {
    const ds = f.smart.disks;
    for (const d of ds) {
      const k = smartNames(d.device);
      const a = d.attributes;
      v[k.passed] = d.passed === null ? null : d.passed ? 1 : 0;
      v[k.temp] = d.temperatureC;
      v[k.powerOnHours] = d.powerOnHours;
      for (const [id, name] of k.attributes) if (a[id] !== undefined) v[name] = a[id]!;
      if (d.nvme) {
        v[k.nvmeMediaErrors] = d.nvme.mediaErrors;
        v[k.nvmePctUsed] = d.nvme.percentageUsed;
        v[k.nvmeSparePct] = d.nvme.availableSparePct;
        v[k.nvmeCriticalWarning] = d.nvme.criticalWarning;
      }
    }
    v['smart.failing_disks'] = ds.filter((d) => d.passed === false).length;
    v['smart.max_reallocated'] = max(ds.flatMap((d) => (d.attributes[5] === undefined ? [] : [d.attributes[5]])));
    v['smart.max_pending'] = max(
      ds.flatMap((d) =>
        d.attributes[197] === undefined && d.attributes[198] === undefined
          ? []
          : [(d.attributes[197] ?? 0) + (d.attributes[198] ?? 0)],
      ),
    );
    v['smart.max_temp_c'] = max(ds.flatMap((d) => (d.temperatureC === null ? [] : [d.temperatureC])));
    v['smart.nvme_max_pct_used'] = max(ds.flatMap((d) => (d.nvme ? [d.nvme.percentageUsed] : [])));
    v['smart.media_errors'] = ds.reduce((s, d) => s + (d.nvme?.mediaErrors ?? 0) + (d.attributes[187] ?? 0), 0);
  }

  const svc = [...(f.services ?? []), ...(f.pidfiles ?? [])];
  if (f.services || f.pidfiles) {
    for (const s of svc) {
      const k = serviceNames(s.name);
      v[k.healthy] = s.healthy ? 1 : 0;
      if (s.restarts !== null) v[k.restarts] = s.restarts;
    }
    v['services.unhealthy'] = svc.filter((s) => !s.healthy).length;
  }
  return v;
}
