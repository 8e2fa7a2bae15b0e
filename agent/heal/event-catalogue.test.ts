/**
 * Every event the healer (and the outbox) really emits parses against the contract's event catalogue: real decisions
 * driven through a real healer (match, execute, outcomes, cooldown, verify, escalation, approvals, pause, refusals,
 * policy sets), not hand-written samples.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHealer, type Clock } from './healer.ts';
import { loadHealConfig } from './config.ts';
import type { ServiceManager } from './services/service-manager.ts';
import type { HealEvent, Observation } from './types.ts';
import { readEvent } from '../../contract/protocol/events.ts';
import { AgentEvent } from '../../contract/protocol/payloads.ts';
import { createMemoryOutbox } from '../link/outbox/memory-store.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function services(failRestart: () => boolean): ServiceManager {
  return {
    backend: 'supervised',
    async status(name) {
      return { name, state: 'running', healthy: true };
    },
    async start() {},
    async stop() {},
    async close() {},
    async restart(name) {
      if (failRestart()) throw new Error(`${name}: restart failed`);
    },
  };
}

const down = (ts: number): Observation => ({
  ts,
  features: {},
  facts: { services: [{ name: 'web', state: 'failed' }] },
});
const up = (ts: number): Observation => ({ ts, features: {}, facts: { services: [{ name: 'web', state: 'active' }] } });

test('the catalogue parses every event real healing decisions produce', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'catalogue-'));
  dirs.push(stateDir);
  let t = 1_000_000;
  const clock: Clock = { now: () => t, sleep: async () => {} };
  let fail = false;
  const config = loadHealConfig({ stateDir, allowedActions: ['restart-service', 'notify', 'cordon'] });
  const h = await createHealer({ config, clock, serviceManager: services(() => fail) });
  const seen: HealEvent[] = [];
  const keep = (evs: HealEvent[]) => {
    seen.push(...evs);
    return evs;
  };

  // a set with a refused policy (free-disk is not allowed locally), a verified restart, notify and cordon
  keep(
    h.applyPolicySet(
      `
version: v1
policies:
  - name: web
    when: { service: web }
    do: [ { type: restart-service, service: web }, { type: notify, message: web restarted, severity: warning } ]
    guards: { cooldown: 60s, maxAttempts: 2, verify: { within: 10s, condition: { not: { service: web } } } }
  - name: drain
    when: { service: web, for: 1h }
    do: [ { type: cordon, reason: web keeps failing } ]
  - name: wipe
    when: { service: web }
    do: [ { type: free-disk, dirs: [/etc], globs: ['*'], maxBytes: 1GiB } ]
`,
      'yaml',
    ).events,
  );
  keep(h.applyPolicySet('policies: [ { name: x, when: { service: web, for: soon } } ]', 'yaml').events);
  keep(await h.onCycle(down(t))); // matched, execute, executed (restart + notify), notify event
  t += 1000;
  keep(await h.onCycle(up(t))); // verified / cleared
  t += 1000;
  keep(await h.onCycle(down(t))); // suppressed by cooldown
  t += 61_000;
  fail = true;
  keep(await h.onCycle(down(t))); // execute → failed
  t += 61_000;
  keep(await h.onCycle(down(t))); // escalated (maxAttempts)
  t += 3_600_000;
  keep(await h.onCycle(down(t))); // cordon after an hour down
  fail = false;
  keep(h.onPause({ actions: [], until: t + 5000, reason: 'maintenance' }));
  t += 1000;
  keep(await h.onCycle(up(t)));
  t += 1000;
  keep(await h.onCycle(down(t)));
  t += 10_000;
  keep(await h.onCycle(down(t))); // resumed
  keep(h.onApproval({ requestId: 'nope', approved: true, by: 'ops' }));

  // approvals
  h.setConnected(true);
  keep(
    h.applyPolicySet(
      `
version: v2
policies:
  - name: web-approval
    when: { service: web }
    do: [ { type: restart-service, service: web } ]
    guards: { requireApproval: true }
`,
      'yaml',
    ).events,
  );
  t += 1000;
  keep(await h.onCycle(up(t)));
  t += 1000;
  const asked = keep(await h.onCycle(down(t)));
  const req = asked.find((e) => e.type === 'heal.approval-requested');
  assert.ok(
    req,
    `an approval was requested: ${seen.map((e) => `${e.type}:${String(e.data.policy ?? '')}:${String(e.data.guard ?? '')}`).join(' ')}`,
  );
  keep(h.onApproval({ requestId: String(req.data.requestId), approved: false, by: 'ops', reason: 'not now' }));
  t += 1000;
  keep(await h.onCycle(up(t)));
  t += 1000;
  const again = keep(await h.onCycle(down(t)));
  t += 1000;
  keep(await h.onCycle(up(t))); // withdrawn: the condition cleared while waiting
  void again;
  await h.close();

  const outbox = createMemoryOutbox({ maxBytes: 1_000_000, maxRecords: 2, lowWater: 0.5 });
  for (let i = 1; i <= 4; i++) outbox.append('telemetry', { ts: i, schema: 'v1', features: {} });
  const dropped = outbox
    .peek(10)
    .filter((r) => r.kind === 'event')
    .map((r) => JSON.parse(r.json) as HealEvent);
  seen.push(...dropped);
  outbox.close();

  const kinds = new Set(seen.map((e) => e.type));
  for (const k of [
    'heal.policy-applied',
    'heal.policy-rejected',
    'heal.refused',
    'heal.matched',
    'heal.execute',
    'heal.executed',
    'heal.notify',
    'heal.suppressed',
    'heal.failed',
    'heal.escalated',
    'heal.paused',
    'heal.approval-requested',
    'heal.approval-denied',
    'heal.approval-unknown',
    'outbox.dropped',
  ]) {
    assert.ok(kinds.has(k), `no ${k} among ${[...kinds].join(', ')}`);
  }
  for (const e of seen) {
    const r = readEvent(e);
    assert.ok(r.ok, `${e.type} does not parse: ${r.ok ? '' : r.message}\n${JSON.stringify(e.data)}`);
    // and the whole event as the link sends it is a valid wire event
    const wire = AgentEvent.safeParse(JSON.parse(JSON.stringify({ seq: 1, ...e })));
    assert.equal(wire.success, true, `${e.type}: ${wire.error?.message ?? ''}`);
  }
});
