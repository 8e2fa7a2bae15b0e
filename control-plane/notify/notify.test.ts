import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { backoffDelay, createWebhookSender, verifyWebhookSignature } from './webhook-sender.ts';
import { incidentPayload } from './alertmanager.ts';
import type { Incident } from '../correlate/incident.ts';

test('retries 5xx with jittered exponential backoff, stops on 4xx, succeeds on 2xx — against a real HTTP server', async () => {
  const statuses = [503, 500, 200];
  const bodies: string[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      bodies.push(b);
      res.writeHead(statuses.shift() ?? 400).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  const sleeps: number[] = [];
  const send = createWebhookSender({
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    baseMs: 1000,
    capMs: 60_000,
  });
  try {
    assert.deepEqual(await send(url, { a: 1 }), { url, delivered: true, attempts: 3, status: 200, error: null });
    assert.deepEqual(sleeps, [500, 1000]);
    assert.deepEqual(bodies, ['{"a":1}', '{"a":1}', '{"a":1}']);
    assert.deepEqual(await send(url, { a: 2 }), { url, delivered: false, attempts: 1, status: 400, error: 'HTTP 400' });
  } finally {
    await new Promise((r) => srv.close(r));
  }
  assert.equal(
    backoffDelay(10, 1000, 60_000, () => 0.999),
    59_940,
  );
});

test('a webhook with a secret gets signed deliveries (HMAC-SHA256 over timestamp.body); without one, none', async () => {
  const seen: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: b });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  const send = createWebhookSender({ now: () => 1_767_000_000_500 });
  try {
    assert.equal((await send(url, { alert: 'rack r1' }, 'whsec_test')).delivered, true);
    assert.equal((await send(url, { alert: 'rack r1' })).delivered, true);
  } finally {
    await new Promise((r) => srv.close(r));
  }
  const [signed, plain] = seen;
  const expected = `sha256=${createHmac('sha256', 'whsec_test').update('1767000000.{"alert":"rack r1"}').digest('hex')}`;
  assert.deepEqual(
    [signed!.headers['x-homeostat-timestamp'], signed!.headers['x-homeostat-signature']],
    ['1767000000', expected],
  );
  assert.deepEqual(
    [plain!.headers['x-homeostat-timestamp'], plain!.headers['x-homeostat-signature']],
    [undefined, undefined],
  );
  const h = { signature: expected, timestamp: '1767000000' };
  assert.equal(verifyWebhookSignature('whsec_test', h, signed!.body, 1_767_000_100), true);
  assert.equal(verifyWebhookSignature('whsec_other', h, signed!.body, 1_767_000_100), false, 'wrong secret');
  assert.equal(
    verifyWebhookSignature('whsec_test', h, signed!.body.replace('r1', 'r2'), 1_767_000_100),
    false,
    'tampered body',
  );
  assert.equal(verifyWebhookSignature('whsec_test', h, signed!.body, 1_767_000_301), false, 'replayed after 5 minutes');
  assert.equal(
    verifyWebhookSignature('whsec_test', { signature: null, timestamp: null }, signed!.body, 1_767_000_100),
    false,
  );
});

test('incident payloads follow the Alertmanager webhook format (version 4)', () => {
  const inc = {
    id: 'inc-1',
    status: 'resolved',
    scope: 'group',
    key: 'rack',
    value: 'r7',
    severity: 'warning',
    hosts: ['a', 'b'],
    signatures: ['anomaly.detected:temp'],
    eventCount: 9,
    eventIds: [],
    firstEventAt: 0,
    openedAt: Date.UTC(2026, 0, 1),
    updatedAt: 0,
    lastEventAt: 0,
    resolvedAt: Date.UTC(2026, 0, 1, 1),
    mergedInto: null,
    suppressed: false,
    hint: { explanation: '2 of 2 hosts …' },
    acknowledged: null,
    notes: [],
    title: 'temp on 2 hosts with rack=r7',
  } as unknown as Incident;
  const p = incidentPayload(inc, { receiver: 'ops', externalURL: 'https://cp.example' });
  assert.equal(p.version, '4');
  assert.equal(p.status, 'resolved');
  assert.equal(p.groupKey, '{}:{incident="inc-1"}');
  assert.deepEqual(p.alerts[0]!.labels, {
    alertname: 'HomeostatIncident',
    incident: 'inc-1',
    severity: 'warning',
    scope: 'group',
    cause_rack: 'r7',
  });
  assert.equal(p.alerts[0]!.startsAt, '2026-01-01T00:00:00.000Z');
  assert.equal(p.alerts[0]!.endsAt, '2026-01-01T01:00:00.000Z');
  assert.equal(p.alerts[0]!.generatorURL, 'https://cp.example/incidents/inc-1');
});

test('a retry signs with the secret current at that attempt (a rotation between attempts takes effect at once)', async () => {
  const seen: (string | undefined)[] = [];
  const srv = createServer((req, res) => {
    seen.push(req.headers['x-homeostat-signature'] as string | undefined);
    req.resume();
    req.on('end', () => res.writeHead(seen.length === 1 ? 503 : 204).end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  let current = 'whsec_old';
  const send = createWebhookSender({
    now: () => 1_767_000_000_000,
    sleep: async () => {
      current = 'whsec_new';
    },
  });
  try {
    assert.deepEqual((await send(url, { a: 1 }, async () => current)).attempts, 2);
  } finally {
    await new Promise((r) => srv.close(r));
  }
  const sig = (secret: string) => `sha256=${createHmac('sha256', secret).update('1767000000.{"a":1}').digest('hex')}`;
  assert.deepEqual(seen, [sig('whsec_old'), sig('whsec_new')]);
});
