// The broker port's contract (test/support/broker-contract.ts) against both adapters: the embedded Aedes broker and
// an external Mosquitto 2 with its dynamic-security plugin managed by the control plane (a private mosquitto per
// suite: temp dir, own port; skipped when mosquitto or the plugin is not installed).
import { after, before, describe } from 'node:test';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
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
  before(async () => {
    m = await startMosquitto();
    t = await startTestControlPlane({
      broker: { mode: 'external', url: m.url, username: m.admin.username, password: m.admin.password, dynsec: true },
    });
  });
  after(async () => {
    await t?.close();
    await m?.stop();
  });
  brokerContract(() => t);
});
