// The broker port's contract (test/support/broker-contract.ts) against both adapters: the embedded Aedes broker and
// an external Mosquitto 2 with its dynamic-security plugin managed by the control plane (a private mosquitto per
// suite: temp dir, own port; skipped when mosquitto or the plugin is not installed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DYNSEC_TOPIC } from '../../control-plane/broker/dynsec.ts';
import { api, connectAgent, enroll, startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { mosquittoSkipReason, startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';
import { brokerContract } from '../support/broker-contract.ts';

describe('broker contract: embedded (Aedes)', () => {
  let t: TestControlPlane;
  before(async () => {
    t = await startTestControlPlane();
  });
  after(() => t.close());
  brokerContract(() => t);
});

describe('broker contract: external (Mosquitto 2, dynamic security)', { skip: mosquittoSkipReason }, () => {
  let m: TestMosquitto;
  let t: TestControlPlane;
  // the store outlives a control plane's restart (the reconciliation test below)
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-cp-external-'));
  const start = () =>
    startTestControlPlane({
      dataDir,
      broker: { mode: 'external', url: m.url, username: m.admin.username, password: m.admin.password, dynsec: true },
    });
  before(async () => {
    m = await startMosquitto();
    t = await start();
  });
  after(async () => {
    await t?.close();
    await m?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  brokerContract(() => t);

  it('a revocation that never reached Mosquitto takes effect when the control plane (re)connects', async () => {
    const a = await enroll(t, 'reconcile-1');
    const r = await api(t, 'POST', `/api/hosts/${a.agentId}/revoke`);
    assert.ok(r.status === 200 || r.status === 204, `revoke: ${r.status}`);
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, a.secret));
    // As if the disable had been lost (the broker was down at the revocation): the client is enabled again.
    const admin = await mqtt.connectAsync(m.url, { ...m.admin, reconnectPeriod: 0 });
    await admin.publishAsync(
      DYNSEC_TOPIC,
      JSON.stringify({ commands: [{ command: 'enableClient', username: a.agentId }] }),
      { qos: 1 },
    );
    await admin.endAsync();
    (await connectAgent(a.mqttUrl, a.agentId, a.secret)).end(true);
    // A control plane starting on the same store disables every revoked agent's client before it ingests.
    await t.close();
    t = await start();
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, a.secret));
  });
});
