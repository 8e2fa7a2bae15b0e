// Contract suite of the SysFs port, run against every implementation (real root, fixture mount map, fixture root).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createSysFs } from './sysfs.ts';
import type { SysFs } from './types.ts';

const fx = (p: string) => fileURLToPath(new URL(`../../test/fixtures/${p}`, import.meta.url));
const impls: [string, SysFs][] = [
  ['real /', createSysFs('/')],
  ['fixture mounts', createSysFs({ '/proc': fx('proc/vm-nosensors'), '/sys': fx('sys/vm-nosensors') })],
];

for (const [name, fs] of impls) {
  describe(`SysFs contract: ${name}`, () => {
    test('reads existing files as text', async () => {
      assert.match((await fs.read('/proc/stat')) ?? '', /^cpu /);
      assert.equal(await fs.exists('/proc/stat'), true);
    });
    test('missing files read as null, missing directories list as [], never throw', async () => {
      assert.equal(await fs.read('/proc/definitely-not-here'), null);
      assert.deepEqual(await fs.list('/sys/class/definitely-not-here'), []);
      assert.equal(await fs.exists('/sys/definitely-not-here'), false);
      assert.equal(await fs.read('/etc/outside-any-mount-of-a-fixture-xyz'), null);
    });
    test('lists directories and statfs gives sizes', async () => {
      assert.ok((await fs.list('/sys/class/net')).includes('lo'));
      const st = await fs.statfs('/');
      assert.ok(st && st.blocks > 0 && st.bsize > 0);
    });
  });
}
