// Contract suite of the SysFs port, run against every implementation (real root, fixture mount map, fixture root).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    test('readKept reads what read reads, and null for a missing file', async () => {
      const buf = Buffer.alloc(1 << 16);
      const n = fs.readKept!('/proc/loadavg', buf);
      assert.ok(n !== null && n > 0);
      assert.equal(
        buf.toString('utf8', 0, n).split(' ').length,
        ((await fs.read('/proc/loadavg')) ?? '').split(' ').length,
      );
      assert.equal(fs.readKept!('/proc/definitely-not-here', buf), null);
      fs.release!('/proc/loadavg');
      fs.release!();
    });
    test('lists directories and statfs gives sizes', async () => {
      assert.ok((await fs.list('/sys/class/net')).includes('lo'));
      const st = await fs.statfs('/');
      assert.ok(st && st.blocks > 0 && st.bsize > 0);
    });
  });
}

test('readKept re-reads a kept file from the start, and gives null once a process is gone (its pid may be reused)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sysfs-'));
  try {
    const fs = createSysFs({ '/x': dir });
    const buf = Buffer.alloc(4096);
    writeFileSync(join(dir, 'f'), 'first');
    assert.equal(buf.toString('utf8', 0, fs.readKept!('/x/f', buf)!), 'first');
    writeFileSync(join(dir, 'f'), 'second, longer'); // same inode, rewritten: the kept descriptor sees it
    assert.equal(buf.toString('utf8', 0, fs.readKept!('/x/f', buf)!), 'second, longer');
    fs.release!();

    const real = createSysFs('/');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const path = `/proc/${child.pid}/stat`;
    const n = real.readKept!(path, buf);
    assert.ok(n !== null && buf.toString('utf8', 0, n).startsWith(`${child.pid} (`));
    assert.ok(real.readKept!(path, buf)! > 0, 'read again through the kept descriptor');
    child.kill('SIGKILL');
    await once(child, 'exit'); // reaped: /proc/<pid> is gone
    assert.equal(real.readKept!(path, buf), null);
    real.release!();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
