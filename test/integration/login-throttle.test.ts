import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, startFleet } from './fleet-harness.ts';

test('password guessing over HTTP: 5 failures lock the username (429 + Retry-After, even with the right password), audited; the lockout ends', async () => {
  const rig = await startFleet();
  try {
    const u = await api(rig.t, 'POST', '/api/users', {
      username: 'dana',
      password: 'correct-horse-battery',
      role: 'viewer',
    });
    assert.equal(u.status, 201);
    const login = (password: string) =>
      fetch(`${rig.t.urls.httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'dana', password }),
      });
    for (let i = 0; i < 5; i++) assert.equal((await login(`guess-${i}`)).status, 401);
    const locked = await login('correct-horse-battery');
    assert.equal(locked.status, 429);
    assert.equal(locked.headers.get('retry-after'), '30');
    assert.deepEqual(await locked.json(), {
      error: 'too-many-attempts',
      message: 'login: too many failed attempts for this username; retry in 30 s',
      retryAfterSeconds: 30,
    });
    const audit = await api(rig.t, 'GET', '/api/audit?action=auth.login-throttled');
    assert.equal(audit.status, 200);
    assert.deepEqual(
      audit.body.entries.map((e: { action: string; actor: string; detail: { address: string | null } }) => [
        e.action,
        e.actor,
        typeof e.detail.address,
      ]),
      [['auth.login-throttled', 'user:dana', 'string']],
    );
    rig.clock.t += 30_000;
    assert.equal((await login('correct-horse-battery')).status, 200);
  } finally {
    await rig.close();
  }
});

test('a burst of 40 parallel logins gets 5 through to the password check, the rest 429', async () => {
  const rig = await startFleet();
  try {
    assert.equal(
      (await api(rig.t, 'POST', '/api/users', { username: 'erin', password: 'correct-horse-battery', role: 'viewer' }))
        .status,
      201,
    );
    const login = (password: string) =>
      fetch(`${rig.t.urls.httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'erin', password }),
      });
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(i === 20 ? 'correct-horse-battery' : `guess-${i}`).then((r) => r.status),
      ),
    );
    const count = (s: number) => statuses.filter((x) => x === s).length;
    assert.equal(count(429), 35, `statuses ${statuses.join(' ')}`);
    assert.equal(count(401) + count(200), 5);
  } finally {
    await rig.close();
  }
});
