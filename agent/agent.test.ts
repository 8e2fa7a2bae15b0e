import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAgent } from './agent.ts';
import { loadAgentConfig } from './config/load.ts';
import type { Credentials } from './enroll/credentials.ts';
import { createMemoryOutbox } from './link/outbox/memory-store.ts';
import { fixedReading } from './pipeline/basic-source.ts';
import type { SampleSource, Stage } from './pipeline/types.ts';
import { readStatus } from './status/status-file.ts';
import { createFakeClock } from './testing/fake-clock.ts';
import { startIngest, startTestBroker, until } from './testing/test-broker.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('agent runtime', () => {
  it('runs source → stages → outbox on a drift-free schedule, ships samples and events, drains on stop', async () => {
    const broker = await startTestBroker();
    const agentId = 'agent-rt-1';
    const ingest = await startIngest(broker.url, agentId, { autoAck: true });
    const clock = createFakeClock();
    const collectedAt: number[] = [];
    const source: SampleSource = {
      start: async () => {},
      stop: async () => {},
      collect: async (now) => (collectedAt.push(now), fixedReading(now, collectedAt.length / 10)),
      inventory: async () => ({ ts: 0, hash: 'h', inventory: { os: 'linux' } }),
    };
    const scorer: Stage = {
      name: 'score',
      run: async (r, ctx) => {
        if (r.features['cpu.util']! >= 0.2)
          ctx.emit({ type: 'heal.detected', severity: 'warning', data: { util: r.features['cpu.util'] } });
        return { ...r, scores: { anomaly: { score: 0.9, model: 'test', top: [] } } };
      },
    };
    const broken: Stage = {
      name: 'broken',
      run: async () => {
        throw new Error('boom');
      },
    };
    const creds: Credentials = {
      agentId,
      secret: 's',
      server: 'http://x',
      mqttUrl: broker.url,
      publicKey: '',
      labels: {},
      hostname: 'h',
      enrolledAt: 0,
    };
    const config = loadAgentConfig({ env: {}, overrides: { stateDir: dir, cycleSeconds: 10, drainSeconds: 5 } });
    const agent = await createAgent(config, {
      credentials: creds,
      source,
      stages: [scorer, broken],
      outbox: createMemoryOutbox(config.outbox),
      logger: pino({ level: 'silent' }),
      clock: clock.now,
      timers: clock.timers,
      statusEveryMs: 0, // every cycle, as this test reads it (the default throttle has its own test below)
    });
    try {
      await agent.start();
      const t0 = clock.now();
      const scheduled = (at: number) => until(() => clock.dueTimes().includes(at), 2000, `tick at +${at - t0}`);
      await scheduled(t0 + 10_000);
      clock.advance(9_999);
      assert.equal(collectedAt.length, 1);
      clock.advance(1);
      await scheduled(t0 + 20_000);
      assert.equal(collectedAt.length, 2);
      clock.advance(10_000);
      await until(() => collectedAt.length === 3, 2000, 'third cycle');
      assert.deepEqual(
        collectedAt.map((t) => t - collectedAt[0]!),
        [0, 10_000, 20_000],
      );
      // seq 1 agent.started, 2 sample; cycles 2 and 3 each emit heal.detected before their sample: 3, 4, 5, 6
      await until(() => ingest.seqs.length >= 6, 5000, 'delivery');
      const samples = ingest.messages.flatMap((m) => m.body.samples ?? []);
      assert.deepEqual(
        samples.map((s: any) => s.seq),
        [2, 4, 6],
      );
      assert.deepEqual(samples[0].scores, { anomaly: { score: 0.9, model: 'test', top: [] } });
      const events = ingest.messages.flatMap((m) => m.body.events ?? []);
      assert.deepEqual(
        events.map((e: any) => [e.seq, e.type]),
        [
          [1, 'agent.started'],
          [3, 'heal.detected'],
          [5, 'heal.detected'],
        ],
      );
      assert.equal(agent.status().lastError, 'broken: boom');
      clock.advance(1000); // with statusEveryMs 0, the status file is written up to 1 s after each cycle (with its ack)
      const st = readStatus(dir)!;
      assert.equal(st.agentId, agentId);
      assert.equal(st.cycles, 3);
      assert.equal(st.lastCycle?.seq, 6);
      await agent.stop();
      assert.equal(agent.outbox.stats().depth, 0, 'drained');
      assert.equal(readStatus(dir)!.state, 'stopped');
      assert.equal(clock.pending(), 0, 'no timers left behind');
      await until(
        () => ingest.messages.some((m) => m.topic.endsWith('/presence') && m.body.state === 'offline'),
        2000,
        'offline presence',
      );
    } finally {
      await agent.stop();
      await ingest.close();
      await broker.close();
    }
  });

  it('rewrites the status file at most once a minute at the default cycle: at start, at and after the first cycle, then throttled', async () => {
    const clock = createFakeClock();
    const stateDir = join(dir, 'throttle');
    mkdirSync(stateDir);
    const source: SampleSource = {
      start: async () => {},
      stop: async () => {},
      collect: async (now) => fixedReading(now, 0.1),
      inventory: async () => ({ ts: 0, hash: 'h', inventory: {} }),
    };
    const creds: Credentials = {
      agentId: 'agent-throttle',
      secret: 's',
      server: 'http://x',
      mqttUrl: 'mqtt://127.0.0.1:1',
      publicKey: '',
      labels: {},
      hostname: 'h',
      enrolledAt: 0,
    };
    const config = loadAgentConfig({ env: {}, overrides: { stateDir, cycleSeconds: 10, drainSeconds: 0 } });
    const agent = await createAgent(config, {
      credentials: creds,
      source,
      outbox: createMemoryOutbox(config.outbox),
      logger: pino({ level: 'silent' }),
      clock: clock.now,
      timers: clock.timers,
    });
    const t0 = clock.now();
    const written = () => readStatus(stateDir)?.cycles;
    try {
      await agent.start();
      assert.notEqual(written(), undefined, 'written at start');
      await until(() => agent.status().cycles === 1, 2000, 'first cycle');
      assert.equal(written(), 1, 'the first cycle is written at once');
      clock.advance(1000);
      assert.equal(written(), 1, 'and again with its ack');
      for (let k = 1; k <= 5; k++) {
        await until(() => clock.dueTimes().includes(t0 + k * 10_000), 2000, `tick ${k} scheduled`);
        clock.advance(t0 + k * 10_000 - clock.now());
        await until(() => agent.status().cycles === k + 1, 2000, `cycle ${k + 1}`);
        clock.advance(1000);
        assert.equal(written(), 1, `not rewritten after cycle ${k + 1}`);
      }
      await until(() => clock.dueTimes().includes(t0 + 60_000), 2000, 'tick 6 scheduled');
      clock.advance(t0 + 60_000 - clock.now()); // cycle 7 runs at +60 s
      await until(() => agent.status().cycles === 7, 2000, 'cycle 7');
      clock.advance(1000); // a minute after the last write (+1 s)
      assert.equal(written(), 7, 'the throttled write, a minute after the last one');
    } finally {
      // stop() waits on the fake timers (drain, offline presence): move the clock until it is done
      let stopped = false;
      const stopping = agent.stop().then(() => (stopped = true));
      for (let i = 0; i < 100 && !stopped; i++) {
        clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      await stopping;
    }
    assert.equal(readStatus(stateDir)!.state, 'stopped', 'stop writes at once');
  });

  it('stop() on an agent that was never started still releases its stages, source and outbox', async () => {
    const released: string[] = [];
    const source: SampleSource = {
      start: async () => {},
      stop: async () => void released.push('source'),
      collect: async (now) => fixedReading(now, 0.1),
      inventory: async () => ({ ts: 0, hash: 'h', inventory: {} }),
    };
    const stage: Stage = { name: 'heal', run: async (r) => r, stop: async () => void released.push('heal') };
    const outbox = createMemoryOutbox({ maxBytes: 1 << 20, maxRecords: 100 });
    const close = outbox.close.bind(outbox);
    outbox.close = () => {
      released.push('outbox');
      close();
    };
    const creds: Credentials = {
      agentId: 'agent-unused',
      secret: 's',
      server: 'http://x',
      mqttUrl: 'mqtt://127.0.0.1:1',
      publicKey: '',
      labels: {},
      hostname: 'h',
      enrolledAt: 0,
    };
    const config = loadAgentConfig({ env: {}, overrides: { stateDir: join(dir, 'unused') } });
    const agent = await createAgent(config, {
      credentials: creds,
      source,
      stages: [stage],
      outbox,
      logger: pino({ level: 'silent' }),
      statusFile: false,
    });
    await agent.stop();
    await agent.stop();
    assert.deepEqual(released, ['heal', 'source', 'outbox'], 'each released exactly once');
  });
});
