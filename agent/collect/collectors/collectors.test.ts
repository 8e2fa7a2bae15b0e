import assert from 'node:assert/strict';
import { readFileSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createExec } from '../exec.ts';
import { parseMeminfo } from '../parse/keyvalue.ts';
import { createSysFs } from '../sysfs.ts';
import { CollectorUnavailable, type CollectContext, type Collector, type Facts, type SysFs } from '../types.ts';
import { createCpuCollector } from './cpu.ts';
import { createDiskCollector } from './disks.ts';
import { createFilesystemCollector } from './filesystems.ts';
import { createMemoryCollector } from './memory.ts';
import { createNetworkCollector } from './network.ts';
import { createPidfileCollector } from './pidfiles.ts';
import { createProcessCollector } from './processes.ts';
import { createSensorCollector } from './sensors.ts';
import { createServiceCollector, parseSystemctlShow } from './services.ts';

const fixtures = (machine: string): SysFs =>
  createSysFs({
    '/proc': fileURLToPath(new URL(`../../../test/fixtures/proc/${machine}`, import.meta.url)),
    '/sys': fileURLToPath(new URL(`../../../test/fixtures/sys/${machine}`, import.meta.url)),
  });
const real = createSysFs('/');
const ctx = (sysfs: SysFs): CollectContext => ({
  now: Date.now(),
  sysfs,
  exec: createExec(),
  signal: new AbortController().signal,
});
const run = <K extends keyof Facts>(c: Collector<K>, fs: SysFs) => c.collect(ctx(fs));

test('cpu on a bare-metal fixture: frequencies, throttle counters, coretemp and thermal zones, pressure', async () => {
  const c = await run(createCpuCollector(), fixtures('bare-metal'));
  assert.deepEqual(c.freqMhz, { 0: 3400, 1: 3512, 2: 800, 3: 3398 });
  assert.equal(c.throttleCount, 4 + 2); // core counters summed, package counted once
  assert.deepEqual(c.temps, {
    packageC: 61,
    coresC: { 0: 58, 1: 61, 2: 55, 3: 57 },
    zonesC: { acpitz0: 27.8, x86_pkg_temp1: 61 },
  });
  assert.equal(c.pressure?.someTotalUs, 3812312312);
  assert.equal(c.procsBlocked, 1);
});

test('cpu on a VM without sensors: no cpufreq, no temperatures, no throttle counters -> null, not 0', async () => {
  const c = await run(createCpuCollector(), fixtures('vm-nosensors'));
  assert.equal(c.freqMhz, null);
  assert.equal(c.temps, null);
  assert.equal(c.throttleCount, null);
  assert.ok(Object.keys(c.cores).length >= 1);
});

test('cpu on this machine: per-core times add up to the aggregate, shares sum to 100', async () => {
  const col = createCpuCollector();
  const a = await run(col, real);
  const keys = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
  let b = a,
    total = 0;
  // Ticks are 10 ms: burn CPU until at least one elapses (bounded).
  for (let round = 0; round < 200 && total === 0; round++) {
    for (let i = 0; i < 1e5; i++) Math.sqrt(i);
    b = await run(col, real);
    total = keys.reduce((s, k) => s + b.total[k] - a.total[k], 0);
  }
  assert.ok(total > 0);
  const sumShares = keys.reduce((s, k) => s + (100 * (b.total[k] - a.total[k])) / total, 0);
  assert.ok(Math.abs(sumShares - 100) < 1e-9);
  const perCoreUser = Object.values(b.cores).reduce((s, t) => s + t.user, 0);
  assert.ok(
    Math.abs(perCoreUser - b.total.user) <= Object.keys(b.cores).length * 2,
    'per-core user ticks sum to the aggregate',
  );
  assert.ok(b.load1 >= 0 && b.load15 >= 0);
});

test('memory on this machine matches /proc/meminfo', async () => {
  const m = await run(createMemoryCollector(), real);
  const k = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
  assert.equal(m.totalBytes, k.MemTotal);
  assert.ok(Math.abs(m.availableBytes - k.MemAvailable!) < 0.05 * k.MemTotal!);
  assert.ok(m.usedBytes > 0 && m.usedBytes < m.totalBytes);
  assert.equal(m.ecc, null, 'no EDAC in this VM');
});

