/**
 * The documented one-liner on a bare Debian server (docs/agent-install.md): a `debootstrap --variant=minbase` root
 * filesystem with no Node.js in it (cached between runs, rootfs.ts), in its own network namespace behind a veth pair,
 * reaches a real control plane (`homeostat server`) bound to the host's end of the pair. Inside it (chroot):
 *
 * - artifacts that are tampered with (re-packed with a changed file, checksums recomputed), truncated, or signed by
 *   another key are refused with a clear message and nothing is installed;
 * - `curl -fsSL http://<cp>/install.sh | sudo sh -s -- --token … --labels …` installs, writes the config, enrolls;
 * - the agent, run as the unit's ExecStart line runs it (PID 1 of a chroot is not systemd), delivers samples;
 *   `systemd-analyze verify` accepts the installed unit. The real unit under a booted systemd (`systemd-nspawn -b`,
 *   with systemctl, restart-service and upgrades) is tested by nspawn-systemd.test.ts; these chroot cases also cover
 *   machines where nspawn cannot boot;
 * - re-running is safe; a control plane key other than the pinned one is refused; --uninstall keeps the state,
 *   --purge removes it.
 *
 * Skipped with the reason when this machine has no root, no debootstrap or no network namespaces.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  adminToken,
  api,
  CLI,
  createEnrollmentToken,
  pickPorts,
  poll,
  ROOT,
  spawnNode,
  waitForLine,
  type Proc,
} from '../integration/harness.ts';
import { createNetnsHost, type NetnsHost } from './netns-host.ts';
import { cachedRootfs, rootfsUnavailable } from './rootfs.ts';

const execFileAsync = promisify(execFile);

const skip = rootfsUnavailable();
const PLATFORM = 'linux-x64';

/** Serves `dir` as the control plane's /downloads would (and /install.sh), for the refusal cases. */
function staticServer(dir: string, hostIp: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/(downloads\/)?/, '');
    const file = join(dir, name);
    if (!name || name.includes('/') || !existsSync(file)) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size }).end(readFileSync(file));
  });
  return new Promise((r) =>
    server.listen(0, hostIp, () =>
      r({ server, url: `http://${hostIp}:${(server.address() as { port: number }).port}` }),
    ),
  );
}

