/**
 * Issue 13: a secret rotation sent to an online agent in the moment between its broker connection and its command
 * subscription. The command reaches the broker while nobody is subscribed to the agent's topic (clean session, QoS 1)
 * and is lost. The window is made deterministic, not hoped for: a real control plane (its real broker: the embedded
 * Aedes, and Mosquitto 2 with dynamic security) and a real agent link whose SUBSCRIBE is held back until the
 * rotation request has been answered, i.e. until the control plane's publish was accepted by the broker.
 *
 * The rotation must still complete: the agent's presence, published once it is subscribed, names its old secret, so
 * the control plane sends the (same) secret again; the agent stores it and reconnects; the rotation completes; the old
 * secret is refused from then on and the new one works. Until then the old secret keeps working in both brokers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { type Credentials, saveCredentials } from '../../agent/enroll/credentials.ts';
import { createSecretRotationHandler } from '../../agent/fleet/secret-rotation.ts';
import { createLink, type Link } from '../../agent/link/mqtt-link.ts';
import { openSqliteOutbox } from '../../agent/link/outbox/sqlite-store.ts';
import { verifySecret } from '../../control-plane/keys/secrets.ts';
import type { ControlPlaneOptions } from '../../control-plane/server.ts';
import {
  api,
  connectAgent,
  enroll,
  eventually,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.ts';
import { mosquittoSkipReason, startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';

/** A gate the agent's SUBSCRIBE waits at; everything else about its connection is the real client. */
function subscribeGate() {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let connected = (): void => {};
  const firstConnect = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const connect = (url: string, options: IClientOptions): MqttClient => {
    const c = mqtt.connect(url, options);
    c.once('connect', () => connected());
    const subscribe = c.subscribe.bind(c);
    // Held until the test opens the gate: the client is connected (CONNACK) but not subscribed meanwhile.
    c.subscribe = ((...args: Parameters<typeof subscribe>) => {
      void opened.then(() => subscribe(...args));
      return c;
    }) as typeof c.subscribe;
    return c;
  };
  return { connect, open, firstConnect };
}

function raceSuite(name: string, options: () => ControlPlaneOptions, externalPresence: boolean) {
  describe(`secret rotation lost between connect and subscribe: ${name}`, () => {
    let t: TestControlPlane;
    let link: Link | null = null;
    const dir = mkdtempSync(join(tmpdir(), 'hs-rotate-race-'));

    before(async () => {
      t = await startTestControlPlane(options());
    });
    after(async () => {
      await link?.stop();
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('completes: the presence after the subscription brings the same secret again', async () => {
      const enrolled = await enroll(t, 'race-1');
      const { agentId } = enrolled;
      const old = enrolled.secret;
      const credentials: Credentials = {
        agentId,
        secret: old,
        server: t.urls.httpUrl,
        mqttUrl: enrolled.mqttUrl,
        publicKey: enrolled.publicKey,
        labels: {},
        hostname: 'race-1',
        enrolledAt: Date.now(),
      };
      saveCredentials(dir, credentials);
      const rotate = createSecretRotationHandler({
        credentials,
        stateDir: dir,
        reconnectWith: (secret, previous) => link?.rotateSecret(secret, previous),
      });
      const gate = subscribeGate();
      const l = createLink({
        agentId,
        secret: old,
        mqttUrl: enrolled.mqttUrl,
        agentVersion: '0.1.0',
        outbox: openSqliteOutbox(join(dir, 'outbox.db'), {
          maxBytes: 1 << 20,
          maxRecords: 1000,
          synchronous: 'normal',
        }),
        logger: pino({ level: 'silent' }),
        backoff: { baseMs: 50, capMs: 500 },
        connectTimeoutMs: 5000,
        connect: gate.connect,
        handlers: {
          'rotate-secret': (cmd) => {
            const refused = rotate(cmd);
            if (refused) throw new Error(`secret rotation refused: ${refused}`);
          },
        },
      });
      link = l;
      l.start();
      await gate.firstConnect;
      if (externalPresence)
        // Mosquitto tells the control plane nothing at CONNECT: it still sees the agent online from its previous
        // session (whose will has not come in yet), which is the state the race needs.
        await t.cp.store.hosts.setPresence(agentId, true, new Date());
      // the embedded broker marks the agent online at CONNECT, before its subscription
      await eventually(async () => (await t.cp.store.hosts.get(agentId))?.online, 20_000);

      const r = await api(t, 'POST', `/api/hosts/${agentId}/rotate-secret`);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.online, true, 'sent at once: the control plane sees the agent online');
      // Answered: the command is at the broker, and nobody was subscribed to the agent's topic.
      const pending = (await t.cp.store.hosts.credential(agentId))!.pendingSecretHash;
      assert.ok(pending, 'pending beside the current secret');
      assert.equal(credentials.secret, old, 'the command did not reach the agent');
      // From here the old secret must keep working until the agent holds the new one: with dynamic security the
      // agent's first connection with the new secret is refused (the broker still has the old password) and it
      // goes on with the old one, whose presence then names the new secret.
      gate.open();

      await eventually(async () => (credentials.secret !== old ? true : null), 30_000);
      const rotated = credentials.secret;
      assert.equal(credentials.previousSecret, old);
      assert.ok(await verifySecret(rotated, pending), 'the same secret as first sent');
      await eventually(async () => {
        const cred = await t.cp.store.hosts.credential(agentId);
        return cred && cred.pendingSecretHash === null && (await verifySecret(rotated, cred.secretHash));
      }, 30_000);
      assert.equal(t.cp.counters.get('broker.auth.secret-rotated'), 1);
      await eventually(async () => l.status().state === 'connected', 30_000);

      // After completion: the old secret is refused by the broker, the new one accepted.
      await l.stop();
      link = null;
      await assert.rejects(connectAgent(enrolled.mqttUrl, agentId, old), /Not authorized|Bad username or password/);
      const c = await connectAgent(enrolled.mqttUrl, agentId, rotated);
      await c.endAsync();
    });
  });
}

raceSuite('embedded broker (Aedes)', () => ({}), false);

describe('with Mosquitto 2 and dynamic security', { skip: mosquittoSkipReason }, () => {
  let m: TestMosquitto;
  before(async () => {
    m = await startMosquitto();
  });
  after(async () => {
    await m?.stop();
  });
  raceSuite(
    'external broker (Mosquitto, dynamic security)',
    () => ({
      broker: { mode: 'external', url: m.url, username: m.admin.username, password: m.admin.password, dynsec: true },
    }),
    true,
  );
});
