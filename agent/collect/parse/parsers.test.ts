import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isWholeDisk, parseDiskstats } from './diskstats.ts';
import { parseMeminfo, parseVmstat } from './keyvalue.ts';
import { parseMountinfo } from './mountinfo.ts';
import { parseNetDev } from './net-dev.ts';
import { parsePidStat, parsePidStatBytes } from './pid.ts';
import { parsePressure } from './pressure.ts';
import { parseLoadavg, parseProcStat, ticks } from './proc-stat.ts';
import { parseSmartctl } from './smartctl.ts';

const fx = (p: string) => readFileSync(new URL(`../../../test/fixtures/${p}`, import.meta.url), 'utf8');

test('/proc/stat: aggregate and per-core times, procs, btime', () => {
  const s = parseProcStat(fx('proc/bare-metal/stat'));
  assert.deepEqual(Object.keys(s.cores), ['0', '1', '2', '3']);
  assert.equal(s.total.user, 4705343);
  assert.equal(s.total.idle, 92831553);
  assert.equal(s.running, 3);
  assert.equal(s.blocked, 1);
  assert.equal(s.bootTimeS, 1717400000);
  assert.equal(ticks(s.total), 4705343 + 1243 + 1520343 + 92831553 + 102032 + 0 + 30931 + 0);
  assert.throws(() => parseProcStat('intr 1 2\n'), /no aggregate cpu line/);
});

test('/proc/loadavg', () => {
  assert.deepEqual(parseLoadavg(fx('proc/bare-metal/loadavg')), { load1: 1.27, load5: 0.98, load15: 0.85 });
  assert.throws(() => parseLoadavg('garbage'), /unparsable/);
});

test('/proc/meminfo in bytes and /proc/vmstat counters', () => {
  const m = parseMeminfo(fx('proc/bare-metal/meminfo'));
  assert.equal(m.MemTotal, 32780256 * 1024);
  assert.equal(m.MemAvailable, 21904312 * 1024);
  assert.equal(m.HugePages_Total, 0);
  const v = parseVmstat(fx('proc/bare-metal/vmstat'));
  assert.equal(v.pswpout, 19712);
  assert.equal(v.pgmajfault, 81231);
});

test('pressure: some and full lines; cpu "full" of kernels < 5.13 is absent', () => {
  const io = parsePressure(fx('proc/bare-metal/pressure/io'));
  assert.deepEqual(io, {
    someAvg10: 4.12,
    someAvg60: 3.01,
    someTotalUs: 912312312,
    fullAvg10: 3.2,
    fullTotalUs: 712312312,
  });
  const old = parsePressure('some avg10=1.00 avg60=0.50 avg300=0.10 total=42\n');
  assert.equal(old.fullTotalUs, null);
  assert.throws(() => parsePressure(''), /no "some" line/);
});

test('/proc/diskstats: whole disks only, partitions and virtual devices skipped', () => {
  const d = parseDiskstats(fx('proc/bare-metal/diskstats'));
  assert.deepEqual(
    d.map((x) => x.device),
    ['sda', 'sdb', 'nvme0n1'],
  );
  const sdb = d[1]!;
  assert.equal(sdb.reads, 912312);
  assert.equal(sdb.readSectors, 102312312);
  assert.equal(sdb.inFlight, 2);
  assert.equal(sdb.ioMs, 4123123);
  for (const [n, whole] of [
    ['vda', true],
    ['vda1', false],
    ['nvme0n1p2', false],
    ['mmcblk0', true],
    ['mmcblk0p1', false],
    ['dm-0', false],
    ['zram0', false],
    ['md0', true],
  ] as const) {
    assert.equal(isWholeDisk(n), whole, n);
  }
  assert.deepEqual(
    parseDiskstats(fx('proc/vm-nosensors/diskstats')).map((x) => x.device),
    ['vda'],
  );
});

test('/proc/net/dev', () => {
  const n = parseNetDev(fx('proc/bare-metal/net/dev'));
  assert.deepEqual(
    n.map((x) => x.iface),
    ['lo', 'eno1', 'enp3s0', 'docker0'],
  );
  assert.deepEqual(n[1], {
    iface: 'eno1',
    rxBytes: 923123123123,
    rxPackets: 712312312,
    rxErrors: 12,
    rxDrops: 431,
    txBytes: 412312312312,
    txPackets: 512312312,
    txErrors: 0,
    txDrops: 0,
  });
});

test('mountinfo: real filesystems, escaped names, read-only options', () => {
  const m = parseMountinfo(fx('proc/bare-metal/self/mountinfo'));
  assert.deepEqual(
    m.map((x) => x.mount),
    ['/', '/var/lib/mysql', '/boot/efi', '/mnt/backup disk'],
  );
  assert.ok(m[1]!.mountOptions.includes('ro'));
  assert.ok(m[0]!.superOptions.includes('errors=remount-ro'));
  assert.deepEqual(
    parseMountinfo(fx('proc/vm-nosensors/self/mountinfo')).map((x) => x.mount),
    ['/'],
  );
});

