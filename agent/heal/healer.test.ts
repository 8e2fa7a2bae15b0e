import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHealer, type Clock } from './healer.ts';
import { loadHealConfig } from './config.ts';
import { readJournal } from './journal.ts';
import type { ServiceManager } from './services/service-manager.ts';
import type { Observation } from './types.ts';
import { ValidationError } from '../../contract/errors.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** An in-memory service manager (a real backend is covered by the contract suite). */
function fakeServices(): ServiceManager & { restarts: number } {
  return {
    backend: 'supervised',
    restarts: 0,
    async status(name) {
      return { name, state: 'running', healthy: true };
    },
    async start() {},
    async stop() {},
    async restart() {
      this.restarts++;
    },
    async close() {},
  };
}
async function setup(extra: Record<string, unknown> = {}) {
  const stateDir = await mkdtemp(join(tmpdir(), 'healer-'));
  dirs.push(stateDir);
  let t = 1_000_000;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => t,
    sleep: async () => {},
    advance(ms) {
      t += ms;
    },
  };
  const config = loadHealConfig({ stateDir, allowedActions: ['restart-service', 'notify'], ...extra });
  const sm = fakeServices();
  return { stateDir, clock, config, sm, make: () => createHealer({ config, clock, serviceManager: sm }) };
}
const down = (ts: number): Observation => ({
  ts,
  features: {},
  facts: { services: [{ name: 'web', state: 'failed' }] },
});
const POLICIES = `
version: v1
policies:
  - name: web
    when: { service: web }
    do: [ { type: restart-service, service: web } ]
    guards: { cooldown: 60s }
`;

test('a malformed policy set is rejected naming the field, and the previous set keeps running', async () => {
  const s = await setup();
  const h = await s.make();
  assert.equal(h.applyPolicySet(POLICIES, 'yaml').ok, true);
  const bad = h.applyPolicySet(
    'policies: [ { name: x, when: { service: web, for: soon }, do: [ { type: restart-service, service: web } ] } ]',
    'yaml',
  );
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.error instanceof ValidationError);
  assert.deepEqual(!bad.ok && bad.error.issues.map((i) => i.path), ['policies.0.when.for']);
  assert.equal(bad.events[0]!.type, 'heal.policy-rejected');
  assert.equal(h.policySet()?.version, 'v1');
  const events = await h.onCycle(down(s.clock.now()));
  assert.deepEqual(
    events.map((e) => e.type),
    ['heal.matched', 'heal.execute', 'heal.executed'],
  );
  assert.equal(s.sm.restarts, 1);
  await h.close();
});

test('a policy that widens the local allow-list is refused with a reason; the rest of the set runs', async () => {
  const s = await setup();
  const h = await s.make();
  const r = h.applyPolicySet(
    `${POLICIES}
  - name: wipe
    when: { service: web }
    do: [ { type: free-disk, dirs: [/etc], globs: ['*'], maxBytes: 1GiB } ]
`,
    'yaml',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.refused, ['wipe']);
  const refused = r.events.find((e) => e.type === 'heal.refused')!;
  assert.match(refused.message, /free-disk' is not in the local heal.allowedActions/);
  const events = await h.onCycle(down(s.clock.now()));
  assert.ok(events.every((e) => e.data.policy !== 'wipe'));
  assert.equal(s.sm.restarts, 1);
  await h.close();
});

test('after a restart: last-known-good policies and guard state (cooldown) survive, and the journal has every decision', async () => {
  const s = await setup();
  let h = await s.make();
  h.applyPolicySet(POLICIES, 'yaml');
  await h.onCycle(down(s.clock.now()));
  await h.close();
  s.clock.advance(10_000);
  h = await s.make(); // no control plane: nothing is applied
  assert.equal(h.policySet()?.version, 'v1');
  const events = await h.onCycle(down(s.clock.now()));
  assert.deepEqual(
    events.map((e) => e.type),
    ['heal.policy-applied', 'heal.suppressed'],
  );
  assert.equal(events[1]!.data.guard, 'cooldown');
  assert.equal(s.sm.restarts, 1);
  s.clock.advance(60_000);
  assert.deepEqual(
    (await h.onCycle(down(s.clock.now()))).map((e) => e.type),
    ['heal.execute', 'heal.executed'],
  );
  await h.close();
  const journal = readJournal(join(s.stateDir, 'heal-journal.jsonl')).map((e) => e.type);
  assert.deepEqual(journal, [
    'heal.policy-applied',
    'heal.matched',
    'heal.execute',
    'heal.executed',
    'heal.policy-applied',
    'heal.suppressed',
    'heal.execute',
    'heal.executed',
  ]);
});

test('approval: offline with skip-and-escalate escalates; connected waits and proceeds on approval', async () => {
  const s = await setup({ approvalOfflineFallback: 'skip-and-escalate' });
  const h = await s.make();
  h.applyPolicySet(POLICIES.replace('cooldown: 60s', 'requireApproval: true'), 'yaml');
  const offline = await h.onCycle(down(s.clock.now()));
  assert.deepEqual(
    offline.map((e) => e.type),
    ['heal.matched', 'heal.escalated'],
  );
  await h.onCycle({ ts: 0, features: {}, facts: { services: [{ name: 'web', state: 'active' }] } }); // clears
  h.setConnected(true);
  const ev = await h.onCycle(down(s.clock.now()));
  assert.deepEqual(
    ev.map((e) => e.type),
    ['heal.matched', 'heal.approval-requested'],
  );
  assert.equal(s.sm.restarts, 0);
  assert.deepEqual(
    h.onApproval({ requestId: ev[1]!.data.requestId as string, approved: true, by: 'ops' }).map((e) => e.type),
    ['heal.approval-granted'],
  );
  assert.deepEqual(
    (await h.onCycle(down(s.clock.now()))).map((e) => e.type),
    ['heal.execute', 'heal.executed'],
  );
  assert.equal(s.sm.restarts, 1);
  await h.close();
});

test('pause from the control plane suppresses host-changing actions until it ends', async () => {
  const s = await setup();
  const h = await s.make();
  h.applyPolicySet(POLICIES, 'yaml');
  assert.equal(h.onPause({ actions: [], until: s.clock.now() + 5000, reason: 'maintenance' })[0]!.type, 'heal.paused');
  const ev = await h.onCycle(down(s.clock.now()));
  assert.equal(ev.find((e) => e.type === 'heal.suppressed')?.data.guard, 'paused');
  s.clock.advance(5000);
  assert.ok((await h.onCycle(down(s.clock.now()))).some((e) => e.type === 'heal.executed'));
  await h.close();
});
