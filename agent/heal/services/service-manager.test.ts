import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceManagerContract } from './service-manager.contract.ts';
import { createSupervisedServiceManager } from './supervised.ts';
import { createSystemdServiceManager, execFileFn } from './systemd.ts';
import { supervisedServiceSchema } from '../config.ts';

serviceManagerContract('supervised', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'heal-svc-'));
  const manager = createSupervisedServiceManager({
    stateDir: dir,
    services: [supervisedServiceSchema.parse({ name: 'sleeper', command: ['sleep', '600'], stopGrace: '2s' })],
  });
  return {
    manager,
    service: 'sleeper',
    async crash() {
      process.kill(Number((await readFile(join(dir, 'services', 'sleeper.pid'), 'utf8')).split('\n')[0]), 'SIGKILL');
    },
    async cleanup() {
      await manager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

let pid1 = '';
try {
  pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
} catch {
  /* no /proc */
}
const unit = `homeostat-contract-${process.pid}`;
serviceManagerContract(
  'systemd',
  async () => {
    const manager = createSystemdServiceManager();
    // a runtime unit (gone at reboot), loaded but stopped
    const file = `/run/systemd/system/${unit}.service`;
    await writeFile(file, `[Unit]\nDescription=homeostat contract test\n[Service]\nExecStart=/bin/sleep 600\n`);
    await execFileFn('systemctl', ['daemon-reload']);
    return {
      manager,
      service: `${unit}.service`,
      async crash() {
        await execFileFn('systemctl', ['kill', '--signal=SIGKILL', unit]);
      },
      async cleanup() {
        await execFileFn('systemctl', ['stop', unit]);
        await execFileFn('systemctl', ['reset-failed', unit]);
        await rm(file, { force: true });
        await execFileFn('systemctl', ['daemon-reload']);
      },
    };
  },
  pid1 === 'systemd' ? false : `systemd is not PID 1 here (PID 1 is '${pid1 || 'unknown'}')`,
);
