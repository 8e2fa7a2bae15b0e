// The fault harness, connected: real faults healed by a real healer that runs as the agent's heal stage, with the
// agent enrolled at a real in-process control plane and its link up; every heal decision and outcome must arrive
// upstream (GET /api/hosts/:id/events) exactly as the healer produced it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { AGENT_VERSION, createAgent, type Agent } from '../../agent/agent.ts';
import { loadAgentConfig } from '../../agent/config/load.ts';
import { enroll } from '../../agent/enroll/enroll.ts';
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { loadHealConfig } from '../../agent/heal/config.ts';
import { createHealStage } from '../../agent/heal/heal-stage.ts';
import { createHealer, type Healer } from '../../agent/heal/healer.ts';
import { createSupervisedServiceManager } from '../../agent/heal/services/supervised.ts';
import type { HealEvent } from '../../agent/heal/types.ts';
import type { SampleSource } from '../../agent/pipeline/types.ts';
import { until } from '../../agent/testing/test-broker.ts';
import { api, startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { FAULT_CLASSES, type FaultClass, type TrialDirs } from './faults.ts';
import { createObserver } from './observer.ts';

const CYCLE_MS = 500;
const HEAL_TIMEOUT_MS = 30_000;
/** The connected variant runs the classes that need no CPU or memory pressure on a shared CI machine. */
const CLASSES = ['service-dies', 'log-grows', 'disk-fills'];
/** The action each class's policy (test/faults/faults.ts) takes. */
const ACTIONS: Record<string, string[]> = {
  'service-dies': ['restart-service'],
  'log-grows': ['rotate-log'],
  'disk-fills': ['free-disk'],
};

type Upstream = {
  seq: number;
  ts: number;
  type: string;
  severity: string;
  message: string | null;
  data: Record<string, unknown>;
};
type ConnectedResult = {
  fault: string;
  agentId: string;
  healed: boolean;
  harmful: string[];
  local: HealEvent[];
  linkAtAction: string[];
  outbox: { depth: number; lastSeq: number };
};

/** One fault, one enrolled agent: observer → heal stage → outbox → link → control plane. */
async function connectedTrial(cp: TestControlPlane, fc: FaultClass): Promise<ConnectedResult> {
  const root = await mkdtemp(join(tmpdir(), `fault-connected-${fc.name}-`));
  const d: TrialDirs = {
    root,
    data: join(root, 'data'),
    scripts: join(root, 'scripts'),
    id: randomBytes(4).toString('hex'),
  };
  await Promise.all([mkdir(d.data), mkdir(d.scripts), mkdir(join(root, 'state'))]);
  const healConfig = loadHealConfig({
    stateDir: join(root, 'state'),
    allowedDirs: [d.data],
    scriptsDir: d.scripts,
    ...fc.config(d),
  });
  const services = createSupervisedServiceManager({ services: healConfig.services, stateDir: healConfig.stateDir });
  const harmful: string[] = [];
  let owns = { pid: (_: number) => false, file: (_: string) => false };
  const healer = await createHealer({
    config: healConfig,
    serviceManager: services,
    audit: {
      signalled: (pid, sig) => {
        if (!owns.pid(pid)) harmful.push(`${sig} to pid ${pid}`);
      },
      touched: (p, op) => {
        if (!owns.file(p)) harmful.push(`${op} ${p}`);
      },
    },
  });
  let agent: Agent | null = null;
  const local: HealEvent[] = [];
  const linkAtAction: string[] = [];
  // Records what the healer returned (what must arrive upstream) and the link state whenever it acted.
  const tracked: Healer = {
    ...healer,
    async onCycle(obs) {
      const events = await healer.onCycle(obs);
      if (events.some((e) => e.type === 'heal.executed')) linkAtAction.push(agent?.link.status().state ?? 'none');
      local.push(...events);
      return events;
    },
  };
  let observer: ReturnType<typeof createObserver> | null = null;
  const source: SampleSource = {
    start: async () => {},
    stop: async () => {},
    async collect(now) {
      const obs = observer ? await observer.observe(now) : { ts: now, features: {}, facts: {} };
      return {
        ts: now,
        schema: FEATURE_SCHEMA_VERSION,
        features: obs.features,
        collectors: { 'fault-observer': observer ? 'ok' : 'unavailable: no fault yet' },
        facts: obs.facts,
      };
    },
    inventory: async () => ({ ts: 0, hash: fc.name, inventory: { fault: fc.name } }),
  };
  let inst: Awaited<ReturnType<FaultClass['inject']>> | null = null;
  try {
    const tok = await api(cp, 'POST', '/api/tokens', { labels: { fault: fc.name }, uses: 1 });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const agentDir = join(root, 'agent');
    const creds = await enroll({
      server: cp.urls.httpUrl,
      token: tok.body.token,
      stateDir: agentDir,
      agentVersion: AGENT_VERSION,
      hostname: `fault-${fc.name}`,
    });
    const config = loadAgentConfig({
      env: {},
      overrides: {
        stateDir: agentDir,
        cycleSeconds: CYCLE_MS / 1000,
        logLevel: 'silent',
        drainSeconds: 15,
        link: { backoffBaseMs: 50, backoffCapMs: 500 },
      },
    });
    agent = await createAgent(config, {
      credentials: creds,
      source,
      stages: [createHealStage(tracked, () => agent?.link.status().state === 'connected')],
      logger: pino({ level: 'silent' }),
    });
    // The policy arrives before the agent runs; its audit events go upstream like the healer's.
    const applied = healer.applyPolicySet(fc.policy(d), 'yaml');
    if (!applied.ok) throw applied.error;
    local.push(...applied.events);
    for (const e of applied.events)
      agent.emit({ ts: e.ts, type: e.type, severity: e.severity, message: e.message, data: e.data });
    await agent.start();
    await until(() => agent!.link.status().state === 'connected', 10_000, `${fc.name}: link connected`);

    inst = await fc.inject(d, services);
    const fault = inst;
    owns = { pid: fault.ownsPid, file: fault.ownsFile };
    observer = createObserver({
      ...fault.observe,
      services: fault.observe.services ? { manager: services, names: fault.observe.services } : undefined,
    });
    let healed = false;
    for (const end = Date.now() + HEAL_TIMEOUT_MS; !healed && Date.now() < end; ) {
      healed = (await fault.healed()) && local.some((e) => e.type === 'heal.executed');
      if (!healed) await new Promise((r) => setTimeout(r, 100));
    }
    // A policy with a verify guard reports the outcome a cycle or two later; wait for it (bounded).
    if (healed && /verify:/.test(fc.policy(d)))
      await until(() => local.some((e) => e.type === 'heal.verified'), 15_000, `${fc.name}: heal.verified`).catch(
        () => undefined,
      );
    await agent.stop(); // drains: everything in the outbox is acked by the control plane, or stop gives up after 15 s
    const { depth, lastSeq } = agent.status().outbox;
    return { fault: fc.name, agentId: creds.agentId, healed, harmful, local, linkAtAction, outbox: { depth, lastSeq } };
  } finally {
    // Every step runs even if an earlier one failed: a leftover child process would keep the test process alive.
    const steps: (() => Promise<unknown> | undefined)[] = [
      () => agent?.stop(),
      () => healer.close(),
      () => inst?.cleanup(),
      () => services.close(),
      () => rm(root, { recursive: true, force: true }),
    ];
    for (const step of steps)
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
  }
}

test('connected: faults are healed by their policies and the heal events arrive upstream exactly', async () => {
  const cp = await startTestControlPlane();
  try {
    const classes = FAULT_CLASSES.filter((f) => CLASSES.includes(f.name));
    assert.deepEqual(classes.map((f) => f.name).sort(), [...CLASSES].sort());
    const results = await Promise.all(classes.map((fc) => connectedTrial(cp, fc)));
    for (const r of results) {
      const trail = r.local.map((e) => `${e.type} ${e.message}`).join(' | ');
      assert.equal(r.healed, true, `${r.fault} not healed; events: ${trail}`);
      assert.deepEqual(r.harmful, [], `${r.fault} acted outside its target`);
      assert.ok(
        r.linkAtAction.length > 0 && r.linkAtAction.every((s) => s === 'connected'),
        `${r.fault}: acted while the link was ${r.linkAtAction.join(', ')}`,
      );

      const res = await api(cp, 'GET', `/api/hosts/${r.agentId}/events?limit=10000&order=asc`);
      assert.equal(res.status, 200);
      const upstream: Upstream[] = res.body.events;
      const heal = upstream.filter((e) => e.type.startsWith('heal.'));
      // Exactly what the healer produced, in order, field for field (the wire is JSON).
      assert.deepEqual(
        heal.map(({ ts, type, severity, message, data }) => ({ ts, type, severity, message, data })),
        JSON.parse(JSON.stringify(r.local)),
        `${r.fault}: upstream heal events differ`,
      );
      const seqs = heal.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `${r.fault}: heal events in seq order`,
      );
      // The story of the heal, named by the policy.
      const types = heal.map((e) => e.type);
      for (const t of ['heal.policy-applied', 'heal.matched', 'heal.execute', 'heal.executed'])
        assert.ok(types.includes(t), `${r.fault}: no ${t} upstream (${types.join(', ')})`);
      assert.ok(
        types.indexOf('heal.matched') < types.indexOf('heal.execute') &&
          types.indexOf('heal.execute') < types.indexOf('heal.executed'),
        types.join(', '),
      );
      const executed = heal.filter((e) => e.type === 'heal.executed');
      // The first attempt runs the policy's actions in order (a fast-regrowing log may be rotated again before stop).
      const expected = ACTIONS[r.fault]!.map((a) => [r.fault, a, 'done']);
      assert.deepEqual(
        executed.slice(0, expected.length).map((e) => [e.data.policy, e.data.action, e.data.status]),
        expected,
      );
      assert.deepEqual(
        executed.filter((e) => e.data.policy !== r.fault || e.data.status !== 'done'),
        [],
      );
      assert.ok(
        executed.every((e) => e.severity === 'info' && e.message!.includes(`(policy '${r.fault}')`)),
        JSON.stringify(executed),
      );
      if (r.fault === 'service-dies')
        assert.ok(types.includes('heal.verified'), `${r.fault}: not verified (${types.join(', ')})`);
      assert.equal(heal.find((e) => e.type === 'heal.matched')!.data.policy, r.fault);

      // Nothing lost on the way: the outbox drained, and samples and events together hold every seq it handed out.
      assert.equal(r.outbox.depth, 0, `${r.fault}: outbox not drained`);
      const samples = await api(cp, 'GET', `/api/hosts/${r.agentId}/samples?limit=10000&order=asc`);
      const all = [...samples.body.samples.map((s: { seq: number }) => s.seq), ...upstream.map((e) => e.seq)].sort(
        (a, b) => a - b,
      );
      assert.deepEqual(
        all,
        Array.from({ length: r.outbox.lastSeq }, (_, i) => i + 1),
        `${r.fault}: stored seqs`,
      );
    }
  } finally {
    await cp.close();
  }
});
