/**
 * `npm run package:deb` on a bare Debian host (the cached `debootstrap --variant=minbase` rootfs, rootfs.ts, in a
 * chroot): `dpkg -i` of version A installs the same layout as install.sh and the agent runs from it with the host's
 * having no Node.js; `dpkg -i` of version B upgrades (`current` moves, A's files go, the edited conffile and the state
 * stay); `dpkg -r` removes the programs and keeps /etc/homeostat and /var/lib/homeostat; `dpkg -P` removes those too.
 * No systemd runs in the chroot (netns-host.ts), so the maintainer scripts take their no-systemd path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../integration/harness.ts';
import { createNetnsHost, type NetnsHost } from './netns-host.ts';
import { cachedRootfs, rootfsUnavailable } from './rootfs.ts';

const skip = rootfsUnavailable() ?? (existsSync('/usr/bin/dpkg-deb') ? null : 'dpkg-deb is missing (Debian dpkg)');

describe('the .deb on a bare Debian host', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'homeostat-deb-'));
  let host: NetnsHost;
  const debs: Record<string, string> = {};

  before(() => {
    host = createNetnsHost(cachedRootfs((l) => process.stderr.write(`${l}\n`)));
    execFileSync(process.execPath, [join(ROOT, 'agent/build.mjs'), '--outdir', join(work, 'agent'), '--quiet'], {
      cwd: ROOT,
      timeout: 300_000,
    });
    for (const v of ['0.1.0', '0.1.1']) {
      const r = JSON.parse(
        execFileSync(
          process.execPath,
          [
            join(ROOT, 'packaging/package-deb.mjs'),
            ...['--out', join(work, 'debs'), '--data-dir', join(work, 'keys'), '--agent-dir', join(work, 'agent')],
            ...['--version', v, '--quiet'],
          ],
          { cwd: ROOT, timeout: 300_000, encoding: 'utf8' },
        ),
      ) as { file: string };
      debs[v] = r.file;
      execFileSync('cp', [r.file, join(host.root, 'root')]);
    }
  });
  after(() => {
    host?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const inRoot = (p: string) => join(host.root, p);

  it('installs, upgrades keeping config and state, removes keeping them, purges', async () => {
    const a = await host.sh('dpkg -i /root/homeostat-agent_0.1.0_amd64.deb');
    assert.equal(a.code, 0, `${a.stdout}\n${a.stderr}`);
    assert.match(a.stdout, /enroll this host/);
    assert.equal(readlinkSync(inRoot('opt/homeostat/agent/current')), '0.1.0');
    assert.equal(statSync(inRoot('var/lib/homeostat')).mode & 0o777, 0o700);
    assert.ok(existsSync(inRoot('lib/systemd/system/homeostat-agent.service')));
    const help = await host.sh('homeostat-agent --help');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /enroll/);
    assert.notEqual((await host.sh('command -v node')).code, 0, 'no Node.js on the host besides the agent’s own');

    // state and a local edit of the conffile
    writeFileSync(inRoot('var/lib/homeostat/outbox.db'), 'state');
    writeFileSync(inRoot('etc/homeostat/agent.yaml'), 'stateDir: /var/lib/homeostat\ncycleSeconds: 30\n');

    const b = await host.sh('dpkg -i --force-confold /root/homeostat-agent_0.1.1_amd64.deb');
    assert.equal(b.code, 0, `${b.stdout}\n${b.stderr}`);
    assert.equal(readlinkSync(inRoot('opt/homeostat/agent/current')), '0.1.1');
    assert.equal(existsSync(inRoot('opt/homeostat/agent/0.1.0')), false, 'the old version’s files are gone');
    assert.equal(readFileSync(inRoot('opt/homeostat/agent/0.1.1/VERSION'), 'utf8'), '0.1.1\n');
    assert.match(readFileSync(inRoot('etc/homeostat/agent.yaml'), 'utf8'), /cycleSeconds: 30/);
    assert.equal(readFileSync(inRoot('var/lib/homeostat/outbox.db'), 'utf8'), 'state');
    assert.equal((await host.sh("dpkg-query -W -f='${Version}' homeostat-agent")).stdout, '0.1.1');

    const r = await host.sh('dpkg -r homeostat-agent');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(inRoot('opt/homeostat/agent/0.1.1')), false);
    assert.equal(existsSync(inRoot('usr/bin/homeostat-agent')), false);
    assert.ok(existsSync(inRoot('etc/homeostat/agent.yaml')), 'removal keeps the conffile');
    assert.equal(readFileSync(inRoot('var/lib/homeostat/outbox.db'), 'utf8'), 'state', 'removal keeps the state');

    const p = await host.sh('dpkg -P homeostat-agent');
    assert.equal(p.code, 0, p.stderr);
    assert.equal(existsSync(inRoot('etc/homeostat')), false);
    assert.equal(existsSync(inRoot('var/lib/homeostat')), false);
  });
});

if (skip) describe('the .deb on a bare Debian host (skipped)', () => it(`skipped: ${skip}`, { skip }, () => {}));
