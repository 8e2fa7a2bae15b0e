import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healConfigSchema } from '../config.ts';
import { actionSchema } from '../../../contract/policy/schema.ts';
import type { ActionContext } from './context.ts';
import { executeAction } from '../execute.ts';
import type { PlannedAction } from '../decision.ts';
import { createSupervisedServiceManager } from '../services/supervised.ts';

const root = await mkdtemp(join(tmpdir(), 'heal-actions-'));
after(() => rm(root, { recursive: true, force: true }));
const allowed = join(root, 'allowed');
const outside = join(root, 'outside');
const scripts = join(root, 'scripts');
await Promise.all([mkdir(allowed), mkdir(outside), mkdir(scripts)]);

const signals: { pid: number; sig: string }[] = [];
const touched: string[] = [];
function ctx(extra: Partial<ReturnType<typeof healConfigSchema.parse>> = {}): ActionContext {
  const config = healConfigSchema.parse({
    stateDir: root,
    allowedActions: ['free-disk', 'rotate-log', 'truncate-log', 'run-script', 'kill-process', 'drop-caches', 'notify'],
    allowedDirs: [allowed],
    scriptsDir: scripts,
    protectedProcesses: ['guarded'],
    dropCachesPath: join(root, 'drop_caches'),
    scriptEnv: ['WHO'],
  });
  return {
    config: { ...config, ...extra },
    serviceManager: createSupervisedServiceManager({ services: [], stateDir: root }),
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    kill: (pid, sig) => {
      signals.push({ pid, sig: String(sig) });
      process.kill(pid, sig);
    },
    selfPid: process.pid,
    procRoot: '/proc',
    audit: {
      signalled() {},
      touched: (p) => {
        touched.push(p);
      },
    },
  };
}
function plan(spec: unknown, targets?: PlannedAction['targets']): PlannedAction {
  return { id: 'i/1/0', policy: 'p', incident: 'i', attempt: 1, index: 0, spec: actionSchema.parse(spec), targets };
}
const old = (p: string) => utimes(p, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));

test('free-disk deletes matching old files oldest first within the byte budget, and nothing else', async () => {
  const d = join(allowed, 'data');
  await mkdir(join(d, 'sub'), { recursive: true });
  for (const [name, age] of [
    ['a.tmp', 3],
    ['b.tmp', 2],
    ['sub/c.tmp', 1],
  ] as const) {
    await writeFile(join(d, name), Buffer.alloc(1000));
    await utimes(join(d, name), new Date(Date.now() - age * 3_600_000), new Date(Date.now() - age * 3_600_000));
  }
  await writeFile(join(d, 'new.tmp'), Buffer.alloc(1000)); // too young
  await writeFile(join(d, 'keep.db'), Buffer.alloc(1000));
  await old(join(d, 'keep.db'));
  const r = await executeAction(
    plan({ type: 'free-disk', dirs: [d], globs: ['*.tmp'], olderThan: '30m', maxBytes: 2500 }),
    ctx(),
  );
  assert.equal(r.status, 'done');
  assert.equal(r.data?.freedBytes, 2000);
  assert.deepEqual((await readdir(d)).sort(), ['keep.db', 'new.tmp', 'sub']);
  assert.deepEqual(await readdir(join(d, 'sub')), ['c.tmp'], 'the youngest old file is over budget');
});