describe('install.sh on a bare Debian host', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'homeostat-install-'));
  const dataDir = join(work, 'cp-data');
  let host: NetnsHost;
  let cp: Proc;
  let httpUrl = '';
  let admin = '';
  let agent: Proc | undefined;
  let artifactFile = '';
  const figures: string[] = [];

  before(async () => {
    const pristine = cachedRootfs((l) => process.stderr.write(`${l}\n`));
    host = createNetnsHost(pristine);
    const ports = await pickPorts();
    httpUrl = `http://${host.hostIp}:${ports.http}`;
    // The artifact of the agent built from these sources, signed with the control plane's key, where the control
    // plane looks first (<dataDir>/downloads); a checkout's dist/packages is never used by this test.
    execFileSync(process.execPath, [join(ROOT, 'agent/build.mjs'), '--outdir', join(work, 'agent'), '--quiet'], {
      cwd: ROOT,
      timeout: 300_000,
    });
    const packaged = JSON.parse(
      execFileSync(
        process.execPath,
        [
          join(ROOT, 'packaging/package-agent.mjs'),
          '--out',
          join(dataDir, 'downloads'),
          '--data-dir',
          dataDir,
          '--agent-dir',
          join(work, 'agent'),
          '--quiet',
        ],
        { cwd: ROOT, timeout: 300_000, encoding: 'utf8' },
      ),
    ) as { file: string; size: number };
    artifactFile = packaged.file;
    figures.push(`artifact: ${(packaged.size / 1e6).toFixed(1)} MB (${PLATFORM}, gzip)`);
    cp = spawnNode(
      [
        CLI,
        'server',
        '--data-dir',
        dataDir,
        '--host',
        host.hostIp,
        '--http-port',
        String(ports.http),
        '--mqtt-port',
        String(ports.mqtt),
        '--ws-port',
        String(ports.ws),
        '--log-level',
        'warn',
      ],
      { HOMEOSTAT_ADVERTISED_URL: httpUrl },
    );
    await waitForLine(cp, (l) => l.includes('"listening"'), 60_000, 'control plane listening');
    admin = await adminToken(dataDir);
  });

  after(async () => {
    await agent?.kill('SIGKILL');
    await cp?.kill();
    host?.destroy();
    rmSync(work, { recursive: true, force: true });
    if (figures.length) process.stderr.write(`install figures:\n  ${figures.join('\n  ')}\n`);
  });

  const nothingInstalled = () => {
    for (const p of [
      'opt/homeostat',
      'etc/homeostat',
      'var/lib/homeostat',
      'etc/systemd/system/homeostat-agent.service',
    ])
      assert.equal(existsSync(join(host.root, p)), false, `${p} must not exist after a refusal`);
  };

  it('serves install.sh with the advertised URL and the key, without authentication', async () => {
    const script = await (await fetch(`${httpUrl}/install.sh`)).text();
    assert.match(script, new RegExp(`SERVER_DEFAULT='${httpUrl}'`));
    const key = await (await fetch(`${httpUrl}/downloads/signing-key.pub.pem`)).text();
    assert.equal(key, readFileSync(join(dataDir, 'signing-key.pub.pem'), 'utf8'));
    const info = await api(httpUrl, admin, 'GET', '/api/enrollment/install');
    assert.equal(info.status, 200);
    assert.equal(info.body.advertisedUrl, httpUrl);
    assert.equal(info.body.advertisedUrlSource, 'config');
    assert.equal(info.body.warning, null);
    assert.equal(info.body.command, `curl -fsSL ${httpUrl}/install.sh | sudo sh -s -- --token <TOKEN>`);
    assert.equal(info.body.artifacts[0].platform, PLATFORM);
    assert.equal((await fetch(`${httpUrl}/api/enrollment/install`)).status, 401);
  });

  it('refuses a tampered, a truncated and a wrongly signed artifact, installing nothing', async () => {
    const name = artifactFile.split('/').pop()!;
    const good = readFileSync(artifactFile);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const serveCase = async (artifact: Buffer, listedSha: string, sig: Buffer) => {
      const dir = join(work, `case-${Math.random().toString(36).slice(2)}`);
      mkdirSync(dir);
      writeFileSync(join(dir, name), artifact);
      writeFileSync(join(dir, `${name}.sha256`), `${listedSha}  ${name}\n`);
      writeFileSync(join(dir, `${name}.sig`), sig);
      writeFileSync(
        join(dir, `agent-${PLATFORM}.txt`),
        `version=x\nfile=${name}\nsha256=${listedSha}\nsize=${artifact.length}\n`,
      );
      writeFileSync(join(dir, 'signing-key.pub.pem'), readFileSync(join(dataDir, 'signing-key.pub.pem')));
      writeFileSync(join(dir, 'install.sh'), readFileSync(join(ROOT, 'packaging/install.sh')));
      return staticServer(dir, host.hostIp);
    };
    const goodSig = readFileSync(`${artifactFile}.sig`);
    // tampered: one file of the agent changed, re-packed, checksums recomputed to match; the signature is the original
    const x = join(work, 'tamper');
    mkdirSync(x);
    execFileSync('tar', ['-xzf', artifactFile, '-C', x]);
    const top = execFileSync('ls', [x], { encoding: 'utf8' }).trim();
    appendFileSync(join(x, top, 'lib/agent/homeostat-agent.mjs'), '\n// tampered\n');
    execFileSync('sh', ['-c', `tar -C '${x}' -cf - '${top}' | gzip -n > '${x}.tar.gz'`]);
    const tampered = readFileSync(`${x}.tar.gz`);
    const wrongKey = generateKeyPairSync('ed25519').privateKey;
    const cases = [
      { what: 'tampered', artifact: tampered, sha: sha(tampered), sig: goodSig, expect: /BAD signature/ },
      {
        what: 'truncated',
        artifact: good.subarray(0, good.length >> 1),
        sha: sha(good),
        sig: goodSig,
        expect: /checksum mismatch/,
      },
      {
        what: 'wrong signature',
        artifact: good,
        sha: sha(good),
        sig: sign(null, good, wrongKey),
        expect: /BAD signature/,
      },
    ];
    for (const c of cases) {
      const { server, url } = await serveCase(c.artifact, c.sha, c.sig);
      try {
        const r = await host.sh(`curl -fsSL ${url}/install.sh | sh -s -- --server ${url} --token het_x.y`);
        assert.notEqual(r.code, 0, `${c.what}: must fail\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, c.expect, `${c.what}: ${r.stderr}`);
        assert.match(r.stderr, /nothing installed/, c.what);
        nothingInstalled();
      } finally {
        server.close();
      }
    }
  });

  it('installs with the one-liner; the agent as the unit runs it delivers samples', async () => {
    const token = await createEnrollmentToken(httpUrl, admin, { fleet: 'ci' });
    const t0 = Date.now();
    const r = await host.sh(
      `curl -fsSL ${httpUrl}/install.sh | sudo sh -s -- --token ${token} --labels role=bare,site=netns`,
    );
    const installMs = Date.now() - t0;
    assert.equal(r.code, 0, `install failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /sha256 OK/);
    assert.match(r.stdout, /signature OK \(ed25519, verified with node/);
    assert.match(r.stdout, /systemd is not running here/);
    const version = readlinkSync(join(host.root, 'opt/homeostat/agent/current'));
    assert.ok(existsSync(join(host.root, 'opt/homeostat/agent', version, 'bin/node')));
    assert.notEqual((await host.sh('command -v node')).code, 0, 'no Node.js on the host besides the agent’s own');
    assert.match(readFileSync(join(host.root, 'etc/homeostat/agent.yaml'), 'utf8'), new RegExp(`url: ${httpUrl}`));
    assert.equal(statSync(join(host.root, 'var/lib/homeostat')).mode & 0o777, 0o700);
    const creds = JSON.parse(readFileSync(join(host.root, 'var/lib/homeostat/credentials.json'), 'utf8')) as {
      agentId: string;
    };

    // the unit: systemd-analyze accepts it against the installed tree, and its ExecStart is what runs the agent here
    const unitPath = join(host.root, 'etc/systemd/system/homeostat-agent.service');
    // systemd-analyze runs on this machine (the rootfs has no systemd): the installed unit, with ExecStart pointing
    // into the rootfs so that the executable it checks is the installed one
    const unit = readFileSync(unitPath, 'utf8');
    const checkDir = join(work, 'unit-check');
    mkdirSync(checkDir);
    writeFileSync(join(checkDir, 'homeostat-agent.service'), unit.replace(/^ExecStart=\//m, `ExecStart=${host.root}/`));
    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', join(checkDir, 'homeostat-agent.service')], {
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(/\s+/);
    const env = Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(.+)$/gm)].map((m) => [m[1]!, m[2]!]));
    agent = host.spawn(execStart, env);
    const samples = await poll(
      async () => {
        const s = await api(httpUrl, admin, 'GET', `/api/hosts/${creds.agentId}/samples?limit=5`);
        return s.status === 200 && s.body.samples.length > 0 ? s.body.samples : null;
      },
      120_000,
      'first sample from the installed agent',
      250,
    );
    const firstSampleMs = Date.now() - t0;
    assert.ok(samples.length > 0);
    const h = await api(httpUrl, admin, 'GET', `/api/hosts/${creds.agentId}`);
    assert.equal(h.body.labels.role, 'bare');
    assert.equal(h.body.labels.fleet, 'ci');
    // the Enrollment page's list: which host each token enrolled
    const tokens = await api(httpUrl, admin, 'GET', '/api/tokens');
    const used = tokens.body.tokens.find((t: { hosts: { id: string }[] }) =>
      t.hosts.some((x) => x.id === creds.agentId),
    );
    assert.ok(used, 'the token lists the host it enrolled');
    assert.equal(used.hosts[0].hostname, hostname()); // no UTS namespace: the kernel's host name
    figures.push(`install (one-liner, download + verify + unpack + enroll): ${(installMs / 1000).toFixed(1)} s`);
    figures.push(`one-liner to first stored sample: ${(firstSampleMs / 1000).toFixed(1)} s`);
  });

  it('re-running is safe; a changed control plane key is refused', async () => {
    const before = readFileSync(join(host.root, 'var/lib/homeostat/credentials.json'), 'utf8');
    const r = await host.sh(`curl -fsSL ${httpUrl}/install.sh | sh`);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /already enrolled/);
    assert.match(r.stdout, /kept \/etc\/homeostat\/agent\.yaml/);
    assert.equal(readFileSync(join(host.root, 'var/lib/homeostat/credentials.json'), 'utf8'), before);
    // another control plane (another key) serving a correctly signed artifact: not the key this host pinned
    const dir = join(work, 'other-key');
    mkdirSync(dir);
    const name = artifactFile.split('/').pop()!;
    const bytes = readFileSync(artifactFile);
    const other = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, name), bytes);
    writeFileSync(join(dir, `${name}.sha256`), readFileSync(`${artifactFile}.sha256`));
    writeFileSync(join(dir, `${name}.sig`), sign(null, bytes, other.privateKey));
    writeFileSync(
      join(dir, `agent-${PLATFORM}.txt`),
      readFileSync(join(dataDir, 'downloads', `agent-${PLATFORM}.txt`)),
    );
    writeFileSync(join(dir, 'signing-key.pub.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));
    const { server, url } = await staticServer(dir, host.hostIp);
    try {
      const before2 = readlinkSync(join(host.root, 'opt/homeostat/agent/current'));
      const bad = await host.sh(`curl -fsSL ${httpUrl}/install.sh | sh -s -- --server ${url}`);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /differs from the one this host pinned/);
      assert.equal(readlinkSync(join(host.root, 'opt/homeostat/agent/current')), before2);
    } finally {
      server.close();
    }
  });

  it('--uninstall keeps the state directory; --purge removes it', async () => {
    await agent?.kill('SIGTERM');
    agent = undefined;
    const u = await host.sh(`curl -fsSL ${httpUrl}/install.sh | sh -s -- --uninstall`);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(existsSync(join(host.root, 'opt/homeostat')), false);
    assert.equal(existsSync(join(host.root, 'etc/homeostat')), false);
    assert.equal(existsSync(join(host.root, 'etc/systemd/system/homeostat-agent.service')), false);
    assert.ok(existsSync(join(host.root, 'var/lib/homeostat/credentials.json')));
    const p = await host.sh(`curl -fsSL ${httpUrl}/install.sh | sh -s -- --uninstall --purge`);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(existsSync(join(host.root, 'var/lib/homeostat')), false);
  });

  it('installs from the offline bundle with no download (curl removed), then uninstalls', async () => {
    // Asynchronous: a synchronous child blocked this process for the ~20 s of packaging, past the control plane's
    // keep-alive timeout, and fetch then reused the pooled socket the server had closed ("fetch failed").
    const packaged = await execFileAsync(
      process.execPath,
      [
        join(ROOT, 'packaging/package-offline.mjs'),
        ...['--out', join(work, 'offline'), '--data-dir', dataDir, '--agent-dir', join(work, 'agent'), '--quiet'],
      ],
      { cwd: ROOT, timeout: 300_000, encoding: 'utf8' },
    );
    const built = JSON.parse(packaged.stdout) as { file: string; size: number };
    figures.push(`offline bundle: ${(built.size / 1e6).toFixed(1)} MB`);
    mkdirSync(join(host.root, 'root/bundle'), { recursive: true });
    execFileSync('tar', ['-xzf', built.file, '-C', join(host.root, 'root/bundle'), '--strip-components=1']);
    execFileSync('mv', [join(host.root, 'usr/bin/curl'), join(host.root, 'usr/bin/curl.away')]);
    try {
      const token = await createEnrollmentToken(httpUrl, admin, { site: 'air-gapped' });
      writeFileSync(join(host.root, 'root/token'), `${token}\n`, { mode: 0o600 });
      const r = await host.sh(
        `cd /root/bundle && sha256sum -c --quiet SHA256SUMS && ./install.sh --server ${httpUrl} --token-file /root/token`,
      );
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /\(offline\)/);
      assert.match(r.stdout, /signature OK/);
      const creds = JSON.parse(readFileSync(join(host.root, 'var/lib/homeostat/credentials.json'), 'utf8'));
      const h = await api(httpUrl, admin, 'GET', `/api/hosts/${creds.agentId}`);
      assert.equal(h.body.labels.site, 'air-gapped');
      const u = await host.sh('/root/bundle/install.sh --uninstall --purge');
      assert.equal(u.code, 0, u.stderr);
      assert.equal(existsSync(join(host.root, 'opt/homeostat')), false);
    } finally {
      execFileSync('mv', [join(host.root, 'usr/bin/curl.away'), join(host.root, 'usr/bin/curl')]);
    }
  });
});

if (skip) describe('install.sh on a bare Debian host (skipped)', () => it(`skipped: ${skip}`, { skip }, () => {}));
