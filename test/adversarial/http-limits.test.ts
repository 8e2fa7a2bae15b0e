/**
 * Named regressions of the HTTP findings (issue 13): H1 body limits, H2 lone surrogates → 400 (and the failed login
 * still audited), H3 ttl ranges, H4 deep nesting, H5 oversized inventories and the host list; N3 label overrides.
 * Real control plane with the fleet module (SQLite), real HTTP on loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { api, enroll } from '../support/control-plane.ts';
import { startFleet, type FleetRig } from '../integration/fleet-harness.ts';

let rig: FleetRig;
before(async () => {
  rig = await startFleet();
});
after(async () => {
  await rig?.close();
});

const post = (path: string, body: unknown, token: string | null = rig.t.adminToken) =>
  api(rig.t, 'POST', path, body, token);
/** A JSON text with a lone surrogate escape in it (what JSON.stringify writes for '\ud800'). */
const LONE = '\ud800';

async function newToken(labels: Record<string, string> = {}): Promise<string> {
  const r = await post('/api/tokens', { labels });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.token;
}

/** Streams `bytes` of a JSON string body with chunked encoding (no Content-Length) and returns status + body. */
function chunkedPost(path: string, bytes: number): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, rig.t.urls.httpUrl);
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET'
        ? undefined
        : reject(err),
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    req.write('{"username":"');
    pump();
  });
}

/** A POST on its own connection (no keep-alive): the server may answer 413 and close before the body is sent. */
function rawPost(path: string, body: string, token: string | null = null): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, rig.t.urls.httpUrl);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (token) headers['authorization'] = `Bearer ${token}`;
    const req = request(url, { method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET'
        ? undefined
        : reject(err),
    );
    req.end(body);
  });
}

describe('H1: request body limits', () => {
  it('login refuses a 1 MiB body with 413 naming the limit (declared length)', async () => {
    const r = await rawPost('/api/auth/login', JSON.stringify({ username: 'a', password: 'x'.repeat(1024 * 1024) }));
    assert.equal(r.status, 413);
    assert.equal(r.body.error, 'payload-too-large');
    assert.equal(r.body.limit, 65536);
    assert.match(r.body.message, /larger than 64 KiB/);
  });

  it('enroll refuses a chunked 8 MiB body at 64 KiB without reading it all', async () => {
    const before = process.memoryUsage().rss;
    const r = await chunkedPost('/api/enroll', 8 * 1024 * 1024);
    assert.equal(r.status, 413);
    assert.equal(r.body.limit, 65536);
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'the body was not buffered');
  });

  it('authenticated routes have a 2 MiB default', async () => {
    const r = await rawPost(
      '/api/policies',
      JSON.stringify({ name: 'big', source: 'x'.repeat(3 * 1024 * 1024) }),
      rig.t.adminToken,
    );
    assert.equal(r.status, 413);
    assert.equal(r.body.limit, 2 * 1024 * 1024);
  });
});

describe('H2: a lone surrogate anywhere is a 400, never a 500', () => {
  it('login: 400, and the failed login is audited', async () => {
    const r = await post('/api/auth/login', { username: `admin${LONE}`, password: 'whatever-password' }, null);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error, 'validation');
    assert.match(r.body.message, /username: string contains a lone UTF-16 surrogate/);
    const audit = await api(rig.t, 'GET', '/api/audit?action=auth.login-failed');
    assert.equal(audit.status, 200);
    assert.ok(JSON.stringify(audit.body).includes('invalid request'), JSON.stringify(audit.body));
  });

  for (const [path, body, field] of [
    ['/api/session', { username: LONE, password: 'x' }, 'username'],
    ['/api/api-tokens', { name: `t${LONE}` }, 'name'],
    ['/api/webhooks', { name: `w${LONE}`, url: 'http://127.0.0.1:9/x' }, 'name'],
    ['/api/policies', { name: 'p1', source: 'rules: []', comment: `c${LONE}` }, 'comment'],
    ['/api/tokens', { labels: { role: `db${LONE}` } }, 'labels.role'],
    ['/api/enroll', { token: 'het_x.y', hostname: `h${LONE}`, agentVersion: '1' }, 'hostname'],
    ['/api/enroll', { token: 'het_x.y', hostname: 'h', agentVersion: '1', inventory: { x: LONE } }, 'inventory.x'],
    ['/api/enroll', { token: 'het_x.y', hostname: 'h', agentVersion: '1', inventory: { [`k${LONE}`]: 1 } }, ''],
  ] as const) {
    it(`${path} ${field || 'nested'}: 400 naming the field`, async () => {
      const r = await post(path, body, path === '/api/enroll' || path === '/api/session' ? null : rig.t.adminToken);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.message, /lone UTF-16 surrogate/);
      if (field)
        assert.ok(
          r.body.issues.some((i: { path: string }) => i.path === field),
          JSON.stringify(r.body.issues),
        );
    });
  }

  it('a policy whose YAML decodes to a lone surrogate: 400', async () => {
    const source =
      'policies:\n  - name: restart-nginx\n    when: { service: "nginx\\ud800", for: 10s }\n' +
      '    do: [ { type: restart-service, service: nginx } ]\n';
    const r = await post('/api/policies', { name: 'p2', source });
    assert.equal(r.status, 400, JSON.stringify(r.body));
  });

  it('a NUL in a string that reaches the database is a 400 too', async () => {
    const r = await post('/api/api-tokens', { name: 'a\u0000b' });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /NUL/);
  });
});

