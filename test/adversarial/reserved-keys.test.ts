/**
 * M4 (issue 13): a key JavaScript treats specially (`__proto__`, `constructor`, `prototype`) used as a name — a
 * feature, a collector, a label key — is refused with an error naming it as reserved, on MQTT and on HTTP, instead of
 * vanishing from the parsed object without a word. Raw JSON text throughout: an object literal `{ __proto__: 1 }`
 * would set a prototype, not a key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Sample, TelemetryMessage } from '../../contract/protocol/payloads.ts';
import { agentTopic } from '../../contract/protocol/index.ts';
import { selectorSchema } from '../../contract/policy/selector.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.ts';

const sampleText = (seq: number, features: string, collectors = '{"proc":"ok"}') =>
  `{"seq":${seq},"ts":${1_700_000_000_000 + seq},"schema":"host-v1","features":${features},"collectors":${collectors}}`;

describe('M4: reserved names are refused by name (schemas)', () => {
  for (const name of ['__proto__', 'constructor', 'prototype'])
    it(`a feature named ${name}`, () => {
      const r = Sample.safeParse(JSON.parse(sampleText(1, `{"${name}":1,"cpu.util":2}`)));
      assert.equal(r.success, false, `${name} was accepted`);
      assert.match(
        r.error!.issues.map((i) => i.message).join('; '),
        new RegExp(`'${name}' is a reserved feature name`),
      );
    });
  it('a collector named __proto__, a selector label key named constructor', () => {
    const s = Sample.safeParse(JSON.parse(sampleText(1, '{"cpu.util":2}', '{"__proto__":"ok"}')));
    assert.match(s.error!.issues[0]!.message, /'__proto__' is a reserved collector name/);
    const sel = selectorSchema.safeParse(JSON.parse('{"matchLabels":{"constructor":"x"}}'));
    assert.match(sel.error!.issues[0]!.message, /'constructor' is a reserved label key/);
  });
  it('ordinary names still pass, unchanged', () => {
    const r = TelemetryMessage.parse(JSON.parse(`{"v":1,"samples":[${sampleText(1, '{"proto":1,"cpu.util":2}')}]}`));
    assert.deepEqual(r.samples[0]!.features, { proto: 1, 'cpu.util': 2 });
  });
});

describe('M4: reserved names at the boundaries', () => {
  let t: TestControlPlane;
  before(async () => {
    t = await startTestControlPlane();
  });
  after(() => t.close());

  it('MQTT: a sample with a __proto__ feature is acked as refused with the reason; the next one is stored', async () => {
    const e = await enroll(t, 'm4-host');
    const c = await connectAgent(e.mqttUrl, e.agentId, e.secret);
    try {
      const cmds = await collectCommands(c, e.agentId);
      const topic = agentTopic(e.agentId, 'telemetry');
      await c.publishAsync(topic, `{"v":1,"samples":[${sampleText(1, '{"__proto__":5,"cpu.util":1}')}]}`, { qos: 1 });
      await c.publishAsync(topic, `{"v":1,"samples":[${sampleText(2, '{"cpu.util":1}')}]}`, { qos: 1 });
      const refused = new Map<number, string>();
      const acked = new Set<number>();
      while (acked.size < 2) {
        const ack = await cmds.next((x) => x.type === 'ack', 60_000);
        for (const [a, b] of ack.ranges) for (let s = a; s <= b; s++) acked.add(s);
        for (const r of ack.rejected ?? []) refused.set(r.seq, r.reason);
      }
      assert.deepEqual([...refused.keys()], [1]);
      assert.match(refused.get(1)!, /'__proto__' is a reserved feature name/);
      const stored = await api(t, 'GET', `/api/hosts/${e.agentId}/samples?order=asc`);
      assert.deepEqual(
        stored.body.samples.map((s: { seq: number }) => s.seq),
        [2],
      );
    } finally {
      await c.endAsync();
    }
  });

  it('HTTP: a token label key __proto__ is a 400 naming it as reserved', async () => {
    const r = await api(t, 'POST', '/api/tokens', '{"labels":{"__proto__":"x","rack":"r1"}}');
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), /'__proto__' is a reserved label key/);
  });
});
