import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECISION_KINDS, EVENT_KINDS, OUTCOME_EVENT, agentEvent, decisionEventKind, readEvent } from './events.ts';

test('every decision kind and action outcome is a catalogue kind', () => {
  for (const k of DECISION_KINDS) assert.ok(EVENT_KINDS.has(decisionEventKind(k)), k);
  for (const k of Object.values(OUTCOME_EVENT)) assert.ok(EVENT_KINDS.has(k), k);
});

test('a known kind with typed data parses; extra fields from a newer agent are kept', () => {
  const e = agentEvent('heal.approval-requested', {
    ts: 1,
    severity: 'warning',
    message: 'm',
    data: { policy: 'p', requestId: 'r1', extra: 1 },
  });
  const r = readEvent(e);
  assert.ok(r.ok);
  assert.equal(r.event.type, 'heal.approval-requested');
  if (r.event.type === 'heal.approval-requested') {
    assert.equal(r.event.data.requestId, 'r1');
    assert.equal(r.event.data['extra'], 1);
  }
});

test('malformed data is refused with a message naming the kind and the field', () => {
  const r = readEvent({ type: 'heal.approval-requested', data: { policy: 'p' } });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.problem === 'malformed');
  assert.match(!r.ok ? r.message : '', /^heal\.approval-requested: data\.requestId: /);
  const o = readEvent({ type: 'outbox.dropped', data: { count: -1, fromSeq: 1, toSeq: 2, bytes: 'x' } });
  assert.match(!o.ok ? o.message : '', /data\.count: .*; data\.bytes: /);
  const e = readEvent({ type: 'heal.execute', data: { policy: 'p' } });
  assert.match(!e.ok ? e.message : '', /data\.actions/);
});

test('an unknown kind (a newer agent) is reported as such, not thrown', () => {
  const r = readEvent({ type: 'heal.teleported', data: { anything: true } });
  assert.deepEqual(r, {
    ok: false,
    type: 'heal.teleported',
    problem: 'unknown-kind',
    message: 'heal.teleported: not in event catalogue v1',
  });
});
