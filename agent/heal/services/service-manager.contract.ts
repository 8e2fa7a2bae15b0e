/**
 * The ServiceManager contract: one suite, run against every backend (service-manager.test.ts).
 * The fixture provides a manager with one stopped, startable service and a way to crash it from outside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceManager } from './service-manager.ts';

export interface ContractFixture {
  manager: ServiceManager;
  /** A configured service that runs until stopped; initially stopped. */
  service: string;
  /** Kills the running service behind the manager's back (SIGKILL). */
  crash(): Promise<void>;
  /** Stops and removes whatever the fixture created. */
  cleanup(): Promise<void>;
}

async function eventually(pred: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

/** Registers the contract tests for one backend. */
export function serviceManagerContract(
  backend: string,
  make: () => Promise<ContractFixture>,
  skip: string | false = false,
): void {
  const t = (name: string, fn: (f: ContractFixture) => Promise<void>) =>
    test(`${backend}: ${name}`, { skip }, async () => {
      const f = await make();
      try {
        await fn(f);
      } finally {
        await f.cleanup();
      }
    });

  t('an unknown service reports missing and not healthy', async ({ manager }) => {
    const s = await manager.status('no-such-service-homeostat');
    assert.equal(s.healthy, false);
    assert.equal(s.state, 'missing');
  });
  t('start makes a stopped service healthy; stop makes it not healthy', async ({ manager, service }) => {
    assert.equal((await manager.status(service)).healthy === true, false);
    await manager.start(service);
    await eventually(async () => (await manager.status(service)).healthy === true, 'running after start');
    await manager.stop(service);
    assert.equal((await manager.status(service)).healthy === true, false);
    await manager.stop(service); // idempotent
  });
  t('a crashed service is reported down, and restart brings it back', async ({ manager, service, crash }) => {
    await manager.start(service);
    await eventually(async () => (await manager.status(service)).healthy === true, 'running after start');
    await crash();
    await eventually(async () => !(await manager.status(service)).healthy === true, 'down after crash');
    await manager.restart(service);
    await eventually(async () => (await manager.status(service)).healthy === true, 'running after restart');
  });
  t('restart of a running service leaves it running', async ({ manager, service }) => {
    await manager.start(service);
    await manager.restart(service);
    await eventually(async () => (await manager.status(service)).healthy === true, 'running after restart');
  });
}
