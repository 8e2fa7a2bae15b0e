/**
 * The agent upgrader against real parts: a real HTTP server serving real tar.gz artifacts, real ed25519 signatures,
 * real `tar`, a temp install root. A good release is unpacked beside the running version, the record written and
 * `current` switched, then restart(75) is asked for; a tampered file, a wrong artifact signature, a manifest signed by
 * another key and a truncated download are each refused with a clear message, an event and a state error, with
 * nothing left behind (no new version directory, no record, `current` untouched, no download or scratch files).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentReleaseCommand } from '../../contract/signing/bundle.ts';
import { createAgentUpgrader } from './agent-upgrader.ts';
import { createFleetState } from './fleet-state.ts';
import { readRecord } from './install-layout.ts';
import { hostPlatform, platformName } from './platform.ts';
import { EXIT_UPGRADE } from './upgrade-record.ts';

const platform = hostPlatform();

/** A minimal installed-layout artifact: VERSION, a launcher and a `node` that runs (a shell script here). */
function makeArtifact(dir: string, version: string): Buffer {
  const stage = join(dir, `stage-${version}`);
  const top = join(stage, `homeostat-agent-${version}`);
  mkdirSync(join(top, 'bin'), { recursive: true });
  writeFileSync(join(top, 'VERSION'), `${version}\n`);
  writeFileSync(join(top, 'bin', 'node'), '#!/bin/sh\necho v20.0.0\n', { mode: 0o755 });
  writeFileSync(join(top, 'bin', 'homeostat-agent'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const file = join(dir, `a-${version}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', stage, `homeostat-agent-${version}`]);
  return readFileSync(file);
}

describe('agent upgrader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-upgrader-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const files = new Map<string, { body: Buffer; truncateTo?: number }>();
  let server: Server;
  let url = '';

  before(async () => {
    server = createServer((req, res) => {
      const f = files.get(req.url ?? '');
      if (!f) return void res.writeHead(404).end();
      if (req.headers.authorization !== `Basic ${Buffer.from('agent-1:s3cret').toString('base64')}`)
        return void res.writeHead(401).end();
      if (f.truncateTo !== undefined) {
        // announces the whole file, sends part of it, and drops the connection
        res.writeHead(200, { 'content-length': String(f.body.length) });
        res.write(f.body.subarray(0, f.truncateTo), () => res.destroy());
        return;
      }
      res.writeHead(200, { 'content-length': String(f.body.length) }).end(f.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh install root with version 1.0.0 current, and an upgrader for it. */
  function rig(name: string, hostPlat?: string) {
    const root = join(dir, name, 'opt');
    const stateDir = join(dir, name, 'state');
    mkdirSync(join(root, '1.0.0', 'bin'), { recursive: true });
    writeFileSync(join(root, '1.0.0', 'VERSION'), '1.0.0\n');
    writeFileSync(join(root, '1.0.0', 'bin', 'homeostat-agent'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('1.0.0', join(root, 'current'));
    mkdirSync(stateDir, { recursive: true });
    const events: { type: string; message?: string; data: Record<string, unknown> }[] = [];
    const errors: string[][] = [];
    const restarts: number[] = [];
    const state = createFleetState({ publish: (m) => void errors.push(m.errors), now: () => 1 });
    const upgrader = createAgentUpgrader({
      pinnedKey: publicKey,
      server: url,
      agentId: 'agent-1',
      secret: 's3cret',
      stateDir,
      installRoot: root,
      running: '1.0.0',
      healthCycles: 3,
      windowMs: 60_000,
      maxAttempts: 2,
      maxBytes: 10 * 1024 * 1024,
      connected: () => true,
      state,
      report: (e) => events.push(e as (typeof events)[number]),
      restart: (code) => restarts.push(code),
      now: () => 1_000,
      ...(hostPlat ? { platform: hostPlat } : {}),
    });
    const leftovers = () => readdirSync(root).filter((n) => n !== '1.0.0' && n !== 'current');
    return { root, stateDir, events, errors, restarts, upgrader, leftovers };
  }

  function release(version: string, body: Buffer, o: { sig?: Buffer; key?: KeyObject; sha256?: string } = {}) {
    const path = `/downloads/homeostat-agent-${version}-${platform}.tar.gz`;
    return agentReleaseCommand(
      {
        version,
        platform,
        sha256: o.sha256 ?? createHash('sha256').update(body).digest('hex'),
        size: body.length,
        url: path,
        signature: (o.sig ?? sign(null, body, privateKey)).toString('base64'),
        issuedAt: 1,
      },
      o.key ?? privateKey,
    );
  }

  it('installs a good release beside the running one, records it, switches current and asks for a restart', async () => {
    const r = rig('good');
    const body = makeArtifact(dir, '2.0.0');
    const cmd = release('2.0.0', body);
    files.set(`/downloads/homeostat-agent-2.0.0-${platform}.tar.gz`, { body });
    assert.deepEqual(await r.upgrader.handle(cmd), { switched: '2.0.0' });
    assert.equal(readlinkSync(join(r.root, 'current')), '2.0.0');
    assert.equal(readlinkSync(join(r.root, 'previous')), '1.0.0');
    assert.equal(readFileSync(join(r.root, '2.0.0', 'VERSION'), 'utf8'), '2.0.0\n');
    const rec = readRecord(r.stateDir)!;
    assert.deepEqual(
      { status: rec.status, from: rec.from, to: rec.to, attempts: rec.attempts, deadline: rec.deadline },
      { status: 'pending', from: '1.0.0', to: '2.0.0', attempts: 0, deadline: 61_000 },
    );
    assert.equal(rec.requireConnected, true);
    assert.deepEqual(r.restarts, [EXIT_UPGRADE]);
    assert.deepEqual(r.leftovers().sort(), ['2.0.0', 'previous']);
  });

  const refusals: [
    string,
    (body: Buffer) => { cmd: ReturnType<typeof release>; serve: Buffer; truncateTo?: number },
    string,
    RegExp,
  ][] = [
    [
      'a tampered artifact (a byte changed after signing)',
      (body) => {
        const bad = Buffer.from(body);
        bad[bad.length - 10]! ^= 0xff;
        return { cmd: release('3.0.0', body), serve: bad };
      },
      'tampered',
      /sha256 [0-9a-f]{64} does not match the signed release/,
    ],
    [
      'an artifact signed by another key',
      (body) => ({ cmd: release('3.0.0', body, { sig: sign(null, body, other.privateKey) }), serve: body }),
      'wrong-key',
      /artifact signature does not verify with the pinned key/,
    ],
    [
      'a manifest signed by another key',
      (body) => ({ cmd: release('3.0.0', body, { key: other.privateKey }), serve: body }),
      'wrong-key',
      /signature refused \(wrong-key\)/,
    ],
    [
      'a truncated download',
      (body) => ({ cmd: release('3.0.0', body), serve: body, truncateTo: Math.floor(body.length / 2) }),
      'truncated',
      /download broke off after|downloaded \d+ bytes, the signed release has/,
    ],
  ];
  for (const [what, make, reason, message] of refusals) {
    it(`refuses ${what}: clear message, event, state error, nothing half-installed`, async () => {
      const r = rig(`refuse-${reason}-${what.length}`);
      const body = makeArtifact(dir, '3.0.0');
      const { cmd, serve, truncateTo } = make(body);
      files.set(`/downloads/homeostat-agent-3.0.0-${platform}.tar.gz`, {
        body: serve,
        ...(truncateTo !== undefined ? { truncateTo } : {}),
      });
      assert.deepEqual(await r.upgrader.handle(cmd), { refused: '3.0.0', reason });
      const ev = r.events.find((e) => e.type === 'fleet.agent-refused');
      assert.ok(ev, 'fleet.agent-refused reported');
      assert.equal(ev.data['reason'], reason);
      assert.match(ev.message!, message);
      assert.match(ev.message!, /keeping 1\.0\.0/);
      assert.match(r.errors.at(-1)!.join('\n'), new RegExp(`agent 3\\.0\\.0 refused \\(${reason}\\)`));
      assert.equal(readlinkSync(join(r.root, 'current')), '1.0.0');
      assert.deepEqual(r.leftovers(), [], 'no new version, scratch or download left');
      assert.equal(existsSync(join(r.stateDir, 'agent-upgrade.json')), false);
      assert.deepEqual(r.restarts, []);
    });
  }

  it('ignores a release of the running version, and refuses one for another platform', async () => {
    const r = rig('same');
    const body = makeArtifact(dir, '1.0.0');
    assert.deepEqual(await r.upgrader.handle(release('1.0.0', body)), { ignored: '1.0.0 is running already' });
    const foreign = agentReleaseCommand(
      {
        version: '4.0.0',
        platform: platform === 'linux-x64' ? 'linux-arm64' : 'linux-x64',
        sha256: 'a'.repeat(64),
        size: 10,
        url: '/x',
        signature: 'AA==',
        issuedAt: 1,
      },
      privateKey,
    );
    assert.deepEqual(await r.upgrader.handle(foreign), { refused: '4.0.0', reason: 'wrong-platform' });
    assert.deepEqual(r.leftovers(), []);
    const refused = r.events.find((e) => e.type === 'fleet.agent-refused');
    assert.equal(refused?.data['reason'], 'wrong-platform');
    assert.match(refused?.message ?? '', new RegExp(`built for linux-\\w+, this host is ${platform}`));
    assert.deepEqual(r.restarts, []);
  });

  it('names the C library: a musl host refuses a glibc release of its own os and arch', async () => {
    assert.equal(platformName('linux', 'x64', 'glibc'), 'linux-x64');
    assert.equal(platformName('linux', 'arm64', 'musl'), 'linux-arm64-musl');
    assert.match(platform, /^linux-(x64|arm64)(-musl)?$/);
    const r = rig('musl', `${platform}-musl`);
    const body = makeArtifact(dir, '5.0.0');
    assert.deepEqual(await r.upgrader.handle(release('5.0.0', body)), { refused: '5.0.0', reason: 'wrong-platform' });
    assert.match(r.events[0]?.message ?? '', new RegExp(`built for ${platform}, this host is ${platform}-musl`));
    assert.deepEqual(r.leftovers(), []);
  });
});
