// The login throttle shared by replicas over the broker's replica channel (replicas/shared-throttle.ts): failed
// logins counted on one replica lock the user out on the other. Two real external-broker clients on a private
// Mosquitto; skipped without mosquitto.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { TooManyAttemptsError } from '../../contract/errors.ts';
import { createLoginThrottle } from '../../control-plane/access/login-throttle.ts';
import { createExternalBroker, type ExternalBroker } from '../../control-plane/broker/external-broker.ts';
import type { Ingester } from '../../control-plane/ingest/ingester.ts';
import { createCounters } from '../../control-plane/metrics/counters.ts';
import { createSharedThrottle } from '../../control-plane/replicas/shared-throttle.ts';
import { mosquittoSkipReason, startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('login throttle shared by replicas', { skip: mosquittoSkipReason }, () => {
  let m: TestMosquitto;
  const brokers: ExternalBroker[] = [];
  before(async () => {
    m = await startMosquitto();
    for (let i = 0; i < 2; i++) {
      const b = await createExternalBroker({
        url: m.url,
        username: m.admin.username,
        password: m.admin.password,
        dynsec: true,
        shareGroup: 'homeostat-ingest',
        ingester: {} as Ingester, // no agent publishes here: admission never runs
        counters: createCounters(),
        log: pino({ level: 'silent' }),
        maxWaitMs: 0,
      });
      await b.listen();
      brokers.push(b);
    }
  });
  after(async () => {
    for (const b of brokers) await b.close();
    await m?.stop();
  });

  it('five failures on replica A lock the username out on replica B; a success on A clears it on B', async () => {
    const a = createSharedThrottle(createLoginThrottle());
    const b = createSharedThrottle(createLoginThrottle());
    await a.connect(brokers[0]!.replicas!);
    await b.connect(brokers[1]!.replicas!);
    for (let i = 0; i < 4; i++) a.attempt('alice', '10.0.0.1');
    await until('B counted A', () => b.size() === 2);
    assert.doesNotThrow(() => b.attempt('alice', '10.0.0.2')); // the 5th attempt, on B: let through, now locked
    await until('A counted B', () => a.size() === 3);
    assert.throws(() => a.attempt('alice', '10.0.0.3'), TooManyAttemptsError);
    assert.throws(() => b.attempt('alice', '10.0.0.4'), TooManyAttemptsError);
    // A success (on A) clears the username on both.
    const c = createSharedThrottle(createLoginThrottle());
    await c.connect(brokers[0]!.replicas!);
    const d = createSharedThrottle(createLoginThrottle());
    await d.connect(brokers[1]!.replicas!);
    c.attempt('bob', null);
    await until('D counted C', () => d.size() === 1);
    c.succeed('bob', null);
    await until('D cleared bob', () => d.size() === 0);
  });
});
