/**
 * `npm run package:deb` on a bare Debian host (the cached `debootstrap --variant=minbase` rootfs, rootfs.ts, in a
 * chroot): `dpkg -i` of version A installs the same layout as install.sh and the agent runs from it with the host's
 * having no Node.js; `dpkg -i` of version B upgrades (`current` moves, A's files go, the edited conffile and the state
 * stay); `dpkg -r` removes the programs and keeps /etc/homeostat and /var/lib/homeostat; `dpkg -P` removes those too.
 * The .deb is signed like the artifact: install.sh --artifact FILE.deb refuses a package signed by another key with
 * nothing installed, and installs the signed one through dpkg; --uninstall removes it.
 * No systemd runs in the chroot (netns-host.ts), so the maintainer scripts take their no-systemd path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
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
      execFileSync('cp', [r.file, `${r.file}.sha256`, `${r.file}.sig`, join(host.root, 'root')]);
    }
    execFileSync('cp', [
      join(work, 'debs', 'signing-key.pub.pem'),
      join(ROOT, 'packaging/install.sh'),
      host.root + '/root',
    ]);
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

  it('is signed: install.sh --artifact refuses a .deb signed by another key, installs the signed one with dpkg', async () => {
    // The package with a signature by another key (its .sha256 matches): refused before dpkg sees it.
    const bad = inRoot('root/bad');
    execFileSync('mkdir', ['-p', bad]);
    const name = 'homeostat-agent_0.1.1_amd64.deb';
    execFileSync('cp', [
      inRoot(`root/${name}`),
      inRoot(`root/${name}.sha256`),
      inRoot('root/signing-key.pub.pem'),
      bad,
    ]);
    const other = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(join(bad, `${name}.sig`), sign(null, readFileSync(join(bad, name)), other));
    const refused = await host.sh(`sh /root/install.sh --server http://127.0.0.1:9 --artifact /root/bad/${name}`);
    assert.equal(refused.code, 1, `${refused.stdout}\n${refused.stderr}`);
    assert.match(
      refused.stderr,
      /BAD signature: homeostat-agent_0\.1\.1_amd64\.deb is not signed by the control plane's key[\s\S]*nothing installed/,
    );
    assert.notEqual((await host.sh('dpkg-query -W homeostat-agent')).code, 0, 'not installed');
    assert.equal(existsSync(inRoot('opt/homeostat')), false);

    // The signed package: verified (the package's own node, no openssl here), installed by dpkg, the server added
    // to the conffile. An identity in place stands for an enrolled host (enrollment is install-rootfs.test.ts's).
    execFileSync('mkdir', ['-p', inRoot('var/lib/homeostat')]);
    writeFileSync(inRoot('var/lib/homeostat/credentials.json'), '{}');
    const ok = await host.sh(`sh /root/install.sh --server http://127.0.0.1:9 --artifact /root/${name}`);
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /signature OK \(ed25519, verified with node/);
    assert.match(ok.stdout, /already enrolled/);
    assert.equal((await host.sh("dpkg-query -W -f='${Version}' homeostat-agent")).stdout, '0.1.1');
    assert.equal(readlinkSync(inRoot('opt/homeostat/agent/current')), '0.1.1');
    assert.match(readFileSync(inRoot('etc/homeostat/agent.yaml'), 'utf8'), /server:\n {2}url: http:\/\/127\.0\.0\.1:9/);
    assert.ok(existsSync(inRoot('etc/homeostat/signing-key.pub.pem')), 'the key is pinned');

    // --uninstall removes the package through dpkg and keeps the state.
    const un = await host.sh('sh /root/install.sh --uninstall');
    assert.equal(un.code, 0, un.stderr);
    assert.notEqual(
      (await host.sh('dpkg-query -W -f=\'${Status}\' homeostat-agent | grep -q "install ok installed"')).code,
      0,
    );
    assert.equal(existsSync(inRoot('opt/homeostat')), false);
    assert.ok(existsSync(inRoot('var/lib/homeostat/credentials.json')));
  });
});

if (skip) describe('the .deb on a bare Debian host (skipped)', () => it(`skipped: ${skip}`, { skip }, () => {}));