test('memory on a bare-metal fixture: ECC counters summed over controllers', async () => {
  const m = await run(createMemoryCollector(), fixtures('bare-metal'));
  assert.deepEqual(m.ecc, { corrected: 17, uncorrected: 0, controllers: 2 });
  assert.equal(m.pswpout, 19712);
  assert.equal(m.pressure?.fullTotalUs, 5123123);
});

test('filesystems on this machine match statfs', async () => {
  const fss = await run(createFilesystemCollector(), real);
  const root = fss.find((f) => f.mount === '/');
  assert.ok(root, 'root filesystem is reported');
  const st = statfsSync('/');
  assert.equal(root.sizeBytes, st.blocks * st.bsize);
  assert.equal(root.inodes, st.files);
  assert.ok(Math.abs(root.freeBytes - st.bfree * st.bsize) < 64 * 1024 * 1024);
  for (const f of fss) assert.ok(f.availBytes <= f.freeBytes && f.freeBytes <= f.sizeBytes, f.mount);
});

test('filesystems: read-only remount detected from errors=remount-ro and from an earlier rw reading', async () => {
  const fss = await run(createFilesystemCollector(), fixtures('bare-metal'));
  const byMount = Object.fromEntries(fss.map((f) => [f.mount, f]));
  assert.equal(byMount['/var/lib/mysql']!.readOnly, true);
  assert.equal(byMount['/']!.remountedReadOnly, false);
  const fs = fixtures('bare-metal');
  const flipped: SysFs = {
    ...fs,
    read: async (p) =>
      p === '/proc/self/mountinfo' ? (await fs.read(p))!.replace('/ / rw,relatime', '/ / ro,relatime') : fs.read(p),
  };
  const col = createFilesystemCollector();
  await col.collect(ctx(fs));
  const after = await col.collect(ctx(flipped));
  assert.equal(after.find((f) => f.mount === '/')!.remountedReadOnly, true);
});

test('disks on this machine: whole disks with monotonically growing counters', async () => {
  const col = createDiskCollector();
  const a = await run(col, real),
    b = await run(col, real);
  assert.ok(a.length >= 1);
  for (const d of b) {
    const p = a.find((x) => x.device === d.device)!;
    assert.ok(d.reads >= p.reads && d.ioMs >= p.ioMs, d.device);
    assert.doesNotMatch(d.device, /^(loop|zram|ram)/);
  }
});

test('network on this machine and on a bare-metal fixture', async () => {
  const here = await run(createNetworkCollector(), real);
  assert.ok(here.some((n) => n.iface === 'lo' && n.up));
  const bm = await run(createNetworkCollector(), fixtures('bare-metal'));
  const eno1 = bm.find((n) => n.iface === 'eno1')!;
  assert.equal(eno1.speedMbps, 1000);
  assert.equal(eno1.up, true);
  assert.equal(eno1.carrierChanges, 4);
  const down = bm.find((n) => n.iface === 'enp3s0')!;
  assert.equal(down.up, false);
  assert.equal(down.speedMbps, null);
});

test('sensors: fans, voltages, board temperatures on bare metal; unavailable on a VM', async () => {
  const s = await run(createSensorCollector(), fixtures('bare-metal'));
  assert.deepEqual(s.fans, { nct6775_fan1: 1285, nct6775_fan2: 0 });
  assert.deepEqual(s.voltages, { nct6775_vcore: 1.016, nct6775_12v: 12.096 });
  assert.deepEqual(s.temps, { acpitz_temp1: 27.8, nct6775_systin: 38 });
  await assert.rejects(
    run(createSensorCollector(), fixtures('vm-nosensors')),
    (e: unknown) => e instanceof CollectorUnavailable && /no hwmon sensors/.test(e.reason),
  );
});

test('processes on this machine: finds itself, ranks by CPU and memory, counts fds of top consumers', async () => {
  const col = createProcessCollector({ top: 3 });
  await run(col, real);
  let x = 0;
  for (let i = 0; i < 3e6; i++) x += Math.sqrt(i);
  const p = await run(col, real);
  assert.ok(x > 0);
  assert.ok(p.count >= 2 && p.threads >= p.count);
  assert.equal(p.topCpu.length, 3);
  assert.equal(p.topMem.length, 3);
  assert.ok(p.topMem[0]!.rssBytes >= p.topMem[2]!.rssBytes);
  for (const t of p.topCpu) assert.ok(t.cpuPct !== null && t.cpuPct >= 0);
  const selfStatm = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
  const all = [...p.topCpu, ...p.topMem];
  const me = all.find((t) => t.pid === process.pid);
  if (me) {
    assert.ok(Math.abs(me.rssBytes - selfStatm) < 32 * 1024 * 1024);
    assert.ok(me.fds !== null && me.fds > 3);
  }
  assert.ok(p.fdsMax !== null && p.fdsAllocated !== null && p.fdsAllocated <= p.fdsMax);
});