test('free-disk refuses path traversal and symlink escapes and never touches outside files', async () => {
  await writeFile(join(outside, 'victim.tmp'), 'x');
  await old(join(outside, 'victim.tmp'));
  await mkdir(join(allowed, 'trap'), { recursive: true });
  await symlink(outside, join(allowed, 'trap', 'link-dir')); // symlinked dir inside the allowed dir
  await symlink(join(outside, 'victim.tmp'), join(allowed, 'trap', 'link.tmp')); // symlinked file
  await symlink(outside, join(allowed, 'escape')); // the dir argument itself is a symlink
  const before = touched.length;
  const trav = await executeAction(
    plan({ type: 'free-disk', dirs: [`${allowed}/../outside`], globs: ['*'], maxBytes: 1e9 }),
    ctx(),
  );
  assert.equal(trav.status, 'refused');
  assert.match(trav.detail, /outside the local heal.allowedDirs|'\.\.'/);
  const viaLink = await executeAction(
    plan({ type: 'free-disk', dirs: [join(allowed, 'escape')], globs: ['*'], maxBytes: 1e9 }),
    ctx(),
  );
  assert.equal(viaLink.status, 'refused');
  assert.match(viaLink.detail, /symlink/);
  const inTrap = await executeAction(
    plan({ type: 'free-disk', dirs: [join(allowed, 'trap')], globs: ['*', '**/*'], maxBytes: 1e9 }),
    ctx(),
  );
  assert.equal(inTrap.status, 'done');
  assert.equal(inTrap.data?.freedBytes, 0);
  assert.ok(existsSync(join(outside, 'victim.tmp')), 'the file outside survives');
  assert.ok(existsSync(join(allowed, 'trap', 'link.tmp')), 'symlinks are not deleted either');
  assert.equal(touched.length, before);
});

test('rotate-log keeps N generations with copytruncate; truncate-log empties; both refuse symlinks and outside paths', async () => {
  const log = join(allowed, 'app.log');
  for (let i = 0; i < 3; i++) {
    await writeFile(log, `generation ${i}\n`);
    assert.equal((await executeAction(plan({ type: 'rotate-log', path: log, keep: 2 }), ctx())).status, 'done');
  }
  assert.equal((await stat(log)).size, 0);
  assert.equal(await readFile(`${log}.1`, 'utf8'), 'generation 2\n');
  assert.equal(await readFile(`${log}.2`, 'utf8'), 'generation 1\n');
  assert.equal(existsSync(`${log}.3`), false);
  await writeFile(log, 'x'.repeat(100));
  assert.equal((await executeAction(plan({ type: 'truncate-log', path: log }), ctx())).status, 'done');
  assert.equal((await stat(log)).size, 0);

  await writeFile(join(outside, 'passwd'), 'secret');
  await symlink(join(outside, 'passwd'), join(allowed, 'evil.log'));
  for (const type of ['truncate-log', 'rotate-log']) {
    const r = await executeAction(plan({ type, path: join(allowed, 'evil.log') }), ctx());
    assert.equal(r.status, 'refused', `${type} through a symlink`);
    const o = await executeAction(plan({ type, path: join(outside, 'passwd') }), ctx());
    assert.equal(o.status, 'refused', `${type} outside`);
  }
  assert.equal(await readFile(join(outside, 'passwd'), 'utf8'), 'secret');
});

test('run-script runs only executables inside scriptsDir, with timeout and bounded output', async () => {
  await writeFile(join(scripts, 'ok.sh'), '#!/bin/sh\necho "hello $WHO"\n');
  await chmod(join(scripts, 'ok.sh'), 0o755);
  await writeFile(join(scripts, 'slow.sh'), '#!/bin/sh\nsleep 30\n');
  await chmod(join(scripts, 'slow.sh'), 0o755);
  await writeFile(join(scripts, 'loud.sh'), '#!/bin/sh\nhead -c 200000 /dev/zero | tr "\\0" a\n');
  await chmod(join(scripts, 'loud.sh'), 0o755);
  await writeFile(join(outside, 'evil.sh'), '#!/bin/sh\ntouch "$0.ran"\n');
  await chmod(join(outside, 'evil.sh'), 0o755);
  await symlink(join(outside, 'evil.sh'), join(scripts, 'link.sh'));

  const ok = await executeAction(plan({ type: 'run-script', script: 'ok.sh', env: { WHO: 'heal' } }), ctx());
  assert.equal(ok.status, 'done');
  assert.equal(ok.data?.stdout, 'hello heal\n');
  const slow = await executeAction(plan({ type: 'run-script', script: 'slow.sh', timeout: '300ms' }), ctx());
  assert.equal(slow.status, 'failed');
  assert.equal(slow.data?.timedOut, true);
  const loud = await executeAction(plan({ type: 'run-script', script: 'loud.sh' }), ctx({ scriptOutputBytes: 1000 }));
  assert.equal(String(loud.data?.stdout).length, 1000);
  assert.equal(loud.data?.truncated, true);

  const viaLink = await executeAction(plan({ type: 'run-script', script: 'link.sh' }), ctx());
  assert.equal(viaLink.status, 'refused');
  assert.match(viaLink.detail, /outside/);
  const trav = await executeAction(plan({ type: 'run-script', script: '../outside/evil.sh' }), ctx());
  assert.equal(trav.status, 'refused');
  const abs = await executeAction(plan({ type: 'run-script', script: join(outside, 'evil.sh') }), ctx());
  assert.equal(abs.status, 'refused');
  assert.equal(existsSync(join(outside, 'evil.sh.ran')), false);
});

