/**
 * The broker port's contract, one suite for every adapter (embedded Aedes, external Mosquitto with dynamic security):
 * what agents may and may not do is the same whichever broker enforces it. `setup` starts a control plane whose
 * enrollment answers carry the URL agents connect to.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { agentTopic, commandTopic } from '../../contract/protocol/index.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  eventually,
  telemetry,
  type TestControlPlane,
} from './control-plane.ts';

const seqsOf = async (t: TestControlPlane, agentId: string): Promise<number[]> => {
  const r = await api(t, 'GET', `/api/hosts/${agentId}/samples?order=asc`);
  return r.body.samples.map((s: { seq: number }) => s.seq);
};

/** Registers the suite's tests; `current()` is the control plane of the running test (set up by the caller). */
export function brokerContract(current: () => TestControlPlane): void {
  it('an enrolled agent streams and gets acks after commit', async () => {
    const t = current();
    const a = await enroll(t, 'contract-1');
    const c = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    try {
      const cmds = await collectCommands(c, a.agentId);
      await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([1, 2, 3]), { qos: 1 });
      assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[1, 3]] });
      await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([3, 4]), { qos: 1 });
      assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[3, 4]] });
      assert.deepEqual(await seqsOf(t, a.agentId), [1, 2, 3, 4]);
    } finally {
      await c.endAsync();
    }
  });

  it('wrong secret and a client id other than the agent id are refused', async () => {
    const t = current();
    const a = await enroll(t, 'contract-2');
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, `${a.secret}x`));
    await assert.rejects(
      connectAgent(a.mqttUrl, a.agentId, a.secret, { clientId: `other-${randomBytes(3).toString('hex')}` }),
    );
  });

  it("another agent's topics: publish is never stored, command and wildcard subscriptions are refused", async () => {
    const t = current();
    const a = await enroll(t, 'contract-3a');
    const victim = await enroll(t, 'contract-3b');
    const c = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    try {
      const refused = async (filter: string) => {
        const granted = await c.subscribeAsync(filter, { qos: 1 }).catch(() => [{ qos: 128 }]);
        return granted.every((g) => g.qos >= 128);
      };
      assert.equal(await refused(commandTopic(victim.agentId)), true, 'foreign command topic');
      assert.equal(await refused('#'), true, '#');
      assert.equal(await refused('homeostat/v1/agents/+/telemetry'), true, 'agents wildcard');
      assert.equal(await refused('$SYS/#'), true, '$SYS');
      assert.equal(await refused(commandTopic(a.agentId)), false, 'own command topic');
      assert.equal(await refused('homeostat/v1/fleet/#'), false, 'fleet broadcast');
      // The embedded broker disconnects a foreign publisher; Mosquitto drops the message. Neither stores it.
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      await Promise.race([
        c.publishAsync(agentTopic(victim.agentId, 'telemetry'), telemetry([7]), { qos: 1 }).catch(() => undefined),
        closed,
      ]);
    } finally {
      await c.endAsync(true);
    }
    // Its own stream still arrives (the foreign message, had it passed, would be committed first: same queue).
    const again = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    try {
      const cmds = await collectCommands(again, a.agentId);
      await again.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([1]), { qos: 1 });
      await cmds.next((x) => x.type === 'ack');
    } finally {
      await again.endAsync();
    }
    assert.deepEqual(await seqsOf(t, victim.agentId), []);
  });

  it('revocation ends the live session and the broker refuses the agent afterwards', async () => {
    const t = current();
    const a = await enroll(t, 'contract-4');
    const c = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    let closed = false;
    c.on('close', () => {
      closed = true;
    });
    const r = await api(t, 'POST', `/api/hosts/${a.agentId}/revoke`);
    assert.ok(r.status === 200 || r.status === 204, `revoke: ${r.status} ${JSON.stringify(r.body)}`);
    await eventually(async () => closed, 10_000);
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, a.secret));
    c.end(true);
  });
}
