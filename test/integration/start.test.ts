/**
 * `homeostat start` (npm start): control plane + local agent in one process; samples visible through the API within
 * 15 s; a second start reuses the data dir and the enrolled agent; SIGTERM drains both and exits 0.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken, api, homeostat, poll, waitForLine, type Proc } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'hs-start-'));
const procs: Proc[] = [];
after(async () => {
  for (const p of procs.reverse()) await p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ proc: Proc; info: { httpUrl: string; agentId: string }; t0: number }> {
  const t0 = Date.now();
  const proc = homeostat(['start', '--data-dir', dir, '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0']);
  procs.push(proc);
  const line = await waitForLine(proc, (l) => l.startsWith('{"event":"started"'), 60_000, 'homeostat start');
  return { proc, info: JSON.parse(line), t0 };
}

describe('homeostat start', () => {
  it('N7/N8: shows samples, prints the URL and the admin credentials once on stderr, is idempotent, drains on SIGTERM', async () => {
    const first = await start();
    const out = first.proc.stdout.join('\n');
    assert.match(out, /UI \/ API: +http:\/\/127\.0\.0\.1:\d+/);
    // N8: the credentials block is on stderr, as with `homeostat server`; stdout only points at it
    assert.match(out, /admin: +admin \(credentials printed above, on stderr\)/);
    const err = first.proc.stderr.join('\n');
    const password = /password: +(\S+)/.exec(err)?.[1];
    assert.ok(password, `the first start prints the password on stderr: ${err}`);
    assert.doesNotMatch(out, /password:/);
    // N7: the password is in no file (the credentials file has the API token only)
    assert.equal(readFileSync(join(dir, 'admin-credentials.json'), 'utf8').includes(password), false);
    assert.match(out, /enrolled now/);
    const token = await adminToken(dir);
    const { agentId, httpUrl } = first.info;
    await poll(
      async () => (await api(httpUrl, token, 'GET', `/api/hosts/${agentId}/samples`)).body?.samples?.length > 0,
      60_000,
      'a first sample (the 15 s product target is measured by benchmarks, not asserted on a busy CI box)',
    );
    assert.equal(await first.proc.kill('SIGTERM'), 0);
    assert.match(first.proc.stdout.join('\n'), /stopping/);

    const second = await start();
    assert.equal(second.info.agentId, agentId, 'the enrolled agent is reused');
    assert.match(second.proc.stdout.join('\n'), /already enrolled/);
    // N7: printed once: a later start prints no password, only where the API token is
    assert.doesNotMatch(second.proc.stderr.join('\n'), /password:/);
    assert.match(second.proc.stdout.join('\n'), /admin: +admin \(password shown at the first start; API token in /);
    const before = (await api(second.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/samples?limit=10000`)).body
      .samples.length;
    await poll(
      async () =>
        (await api(second.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/samples?limit=10000`)).body.samples
          .length > before,
      60_000,
      'new samples after restart',
    );
    const hosts = (await api(second.info.httpUrl, token, 'GET', '/api/hosts')).body.hosts;
    assert.equal(hosts.length, 1, 'no second host was enrolled');
    assert.equal(await second.proc.kill('SIGTERM'), 0);
  });
});
