import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseServiceBackend, createServiceManager, procPid1Reader } from './choose.ts';
import { execFileFn } from './systemd.ts';
import { createHealer } from '../healer.ts';
import { loadHealConfig, supervisedServiceSchema } from '../config.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

test('systemd is chosen exactly when PID 1 is systemd, with the reason', () => {
  assert.deepEqual(
    chooseServiceBackend(() => 'systemd'),
    { backend: 'systemd', reason: 'PID 1 is systemd' },
  );
  assert.deepEqual(
    chooseServiceBackend(() => 'tini'),
    { backend: 'supervised', reason: 'PID 1 is tini, not systemd' },
  );
  assert.deepEqual(
    chooseServiceBackend(() => null),
    { backend: 'supervised', reason: 'PID 1 is unknown (/proc/1/comm unreadable)' },
  );
});

test('the PID-1 reader reads <procRoot>/1/comm', async () => {
  const root = await mkdtemp(join(tmpdir(), 'proc-'));
  dirs.push(root);
  assert.equal(procPid1Reader(root)(), null);
  await import('node:fs/promises').then((fs) => fs.mkdir(join(root, '1')));
  await writeFile(join(root, '1', 'comm'), 'systemd\n');
  assert.equal(procPid1Reader(root)(), 'systemd');
});

test('on systemd, units go to systemctl and heal.services stay supervised; the healer states its choice', async () => {
  const calls: string[][] = [];
  const exec = async (file: string, args: string[]) => {
    calls.push([file, ...args]);
    return { code: 0, stdout: 'ActiveState=active\nLoadState=loaded\n', stderr: '' };
  };
  const stateDir = await mkdtemp(join(tmpdir(), 'choose-'));
  dirs.push(stateDir);
  const services = [supervisedServiceSchema.parse({ name: 'worker', command: ['sleep', '600'] })];
  const { manager, choice } = createServiceManager({ services, stateDir, readPid1: () => 'systemd', exec });
  assert.equal(manager.backend, 'systemd');
  assert.match(choice.reason, /^PID 1 is systemd; heal.services \(worker\) supervised by the agent$/);
  await manager.restart('nginx.service');
  assert.deepEqual(calls, [['systemctl', 'restart', '--no-ask-password', '--', 'nginx.service']]);
  assert.equal((await manager.status('worker')).state !== 'active', true); // the supervised backend answers for worker
  await manager.close();

  const config = loadHealConfig({ stateDir, allowedActions: ['restart-service'] });
  const h = await createHealer({ config, readPid1: () => 'busybox' });
  assert.deepEqual(h.serviceBackend(), { backend: 'supervised', reason: 'PID 1 is busybox, not systemd' });
  await h.close();
});

let pid1 = '';
try {
  pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
} catch {
  /* no /proc */
}
const skip =
  pid1 !== 'systemd'
    ? `PID 1 is ${pid1 || 'unknown'}, not systemd`
    : process.getuid?.() !== 0
      ? 'PID 1 is systemd, but restarting a unit needs root'
      : false;

test('where PID 1 is systemd, restart-service restarts a real unit through systemctl', { skip }, async () => {
  const unit = `homeostat-choose-${process.pid}`;
  const file = `/run/systemd/system/${unit}.service`;
  await writeFile(file, `[Unit]\nDescription=homeostat backend choice test\n[Service]\nExecStart=/bin/sleep 600\n`);
  await execFileFn('systemctl', ['daemon-reload']);
  const stateDir = await mkdtemp(join(tmpdir(), 'choose-real-'));
  dirs.push(stateDir);
  try {
    const h = await createHealer({ config: loadHealConfig({ stateDir, allowedActions: ['restart-service'] }) });
    assert.equal(h.serviceBackend().backend, 'systemd');
    assert.equal(
      h.applyPolicySet(
        `policies:\n  - name: u\n    when: { service: ${unit} }\n    do: [ { type: restart-service, service: ${unit}.service } ]\n`,
        'yaml',
      ).ok,
      true,
    );
    const events = await h.onCycle({
      ts: Date.now(),
      features: {},
      facts: { services: [{ name: unit, state: 'inactive' }] },
    });
    const done = events.find((e) => e.type === 'heal.executed');
    assert.ok(done, events.map((e) => `${e.type}: ${e.message}`).join('\n'));
    assert.match(done.message, /\(systemd\); now active/);
    const show = await execFileFn('systemctl', ['show', '--property=ActiveState', '--', `${unit}.service`]);
    assert.match(show.stdout, /ActiveState=active/);
    await h.close();
  } finally {
    await execFileFn('systemctl', ['stop', unit]);
    await rm(file, { force: true });
    await execFileFn('systemctl', ['daemon-reload']);
  }
});