test('services: unavailable without systemd, naming PID 1; systemctl show output parsed', async () => {
  const fs = fixtures('vm-nosensors');
  const noSystemd: SysFs = {
    ...fs,
    exists: async () => false,
    read: async (p) => (p === '/proc/1/comm' ? 'tini\n' : fs.read(p)),
  };
  await assert.rejects(
    run(createServiceCollector({ units: ['nginx'] }), noSystemd),
    (e: unknown) => e instanceof CollectorUnavailable && e.reason === 'systemd is not running (PID 1 is tini)',
  );
  const parsed = parseSystemctlShow(
    'Id=nginx.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nNRestarts=5\n\nId=ghost.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\nNRestarts=0\n',
  );
  assert.deepEqual(parsed, [
    { name: 'nginx', backend: 'systemd', state: 'failed', pid: null, restarts: 5, healthy: false, detail: 'failed' },
    { name: 'ghost', backend: 'systemd', state: 'missing', pid: null, restarts: 0, healthy: false, detail: 'dead' },
  ]);
});

test('pidfiles: running, dead and missing processes', async () => {
  const dir = (await import('node:fs')).mkdtempSync('/tmp/hs-pid-');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/me.pid`, `${process.pid}\n`);
  writeFileSync(`${dir}/dead.pid`, '4194303\n');
  const out = await run(
    createPidfileCollector({ pidfiles: { me: `${dir}/me.pid`, dead: `${dir}/dead.pid`, gone: `${dir}/none.pid` } }),
    real,
  );
  assert.deepEqual(
    out.map((s) => [s.name, s.state, s.healthy]),
    [
      ['me', 'running', true],
      ['dead', 'dead', false],
      ['gone', 'missing', false],
    ],
  );
});

test('unreadable optional files (no cpufreq, no link speed) are not read again every cycle; a changed operstate re-reads the speed', async () => {
  const dir = (await import('node:fs')).mkdtempSync('/tmp/hs-net-');
  const { mkdirSync, writeFileSync, cpSync } = await import('node:fs');
  cpSync(fileURLToPath(new URL('../../../test/fixtures/proc/vm-nosensors', import.meta.url)), `${dir}/proc`, {
    recursive: true,
  });
  mkdirSync(`${dir}/sys/class/net/veth0`, { recursive: true });
  writeFileSync(`${dir}/proc/net/dev`, 'Inter-|   Receive\n face |bytes\n veth0: 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n');
  writeFileSync(`${dir}/sys/class/net/veth0/operstate`, 'down\n');
  const base = createSysFs({ '/proc': `${dir}/proc`, '/sys': `${dir}/sys` });
  const reads = new Map<string, number>();
  const counting: SysFs = {
    ...base,
    read: (p) => {
      reads.set(p, (reads.get(p) ?? 0) + 1);
      return base.read(p);
    },
  };
  const at = (now: number): CollectContext => ({ ...ctx(counting), now });
  const net = createNetworkCollector();
  const cpu = createCpuCollector();
  const speed = '/sys/class/net/veth0/speed';
  const freq = '/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq';
  for (let i = 0; i < 6; i++) {
    const out = await net.collect(at(i * 10_000));
    assert.equal(out[0]?.speedMbps, null);
    await cpu.collect(at(i * 10_000));
  }
  assert.equal(reads.get(speed), 1);
  assert.equal(reads.get(freq), 1);
  // the link comes up with a speed: read again at once, not ten minutes later
  writeFileSync(`${dir}/sys/class/net/veth0/operstate`, 'up\n');
  writeFileSync(`${dir}/sys/class/net/veth0/speed`, '1000\n');
  assert.equal((await net.collect(at(70_000)))[0]?.speedMbps, 1000);
  assert.equal((await net.collect(at(80_000)))[0]?.speedMbps, 1000);
  assert.equal(reads.get(speed), 3);
  // an absent file is checked again after ten minutes
  await cpu.collect(at(600_000));
  assert.equal(reads.get(freq), 2);
});