test('/proc/[pid]/stat with spaces and parentheses in comm', () => {
  const s = parsePidStat(
    '4242 (tmux: server (1)) S 1 4242 4242 0 -1 4194560 912 0 0 0 1234 567 0 0 20 0 3 0 98765 1234567 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0',
  );
  assert.deepEqual(s, {
    pid: 4242,
    comm: 'tmux: server (1)',
    state: 'S',
    utime: 1234,
    stime: 567,
    numThreads: 3,
    startTicks: 98765,
    rssPages: 2048,
  });
  assert.equal(parsePidStat(readFileSync('/proc/self/stat', 'utf8')).pid, process.pid);
});

test('/proc/[pid]/stat from bytes agrees with the text parser (tricky names, every process here) and refuses junk', () => {
  const bytes = (t: string) => {
    const b = Buffer.alloc(4096, 0x41); // junk after the line must not be read
    return { b, n: b.write(t, 'utf8') };
  };
  const lines = [
    '4242 (tmux: server (1)) S 1 4242 4242 0 -1 4194560 912 0 0 0 1234 567 0 0 20 0 3 0 98765 1234567 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n',
    '7 (a) b) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 -100 -20 1 0 5 0 0 18446744073709551615\n',
    '9 (naïve ✓) R 1 9 9 0 -1 0 0 0 0 0 99 1 0 0 20 0 12 0 123456789012 0 314159\n',
  ];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // exited meanwhile
    }
  }
  assert.ok(lines.length > 4);
  for (const line of lines) {
    const { b, n } = bytes(line);
    assert.deepEqual(parsePidStatBytes(b, n), parsePidStat(line), line);
  }
  for (const junk of ['', 'garbage', '12 (x)', '12 (x) S 1 2', '12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 x 14']) {
    const { b, n } = bytes(junk);
    assert.equal(parsePidStatBytes(b, n), null, junk);
  }
});

test('smartctl: healthy ATA disk', () => {
  const p = parseSmartctl(fx('smartctl/ata-healthy.json'));
  assert.ok(p.ok);
  assert.equal(p.disk.kind, 'ata');
  assert.equal(p.disk.passed, true);
  assert.equal(p.disk.serial, 'Z3029TQX');
  assert.equal(p.disk.temperatureC, 34);
  assert.equal(p.disk.powerOnHours, 25783);
  assert.deepEqual(p.disk.attributes, {
    1: 160183512,
    5: 0,
    9: 25783,
    187: 0,
    188: 0,
    194: 34,
    197: 0,
    198: 0,
    199: 0,
  });
  assert.equal(p.disk.nvme, null);
});

test('smartctl: failing ATA disk (FAILED, reallocated and pending sectors)', () => {
  const p = parseSmartctl(fx('smartctl/ata-failing.json'));
  assert.ok(p.ok);
  assert.equal(p.disk.passed, false);
  assert.equal(p.exitStatus & 8, 8);
  assert.equal(p.disk.attributes[5], 62312);
  assert.equal(p.disk.attributes[197], 1896);
  assert.equal(p.disk.attributes[198], 1896);
  assert.equal(p.disk.attributes[187], 2176);
  assert.equal(p.disk.attributes[194], 41);
  // Normalized values of the health attributes (for the disk model's normalized_drop), not of age or temperature.
  assert.deepEqual(p.disk.normalized, { 1: 88, 5: 3, 187: 1, 188: 100, 197: 1, 198: 1 });
});

test('smartctl: NVMe health log, healthy and worn out', () => {
  const ok = parseSmartctl(fx('smartctl/nvme-healthy.json'));
  assert.ok(ok.ok);
  assert.equal(ok.disk.kind, 'nvme');
  assert.deepEqual(ok.disk.nvme, {
    mediaErrors: 0,
    percentageUsed: 3,
    criticalWarning: 0,
    availableSparePct: 100,
    unsafeShutdowns: 37,
  });
  assert.equal(ok.disk.powerOnHours, 6241);
  assert.equal(ok.disk.temperatureC, 38);
  const bad = parseSmartctl(fx('smartctl/nvme-failing.json'));
  assert.ok(bad.ok);
  assert.equal(bad.disk.passed, false);
  assert.deepEqual(bad.disk.nvme, {
    mediaErrors: 118,
    percentageUsed: 104,
    criticalWarning: 4,
    availableSparePct: 4,
    unsafeShutdowns: 37,
  });
});

test('smartctl: device it cannot open, and garbage', () => {
  const p = parseSmartctl(fx('smartctl/virtio-unsupported.json'), '/dev/vda');
  assert.equal(p.ok, false);
  assert.match(!p.ok ? p.reason : '', /could not read \/dev\/vda: \/dev\/vda: Unable to detect device type/);
  const g = parseSmartctl('smartctl: command not found');
  assert.deepEqual(g, { ok: false, reason: 'smartctl output is not JSON', exitStatus: -1 });
});