describe('H3: token ttl is range-checked', () => {
  for (const ttl of [1e308, 9007199254740992, '99999999d', 0, '366d', -5]) {
    it(`ttl ${JSON.stringify(ttl)} → 400 naming the allowed range`, async () => {
      const r = await post('/api/tokens', { ttl });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.message, /ttl must be a duration from 1ms to 365d/);
    });
  }
  it('ttl 7d and 365d are fine', async () => {
    assert.equal((await post('/api/tokens', { ttl: '7d' })).status, 201);
    assert.equal((await post('/api/tokens', { ttl: '365d' })).status, 201);
  });
});

describe('H4/H5: inventories are bounded at enrollment; the host list carries none', () => {
  it('a 5,000-deep nested inventory → 400 (no stack overflow)', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const token = await newToken();
    const r = await post(
      '/api/enroll',
      `{"token":${JSON.stringify(token)},"hostname":"deep","agentVersion":"1","inventory":${deep}}`,
      null,
    );
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 500));
    assert.match(r.body.message, /nested deeper than/);
  });

  it('a 5 MB inventory is refused (413 at the unauthenticated body limit)', async () => {
    const token = await newToken();
    const r = await rawPost(
      '/api/enroll',
      JSON.stringify({ token, hostname: 'big', agentVersion: '1', inventory: { blob: 'x'.repeat(5_000_000) } }),
    );
    assert.equal(r.status, 413);
  });

  it('an inventory over 256 KiB in a small body is refused by the inventory bound', async () => {
    const token = await newToken();
    const inventory: Record<string, string> = {};
    for (let i = 0; i < 30_000; i++) inventory[`k${i}`] = '';
    const r = await rawPost('/api/enroll', JSON.stringify({ token, hostname: 'many', agentVersion: '1', inventory }));
    assert.ok(r.status === 400 || r.status === 413, String(r.status));
  });

  it('GET /api/hosts omits inventories; GET /api/hosts/:id has it', async () => {
    const token = await newToken();
    const e = await post(
      '/api/enroll',
      { token, hostname: 'inv', agentVersion: '1', inventory: { cpu: { cores: 4 } } },
      null,
    );
    assert.equal(e.status, 201);
    const list = await api(rig.t, 'GET', '/api/hosts');
    const row = list.body.hosts.find((h: { id: string }) => h.id === e.body.agentId);
    assert.equal(row.inventory, null);
    const one = await api(rig.t, 'GET', `/api/hosts/${e.body.agentId}`);
    assert.deepEqual(one.body.inventory, { cpu: { cores: 4 } });
  });
});

describe('N3: requested labels the token overrides are named in the answer', () => {
  it('token labels win on conflict and the response says which requested labels were overridden', async () => {
    const token = await newToken({ role: 'db', zone: 'a' });
    const r = await post(
      '/api/enroll',
      { token, hostname: 'lab', agentVersion: '1', labels: { role: 'web', zone: 'a', team: 'x' } },
      null,
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.labels, { role: 'db', zone: 'a', team: 'x' });
    assert.deepEqual(r.body.overriddenLabels, { role: { requested: 'web', applied: 'db' } });
    const plain = await enroll(rig.t, 'plain', { labels: { role: 'db' } });
    assert.equal((plain as { overriddenLabels?: unknown }).overriddenLabels, undefined);
  });
});
