import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../control-plane/notify/webhook-sender.ts';
import { api, startFleet } from './fleet-harness.ts';

/** A receiver answering `status.code`, recording bodies and signature headers. */
async function receiver(status: { code: number }) {
  const got: { body: string; signature: string | null; timestamp: string | null }[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      got.push({
        body: b,
        signature: (req.headers['x-homeostat-signature'] as string | undefined) ?? null,
        timestamp: (req.headers['x-homeostat-timestamp'] as string | undefined) ?? null,
      });
      res.writeHead(status.code).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  return { got, url, close: () => new Promise((r) => srv.close(r)) };
}

test('send test delivery: one real signed POST, its status and latency; a 503 and a refused connection are reported, not retried; audited; admin only', async () => {
  const rig = await startFleet();
  const status = { code: 200 };
  const hook = await receiver(status);
  try {
    const created = (await api(rig.t, 'POST', '/api/webhooks', { name: 'chat', url: hook.url })).body;
    const ok = await api(rig.t, 'POST', `/api/webhooks/${created.id}/test`);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      [ok.body.webhook, ok.body.delivered, ok.body.status, ok.body.error],
      [created.id, true, 200, null],
    );
    assert.ok(ok.body.latencyMs >= 0 && ok.body.latencyMs < 10_000, `latency ${ok.body.latencyMs}`);
    assert.equal(hook.got.length, 1);
    const payload = JSON.parse(hook.got[0]!.body);
    assert.deepEqual(
      [payload.version, payload.status, payload.alerts[0].labels.alertname],
      ['4', 'resolved', 'HomeostatTestDelivery'],
    );
    assert.ok(verifyWebhookSignature(created.secret, hook.got[0]!, hook.got[0]!.body, Math.floor(Date.now() / 1000)));

    status.code = 503;
    const failed = await api(rig.t, 'POST', `/api/webhooks/${created.id}/test`);
    assert.deepEqual(
      [failed.status, failed.body.delivered, failed.body.status, failed.body.error],
      [200, false, 503, 'HTTP 503'],
    );
    assert.equal(hook.got.length, 2, 'one attempt, no retries');

    const closed = await receiver(status);
    await closed.close();
    const gone = (await api(rig.t, 'POST', '/api/webhooks', { name: 'gone', url: closed.url })).body;
    const refused = await api(rig.t, 'POST', `/api/webhooks/${gone.id}/test`);
    assert.deepEqual([refused.body.delivered, refused.body.status], [false, null]);
    assert.match(refused.body.error, /fetch failed|ECONNREFUSED/);

    const missing = await api(rig.t, 'POST', '/api/webhooks/wh-nope/test');
    assert.deepEqual([missing.status, missing.body.error], [404, 'not-found']);

    const u = await api(rig.t, 'POST', '/api/users', { username: 'op', password: 'op-password-123', role: 'operator' });
    const tok = await api(rig.t, 'POST', `/api/users/${u.body.id}/tokens`, { name: 'ci', role: 'operator' });
    const denied = await api(rig.t, 'POST', `/api/webhooks/${created.id}/test`, undefined, tok.body.token);
    assert.equal(denied.status, 403);
    assert.equal(hook.got.length, 2);

    const audit = (await api(rig.t, 'GET', '/api/audit?action=webhook.tested')).body.entries;
    assert.equal(audit.length, 3);
    const rows = audit.map(
      (e: { target: string; detail: { status: number | null } }) => `${e.target} ${e.detail.status}`,
    );
    assert.deepEqual(rows.sort(), [`${created.id} 200`, `${created.id} 503`, `${gone.id} null`].sort());
  } finally {
    await hook.close();
    await rig.close();
  }
});
