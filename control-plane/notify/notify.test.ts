import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffDelay, createWebhookSender } from './webhook-sender.ts';
import { incidentPayload } from './alertmanager.ts';
import type { Incident } from '../correlate/incident.ts';

test('retries 5xx with jittered exponential backoff, stops on 4xx, succeeds on 2xx — against a real HTTP server', async () => {
  const statuses = [503, 500, 200];
  const bodies: string[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => { bodies.push(b); res.writeHead(statuses.shift() ?? 400).end(); });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  const sleeps: number[] = [];
  const send = createWebhookSender({ sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5, baseMs: 1000, capMs: 60_000 });
  try {
    assert.deepEqual(await send(url, { a: 1 }), { url, delivered: true, attempts: 3, status: 200, error: null });
    assert.deepEqual(sleeps, [500, 1000]);
    assert.deepEqual(bodies, ['{"a":1}', '{"a":1}', '{"a":1}']);
    assert.deepEqual(await send(url, { a: 2 }), { url, delivered: false, attempts: 1, status: 400, error: 'HTTP 400' });
  } finally {
    await new Promise((r) => srv.close(r));
  }
  assert.equal(backoffDelay(10, 1000, 60_000, () => 0.999), 59_940);
});

test('incident payloads follow the Alertmanager webhook format (version 4)', () => {
  const inc = { id: 'inc-1', status: 'resolved', scope: 'group', key: 'rack', value: 'r7', severity: 'warning', hosts: ['a', 'b'], signatures: ['anomaly.detected:temp'],
    eventCount: 9, eventIds: [], firstEventAt: 0, openedAt: Date.UTC(2026, 0, 1), updatedAt: 0, lastEventAt: 0, resolvedAt: Date.UTC(2026, 0, 1, 1), mergedInto: null, suppressed: false,
    hint: { explanation: '2 of 2 hosts …' }, acknowledged: null, notes: [], title: 'temp on 2 hosts with rack=r7' } as unknown as Incident;
  const p = incidentPayload(inc, { receiver: 'ops', externalURL: 'https://cp.example' });
  assert.equal(p.version, '4');
  assert.equal(p.status, 'resolved');
  assert.equal(p.groupKey, '{}:{incident="inc-1"}');
  assert.deepEqual(p.alerts[0]!.labels, { alertname: 'HomeostatIncident', incident: 'inc-1', severity: 'warning', scope: 'group', cause_rack: 'r7' });
  assert.equal(p.alerts[0]!.startsAt, '2026-01-01T00:00:00.000Z');
  assert.equal(p.alerts[0]!.endsAt, '2026-01-01T01:00:00.000Z');
  assert.equal(p.alerts[0]!.generatorURL, 'https://cp.example/incidents/inc-1');
});
