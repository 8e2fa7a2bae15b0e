/**
 * Issue 17 item 7: users are disabled and deleted through the API (admins), never their own account; a disabled or
 * deleted user's sessions and API tokens stop working at once; role changes, disabling and deletion are audited; an
 * API token's "last used" is filled by its use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startFleet } from './fleet-harness.ts';

test('users: disable and delete (not yourself), sessions and tokens stop, audited; token last used filled', async () => {
  const rig = await startFleet();
  const base = rig.t.urls.httpUrl;
  try {
    const bob = await api(rig.t, 'POST', '/api/users', {
      username: 'bob',
      password: 'bob-password-12',
      role: 'operator',
    });
    assert.equal(bob.status, 201);
    const tok = await api(rig.t, 'POST', '/api/users/' + bob.body.id + '/tokens', { name: 'ci', role: 'operator' });
    const login = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: 'bob-password-12' }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const asCookie = () => fetch(`${base}/api/session`, { headers: { cookie } });

    // Last used: the token's own listing shows the use that fetched it.
    const mine = await api(rig.t, 'GET', '/api/api-tokens', undefined, tok.body.token);
    assert.equal(mine.status, 200);
    assert.ok(mine.body.tokens[0].lastUsedAt, 'last used filled');

    // Not your own account.
    const users = (await api(rig.t, 'GET', '/api/users')).body.users as { id: string; username: string }[];
    const admin = users.find((u) => u.username === 'admin')!;
    const self = await api(rig.t, 'DELETE', `/api/users/${admin.id}`);
    assert.equal(self.status, 409);
    assert.match(JSON.stringify(self.body), /your own account/);
    assert.equal((await api(rig.t, 'PATCH', `/api/users/${admin.id}`, { disabled: true })).status, 409);
    assert.equal((await api(rig.t, 'PATCH', `/api/users/${admin.id}`, { role: 'viewer' })).status, 409);

    // Role change and disable: audited; the session and the token stop at once.
    assert.equal((await api(rig.t, 'PATCH', `/api/users/${bob.body.id}`, { role: 'viewer' })).body.role, 'viewer');
    const disabled = await api(rig.t, 'PATCH', `/api/users/${bob.body.id}`, { disabled: true });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.disabled, true);
    assert.equal((await asCookie()).status, 401);
    assert.equal((await api(rig.t, 'GET', '/api/hosts', undefined, tok.body.token)).status, 401);
    assert.equal((await api(rig.t, 'PATCH', `/api/users/${bob.body.id}`, { disabled: false })).status, 200);
    assert.equal((await api(rig.t, 'GET', '/api/hosts', undefined, tok.body.token)).status, 200);

    // Delete: gone from the list, the token no longer authenticates, a second delete is a 404.
    const deleted = await api(rig.t, 'DELETE', `/api/users/${bob.body.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { deleted: bob.body.id });
    assert.ok(!(await api(rig.t, 'GET', '/api/users')).body.users.some((u: { id: string }) => u.id === bob.body.id));
    assert.equal((await api(rig.t, 'GET', '/api/hosts', undefined, tok.body.token)).status, 401);
    assert.equal((await api(rig.t, 'DELETE', `/api/users/${bob.body.id}`)).status, 404);

    const audit = (await api(rig.t, 'GET', `/api/audit?target=${bob.body.id}`)).body.entries as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    assert.deepEqual(audit.map((e) => e.action).sort(), [
      'user.created',
      'user.deleted',
      'user.disabled',
      'user.enabled',
      'user.role-changed',
    ]);
    assert.deepEqual(audit.find((e) => e.action === 'user.role-changed')!.detail, {
      username: 'bob',
      from: 'operator',
      to: 'viewer',
    });
  } finally {
    await rig.close();
  }
});
