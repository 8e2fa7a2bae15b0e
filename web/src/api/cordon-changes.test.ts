import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CordonEvent } from '../../../contract/api/stream.ts';
import { cordonChangeOf, createCordonChanges } from './cordon-changes.ts';

const at = '2026-12-06T05:10:00.000Z';
const cordon = { at, by: 'oper', source: 'user' as const, reason: 'disk swap at 14:00' };
const event = (cordoned: boolean, ts: number): CordonEvent => ({
  type: 'cordon',
  hostId: 'h1',
  cordoned,
  source: cordoned ? 'user' : null,
  by: cordoned ? 'oper' : null,
  reason: cordoned ? 'disk swap at 14:00' : null,
  ts,
});

test('a host-list row reads as the cordon change it shows, timed at its cordon or when the list was read', () => {
  assert.deepEqual(cordonChangeOf({ id: 'h1', cordon }, 99), { ...event(true, Date.parse(at)) });
  assert.deepEqual(cordonChangeOf({ id: 'h1', cordon: null }, 99), event(false, 99));
});

test('a cordon the stream did not deliver (its stream was not open) is told by the next host list, once', () => {
  const c = createCordonChanges();
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon: null }, 1), 'list'), false, 'first list: takes stock');
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon: null }, 2), 'list'), false);
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon }, 3), 'list'), true, 'missed by the stream: the list');
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon }, 4), 'list'), false);
  assert.equal(c.changed(event(true, 5), 'stream'), false, 'the late stream event adds nothing');
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon: null }, 6), 'list'), true, 'uncordoned, from the list');
});

test('a change the stream told first is not told again by the host list', () => {
  const c = createCordonChanges();
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon: null }, 1), 'list'), false);
  assert.equal(c.changed(event(true, 2), 'stream'), true);
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon }, 3), 'list'), false);
  assert.equal(c.changed(event(false, 4), 'stream'), true);
  assert.equal(c.changed(cordonChangeOf({ id: 'h1', cordon: null }, 5), 'list'), false);
  // a host the page had no word on yet: the stream's event is news, the list's first word is not
  assert.equal(c.changed({ ...event(true, 6), hostId: 'h2' }, 'stream'), true);
  assert.equal(c.changed(cordonChangeOf({ id: 'h3', cordon }, 7), 'list'), false);
  // cordoned again by someone else for another reason between two looks: a change
  assert.equal(c.changed(cordonChangeOf({ id: 'h3', cordon: { ...cordon, by: 'olga' } }, 8), 'list'), true);
});
