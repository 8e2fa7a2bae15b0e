import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Sample } from '../protocol/payloads.ts';
import { createCollectionEngine } from '../../agent/collect/engine.ts';
import { createSysFs } from '../../agent/collect/sysfs.ts';
import { parseSmartctl } from '../../agent/collect/parse/smartctl.ts';
import type { Facts, SmartDisk } from '../../agent/collect/types.ts';
import { renderFeaturesDoc } from '../../agent/features/docs.ts';
import { extractFeatures } from '../../agent/features/extract.ts';
import { FEATURES, MODEL_FEATURES, featureDef } from './schema.ts';

const wire = /^[a-z0-9_.:/-]+$/i;
const fixture = (machine: string) =>
  createSysFs({
    '/proc': fileURLToPath(new URL(`../../test/fixtures/proc/${machine}`, import.meta.url)),
    '/sys': fileURLToPath(new URL(`../../test/fixtures/sys/${machine}`, import.meta.url)),
  });

test('registry: unique names, valid wire names, tens of model features', () => {
  const names = FEATURES.map((f) => f.name);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n.replace(/\{[a-z]+\}/g, 'x'), wire, n);
  assert.ok(MODEL_FEATURES.length >= 30 && MODEL_FEATURES.length < 100, String(MODEL_FEATURES.length));
});

test('docs/features.md is generated from the registry and up to date (npx tsx agent/features/gen-docs.ts)', () => {
  const doc = readFileSync(new URL('../../docs/features.md', import.meta.url), 'utf8');
  assert.equal(doc, renderFeaturesDoc());
});

test('bare-metal fixture through the engine: every emitted feature is registered, wire-valid and finite or null', async () => {
  const smart: SmartDisk[] = ['ata-healthy', 'ata-failing', 'nvme-failing'].map((f, i) => {
    const p = parseSmartctl(readFileSync(new URL(`../../test/fixtures/smartctl/${f}.json`, import.meta.url), 'utf8'));
    assert.ok(p.ok);
    return { ...p.disk, device: ['sda', 'sdb', 'nvme0n1'][i]! };
  });
  const engine = await createCollectionEngine({
    sysfs: fixture('bare-metal'),
    disable: ['processes', 'services', 'smart'],
    pidfiles: { 'web server': '/run/none.pid' } as never,
  }).catch(() => null);
  assert.equal(engine, null, 'service names are validated');
  const e = await createCollectionEngine({ sysfs: fixture('bare-metal'), disable: ['services', 'smart'] });
  const r1 = await e.collect(0),
    r2 = await e.collect(10_000);
  const facts: Facts = {
    ...r2.facts,
    smart: { disks: smart, skipped: {} },
    services: [{ name: 'nginx', backend: 'systemd', state: 'failed', pid: null, restarts: 3, healthy: false }],
  };
  const v = extractFeatures({ ts: 10_000, facts }, { ts: 0, facts: r1.facts });
  for (const [k, x] of Object.entries(v)) {
    assert.ok(featureDef(k), `unregistered feature ${k}`);
    assert.ok(x === null || Number.isFinite(x), k);
  }
  Sample.parse({ seq: 1, ts: 1, schema: r2.schema, features: v });
  assert.equal(v['cpu.temp_package_c'], 61);
  assert.equal(v['cpu.core.2.freq_mhz'], 800);
  assert.equal(v['cpu.temp_max_c'], 61);
  assert.equal(v['mem.ecc_corrected'], 17);
  assert.equal(v['mem.ecc_corrected_per_s'], 0);
  assert.equal(v['sensors.fan_min_rpm'], 0);
  assert.equal(v['fs./mnt/backup_disk.readonly'], 0);
  assert.equal(v['net.links_down'], 1, 'enp3s0 is down');
  assert.equal(v['net.eno1.speed_mbps'], 1000);
  assert.equal(v['smart.failing_disks'], 2);
  assert.equal(v['smart.max_reallocated'], 62312);
  assert.equal(v['smart.max_pending'], 3792);
  assert.equal(v['smart.nvme0n1.nvme_media_errors'], 118);
  assert.equal(v['smart.sdb.passed'], 0);
  assert.equal(v['smart.nvme_max_pct_used'], 104);
  assert.equal(v['services.unhealthy'], 1);
  assert.equal(v['service.nginx.restarts'], 3);
  assert.equal(v['cpu.util_pct'], null, 'the same /proc/stat twice: no ticks elapsed, so the share is unknown');
});

test('rates: counters over elapsed time, null on the first cycle and on a counter reset; cpu shares sum to 100', () => {
  const base = (rx: number, user: number): Facts => ({
    network: [
      {
        iface: 'eth0',
        rxBytes: rx,
        txBytes: 0,
        rxPackets: 0,
        txPackets: 0,
        rxErrors: 0,
        txErrors: 0,
        rxDrops: 0,
        txDrops: 0,
        operstate: 'up',
        up: true,
        speedMbps: 1000,
        carrierChanges: 1,
      },
    ],
    cpu: {
      total: { user, nice: 0, system: 100, idle: 700, iowait: 50, irq: 10, softirq: 10, steal: 0 },
      cores: {},
      load1: 0,
      load5: 0,
      load15: 0,
      runnable: 1,
      procsBlocked: 0,
      freqMhz: null,
      throttleCount: null,
      temps: null,
      pressure: null,
    },
  });
  const first = extractFeatures({ ts: 0, facts: base(1000, 100) }, null);
  assert.equal(first['net.eth0.rx_bytes_per_s'], null);
  const v = extractFeatures({ ts: 10_000, facts: base(11_000, 230) }, { ts: 0, facts: base(1000, 100) });
  assert.equal(v['net.eth0.rx_bytes_per_s'], 1000);
  assert.equal(v['cpu.user_pct'], 100);
  const reset = extractFeatures({ ts: 20_000, facts: base(5, 300) }, { ts: 10_000, facts: base(11_000, 230) });
  assert.equal(reset['net.eth0.rx_bytes_per_s'], null);
  const shares = ['user', 'nice', 'system', 'irq', 'iowait', 'steal', 'idle'].reduce(
    (s, k) => s + (reset[`cpu.${k}_pct`] ?? 0),
    0,
  );
  assert.ok(Math.abs(shares - 100) < 0.01);
});