test('kill-process refuses pid 1, the agent, its parent and protected names; kills a real target with TERM then KILL', async () => {
  signals.length = 0;
  const guarded = spawn('sleep', ['30']); // comm 'sleep'
  // not a child of this process: the agent's own children are protected (started through a shell that exits)
  const launcher = spawn('sh', [
    '-c',
    `"${process.execPath}" -e "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)" >/dev/null 2>&1 & echo $!`,
  ]);
  const stubbornPid = Number(
    (await new Promise<string>((r) => launcher.stdout.once('data', (b: Buffer) => r(b.toString())))).trim(),
  );
  const stubborn = { pid: stubbornPid, exitCode: null };
  await new Promise((r) => setTimeout(r, 300));
  const c = ctx({ protectedProcesses: ['sleep'] });
  for (const t of [
    { pid: 1, name: 'init' },
    { pid: process.pid, name: 'node' },
    { pid: process.ppid, name: 'node' },
    { pid: guarded.pid!, name: 'sleep' },
  ]) {
    const r = await executeAction(plan({ type: 'kill-process', grace: '200ms' }, [{ ...t, runtimeS: 0 }]), c);
    assert.equal(r.status, 'refused', `pid ${t.pid}`);
  }
  assert.deepEqual(signals, [], 'nothing protected was signalled');
  assert.equal(guarded.exitCode, null);
  // pid reuse: a wrong name is refused
  assert.equal(
    (await executeAction(plan({ type: 'kill-process' }, [{ pid: stubborn.pid!, name: 'other', runtimeS: 0 }]), c))
      .status,
    'refused',
  );
  const r = await executeAction(
    plan({ type: 'kill-process', grace: '300ms' }, [{ pid: stubborn.pid!, name: 'node', runtimeS: 0 }]),
    c,
  );
  assert.equal(r.status, 'done');
  assert.deepEqual(
    signals.map((s: { sig: string }) => s.sig),
    ['SIGTERM', 'SIGKILL'],
  );
  guarded.kill();
});

test('drop-caches writes the level to its (injectable) path and is unavailable when it cannot', async () => {
  await writeFile(join(root, 'drop_caches'), '');
  assert.equal((await executeAction(plan({ type: 'drop-caches', level: 3 }), ctx())).status, 'done');
  assert.equal(await readFile(join(root, 'drop_caches'), 'utf8'), '3\n');
  const r = await executeAction(
    plan({ type: 'drop-caches' }),
    ctx({ dropCachesPath: join(root, 'missing', 'drop_caches') }),
  );
  assert.equal(r.status, 'unavailable');
});

test('an action type outside the local allow-list is refused at execution too', async () => {
  const r = await executeAction(plan({ type: 'cordon', reason: 'x' }), ctx());
  assert.equal(r.status, 'refused');
  assert.match(r.detail, /allowedActions/);
});
