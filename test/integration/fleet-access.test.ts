import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTE_ROLES, type Access } from '../../control-plane/access/route-table.ts';
import { roleAtLeast, type Role } from '../../control-plane/access/roles.ts';
import { api, startAgent, startFleet } from './fleet-harness.ts';

type Caller = { name: string; kind: 'anonymous' | 'agent' | Role; headers: () => Record<string, string> };

test('authorization matrix: every route × admin, operator, viewer (token and session), agent, unauthenticated', async () => {
  const rig = await startFleet();
  const agent = await startAgent(rig, 'matrix-1', { rack: 'r1' });
  try {
    const users: Record<string, string> = {};
    for (const role of ['operator', 'viewer'] as const) {
      const u = await api(rig.t, 'POST', '/api/users', {
        username: `${role}-user`,
        password: `${role}-password-123`,
        role,
      });
      assert.equal(u.status, 201);
      const tok = await api(rig.t, 'POST', `/api/users/${u.body.id}/tokens`, { name: 'ci', role });
      assert.equal(tok.status, 201);
      users[role] = tok.body.token;
    }
    const base = rig.t.urls.httpUrl;
    const login = async () => {
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'operator-user', password: 'operator-password-123' }),
      });
      assert.equal(res.status, 200);
      const cookie = res.headers.get('set-cookie')!;
      assert.match(cookie, /^homeostat_session=[^;]+;.*HttpOnly/i);
      assert.match(cookie, /SameSite=Strict/i);
      return cookie.split(';')[0]!;
    };
    let session = await login();
    const basic = `Basic ${Buffer.from(`${agent.agentId}:${agent.secret}`).toString('base64')}`;
    const callers: Caller[] = [
      { name: 'admin token', kind: 'admin', headers: () => ({ authorization: `Bearer ${rig.t.adminToken}` }) },
      { name: 'operator token', kind: 'operator', headers: () => ({ authorization: `Bearer ${users['operator']}` }) },
      { name: 'viewer token', kind: 'viewer', headers: () => ({ authorization: `Bearer ${users['viewer']}` }) },
      { name: 'operator session', kind: 'operator', headers: () => ({ cookie: session }) },
      { name: 'agent', kind: 'agent', headers: () => ({ authorization: basic }) },
      { name: 'unauthenticated', kind: 'anonymous', headers: () => ({}) },
    ];
    const allowed = (c: Caller, access: Access) => {
      if (access === 'public') return true;
      if (c.kind === 'anonymous') return false;
      if (access === 'agent') return c.kind === 'agent' || c.kind === 'admin';
      return c.kind !== 'agent' && roleAtLeast(c.kind, access);
    };
    const failures: string[] = [];
    let checked = 0;
    for (const [method, pattern, access] of [...ROUTE_ROLES, ['GET', '/api/no-such-route', 'admin'] as const]) {
      const path = pattern.replace(/:version/g, '1').replace(/:[A-Za-z]+/g, 'x-none');
      for (const c of callers) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { ...c.headers(), ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
          ...(method !== 'GET' ? { body: '{}' } : {}),
        });
        await res.arrayBuffer();
        checked++;
        const expect = allowed(c, access) ? 'allowed' : c.kind === 'anonymous' ? 401 : 403;
        const ok = expect === 'allowed' ? res.status !== 401 && res.status !== 403 : res.status === expect;
        if (!ok) failures.push(`${method} ${pattern} as ${c.name}: got ${res.status}, expected ${expect}`);
        if (
          (pattern === '/api/auth/logout' || (pattern === '/api/session' && method === 'DELETE')) &&
          c.name === 'operator session'
        )
          session = await login();
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(checked, (ROUTE_ROLES.length + 1) * callers.length);
    // Denials carry the role and what was needed.
    const denied = await api(rig.t, 'POST', '/api/policies', { name: 'x', source: 'policies: []' }, users['viewer']!);
    assert.deepEqual([denied.status, denied.body.role, denied.body.needed], [403, 'viewer', 'operator']);
    // Logout ends the session.
    await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: session } });
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { cookie: session } })).status, 401);
    // Disabled users lose their tokens' access too.
    const viewer = (await api(rig.t, 'GET', '/api/users')).body.users.find(
      (u: { username: string }) => u.username === 'viewer-user',
    );
    await api(rig.t, 'PATCH', `/api/users/${viewer.id}`, { disabled: true });
    assert.equal((await api(rig.t, 'GET', '/api/hosts', undefined, users['viewer']!)).status, 401);
  } finally {
    await agent.close();
    await rig.close();
  }
});

test('a state-changing request is audited with its fields (secrets masked) and, on a host route, the host name', async () => {
  const rig = await startFleet();
  try {
    const a = await startAgent(rig, 'db-audit-7', { role: 'db' });
    const cordon = await api(rig.t, 'POST', `/api/hosts/${a.agentId}/cordon`, { reason: 'replacing disk_3 tonight' });
    assert.ok(cordon.status < 300, JSON.stringify(cordon.body));
    const byName = await api(rig.t, 'GET', '/api/audit?q=db-audit-7');
    const entry = byName.body.entries.find((e: { action: string }) => e.action.includes('cordon'));
    assert.ok(entry, JSON.stringify(byName.body.entries));
    assert.equal(entry.detail.hostname, 'db-audit-7');
    assert.equal(entry.detail.reason, 'replacing disk_3 tonight');
    const byReason = await api(rig.t, 'GET', '/api/audit?q=disk_3%20tonight');
    assert.ok(byReason.body.entries.some((e: { id: string }) => e.id === entry.id));

    const user = await api(rig.t, 'POST', '/api/users', {
      username: 'eve',
      password: 'eve-password-1',
      role: 'viewer',
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const created = (await api(rig.t, 'GET', '/api/audit?q=eve')).body.entries.find(
      (e: { action: string }) => e.action === 'POST /api/users',
    );
    assert.equal(created.detail.username, 'eve');
    assert.equal(created.detail.password, '***');
    assert.equal(JSON.stringify((await api(rig.t, 'GET', '/api/audit')).body).includes('eve-password-1'), false);
  } finally {
    await rig.close();
  }
});
