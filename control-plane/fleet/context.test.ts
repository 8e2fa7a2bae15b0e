import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenInventory } from './context.ts';

test('inventory flattens to dotted attributes; arrays collect distinct values; identities are skipped', () => {
  const out: Record<string, string> = {};
  flattenInventory(
    {
      os: { kernel: '6.1.0-13', hostname: 'n1' },
      bios: { version: '2.14.1' },
      disks: [
        { device: '/dev/sda', model: 'ST-X18', firmware: 'CS02', serial: 'Z1' },
        { device: '/dev/sdb', model: 'ST-X18', firmware: 'CS01', serial: 'Z2' },
      ],
      nics: [],
      system: { virtual: false, uuid: 'u' },
    },
    'inventory',
    out,
  );
  assert.deepEqual(out, {
    'inventory.os.kernel': '6.1.0-13',
    'inventory.bios.version': '2.14.1',
    'inventory.disks.model': 'ST-X18',
    'inventory.disks.firmware': 'CS01,CS02',
    'inventory.system.virtual': 'false',
  });
});
