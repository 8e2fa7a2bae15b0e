import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createExec } from '../exec.ts';
import { createSysFs } from '../sysfs.ts';
import { CollectorUnavailable, type SysFs } from '../types.ts';
import { createSmartCollector, smartCandidates } from './smart.ts';

const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/smartctl', import.meta.url));

/** A stand-in smartctl (a real child process) that prints the fixture named after the device. */
function fakeSmartctl(map: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/hs-smartctl-');
  const cases = Object.entries(map)
    .map(([dev, file]) => `  */${dev}) cat '${fixtureDir}/${file}' ;;`)
    .join('\n');
  writeFileSync(
    `${dir}/smartctl`,
    `#!/bin/sh\nfor a; do last=$a; done\ncase "$last" in\n${cases}\n  *) echo '{"smartctl":{"exit_status":2}}' ;;\nesac\n`,
  );
  chmodSync(`${dir}/smartctl`, 0o755);
  return `${dir}/smartctl`;
}

function blockDevices(names: string[]): SysFs {
  const dir = mkdtempSync('/tmp/hs-sys-');
  for (const n of names) {
    mkdirSync(`${dir}/block/${n}`, { recursive: true });
    writeFileSync(`${dir}/block/${n}/size`, '1\n');
  }
  return createSysFs({ '/sys': dir });
}

test('candidates: virtual disks skipped with a reason, partitions ignored', () => {
  assert.deepEqual(smartCandidates(['vda', 'vda1', 'sda', 'sda1', 'nvme0n1', 'loop0', 'nbd0']), {
    query: ['nvme0n1', 'sda'],
    skipped: { nbd0: 'not a physical disk', vda: 'virtual disk has no SMART' },
  });
});

test('smart: healthy, failing and NVMe disks through a real smartctl-shaped process, spawns counted', async () => {
  const bin = fakeSmartctl({ sda: 'ata-healthy.json', sdb: 'ata-failing.json', nvme0n1: 'nvme-healthy.json' });
  const exec = createExec();
  const facts = await createSmartCollector({ smartctl: bin, uid: 0 }).collect({
    now: 0,
    sysfs: blockDevices(['sda', 'sdb', 'nvme0n1', 'vda']),
    exec,
    signal: new AbortController().signal,
  });
  assert.deepEqual(
    facts.disks.map((d) => [d.device, d.kind, d.passed]),
    [
      ['nvme0n1', 'nvme', true],
      ['sda', 'ata', true],
      ['sdb', 'ata', false],
    ],
  );
  assert.deepEqual(facts.skipped, { vda: 'virtual disk has no SMART' });
  assert.deepEqual(exec.spawns(), { smart: 3 });
});

test('smart: unavailable without smartctl, without root, and with only virtual disks', async () => {
  const ctx = (sysfs: SysFs) => ({
    now: 0,
    sysfs,
    exec: createExec({ path: '/nonexistent' }),
    signal: new AbortController().signal,
  });
  await assert.rejects(
    createSmartCollector({ uid: 0 }).collect(ctx(blockDevices(['sda']))),
    (e: unknown) => e instanceof CollectorUnavailable && /smartctl not installed/.test(e.reason),
  );
  const bin = fakeSmartctl({});
  await assert.rejects(
    createSmartCollector({ smartctl: bin, uid: 1000 }).collect(ctx(blockDevices(['sda']))),
    (e: unknown) => e instanceof CollectorUnavailable && /not root/.test(e.reason),
  );
  await assert.rejects(
    createSmartCollector({ smartctl: bin, uid: 0 }).collect(ctx(blockDevices(['vda']))),
    (e: unknown) => e instanceof CollectorUnavailable && e.reason === 'no SMART-capable disks (vda)',
  );
});
