// The replay source feeds the real agent pipeline (assembleAgent: infer + heal stages, SQLite outbox, MQTT link) end
// to end into a real in-process control plane; what the admin API stores is exactly what the trace holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { assembleAgent } from '../../agent/assemble.ts';
import { loadAgentConfig } from '../../agent/config/load.ts';
import { enroll } from '../../agent/enroll/enroll.ts';
import { AGENT_VERSION, type Agent } from '../../agent/agent.ts';
import { FEATURE_SCHEMA_VERSION, MODEL_FEATURES } from '../../contract/features/schema.ts';
import { createReplaySource } from '../../agent/replay/replay-source.ts';
import { createFakeClock } from '../../agent/testing/fake-clock.ts';
import { until } from '../../agent/testing/test-broker.ts';
import { DEFAULT_ALERT_SETTINGS, initialAlertState, stepAlert } from '../../contract/models/alerting.ts';
import { api, startTestControlPlane } from '../support/control-plane.ts';

const TRACE = fileURLToPath(new URL('../../agent/replay/traces/nab-machine-temperature.csv', import.meta.url));
const FEATURE = 'sensors.temp_max_c';
const CYCLES = 170;
const CARD = JSON.parse(
  readFileSync(new URL('../../models/anomaly/anomaly-multi.card.json', import.meta.url), 'utf8'),
) as { name: string; version: string; extra: { params: { warmup: number } } };
const MODEL = `${CARD.name}@${CARD.version}`;
const CYCLE_MS = 1000;
// NAB rows are 5 minutes apart: 300 trace seconds per wall second plays exactly one row per 1 s cycle.
const SPEEDUP = 300;
// NAB's labeled anomaly (2013-12-16 17:25) is row 288 of the slice, the end of a plunge (47 °F → 2 °F) from row 264.
// Starting at row 120 the model finishes its warmup on the calm plateau before the plunge.
const PLUNGE_ROW = 264;
const FAILURE_ROW = 288;
const OFFSET_ROWS = 120;

/** The trace's (timestamp, value) rows, parsed here independently of agent/replay/csv.ts. */
function nabValues(path: string): number[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], 'timestamp,value');
  return lines.slice(1).map((l) => Number(l.split(',')[1]));
}

test('the replay source feeds the pipeline end to end into the control plane', async () => {
  const cp = await startTestControlPlane();
  const stateDir = mkdtempSync(join(tmpdir(), 'replay-e2e-'));
  let agent: Agent | null = null;
  let advance: (ms: number) => void = () => {};
  try {
    const tok = await api(cp, 'POST', '/api/tokens', { labels: { role: 'replay' }, uses: 1 });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const creds = await enroll({
      server: cp.urls.httpUrl,
      token: tok.body.token,
      stateDir,
      agentVersion: AGENT_VERSION,
      labels: { trace: 'nab' },
      hostname: 'replay-1',
    });
    const config = loadAgentConfig({
      env: {},
      overrides: {
        stateDir,
        cycleSeconds: CYCLE_MS / 1000,
        logLevel: 'silent',
        drainSeconds: 10,
        link: { ackTimeoutSeconds: 3600 },
      },
    });
    const source = createReplaySource({
      path: TRACE,
      mapping: { value: FEATURE },
      speedup: SPEEDUP,
      offsetRows: OFFSET_ROWS,
      loop: false,
      name: 'nab-machine-temperature',
    });
    // A fake clock makes every cycle land exactly on a trace row; the broker, database and link run on real time.
    const clock = createFakeClock(Date.now());
    advance = clock.advance;
    agent = await assembleAgent(config, creds, {
      logger: pino({ level: 'silent' }),
      source,
      clock: clock.now,
      timers: clock.timers,
      maxCycles: CYCLES,
    });
    const t0 = clock.now();
    await agent.start();
    for (let k = 1; k < CYCLES; k++) {
      const at = t0 + k * CYCLE_MS;
      // Cycle k done and its successor's tick armed (a long ack timeout keeps link timers off the tick times).
      await until(
        () => agent!.status().cycles === k && clock.dueTimes().includes(at),
        15_000,
        `cycle ${k + 1} scheduled`,
      );
      clock.advance(at - clock.now());
    }
    await until(() => agent!.status().cycles === CYCLES, 15_000, 'last cycle');
    await until(
      () => agent!.outbox.stats().depth === 0,
      20_000,
      'outbox drained: every record acked by the control plane',
    );

    const res = await api(cp, 'GET', `/api/hosts/${creds.agentId}/samples?limit=1000&order=asc`);
    assert.equal(res.status, 200);
    assert.equal(res.body.hostId, creds.agentId);
    const samples: {
      seq: number;
      ts: number;
      schema: string;
      features: Record<string, number | null>;
      collectors: Record<string, string>;
      scores: any;
    }[] = res.body.samples;
    assert.equal(samples.length, CYCLES);
    // In order: one sample per cycle, cycle timestamps exactly one period apart, seqs increasing.
    assert.deepEqual(
      samples.map((s) => s.ts),
      Array.from({ length: CYCLES }, (_, k) => t0 + k * CYCLE_MS),
    );
    const seqs = samples.map((s) => s.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(new Set(seqs).size, CYCLES);
    // Exactly the replayed values, row after row, and explicit nulls for every other model feature.
    const expected = nabValues(TRACE).slice(OFFSET_ROWS, OFFSET_ROWS + CYCLES);
    assert.deepEqual(
      samples.map((s) => s.features[FEATURE]),
      expected,
    );
    for (const s of samples) {
      assert.equal(s.schema, FEATURE_SCHEMA_VERSION);
      assert.deepEqual(s.collectors, { replay: 'ok' });
      assert.deepEqual(Object.keys(s.features).sort(), [...MODEL_FEATURES].sort());
      assert.deepEqual(
        Object.entries(s.features).filter(([k, v]) => k !== FEATURE && v !== null),
        [],
      );
    }
    // The infer stage scored every sample with the shipped anomaly model: silent while it learns this host (the
    // card's warmup), then explained by the only feature present. How high the plunge scores is the model's business
    // (bench:nab); the pipeline's is that the model reacts to it at all, and that the alert events are exactly what the
    // alert state machine makes of the stored scores (checked below).
    const warmup = CARD.extra.params.warmup;
    assert.ok(OFFSET_ROWS + warmup < PLUNGE_ROW, `warmup (${warmup}) ends before the plunge: lower OFFSET_ROWS`);
    for (const [k, s] of samples.entries()) {
      const a = s.scores.anomaly;
      assert.deepEqual(Object.keys(s.scores), ['anomaly']);
      assert.equal(a.model, MODEL);
      assert.ok(a.score >= 0 && a.score <= 1, `score ${a.score}`);
      if (k < warmup) assert.deepEqual([a.score, a.top], [0, []], `cycle ${k} is inside warmup`);
      else
        assert.deepEqual(
          a.top.map((t: { feature: string }) => t.feature),
          [FEATURE],
        );
    }
    // The shipped model (anomaly-multi 6) scores every sample; on this young host (warm after 30 samples) it stays
    // below the alert level on the calm plateau and crosses it as the temperature sags into the plunge, before the
    // failure: every score at or above the threshold falls from the hour before the plunge to the end of the slice
    // (the temperature stays down after the failure), and the first one comes before the failure.
    const reacting = samples.flatMap((s, k) => (s.scores.anomaly.score >= DEFAULT_ALERT_SETTINGS.enter ? [k] : []));
    const [from, to] = [PLUNGE_ROW - OFFSET_ROWS - 12, FAILURE_ROW - OFFSET_ROWS];
    assert.ok(
      reacting.length > 0 && reacting.every((k) => k >= from) && reacting[0]! <= to,
      `alert-level scores only from cycle ${from}, the first by ${to}, got: ${reacting.map((k) => `${k}:${samples[k]!.scores.anomaly.score.toFixed(2)}`).join(' ')}`,
    );
    // The alert state machine (fleet defaults) over the stored scores: the alert events the agent must have sent.
    let st = initialAlertState();
    const alertsExpected: [number, string][] = [];
    for (const s of samples) {
      const r = stepAlert(DEFAULT_ALERT_SETTINGS, st, s.scores.anomaly.score, s.ts);
      st = r.state;
      if (r.transition.kind !== 'none') alertsExpected.push([s.ts, `anomaly.${r.transition.kind}`]);
    }

    // Events share the seq space: agent.started first, every seq exactly once across samples and events.
    const ev = await api(cp, 'GET', `/api/hosts/${creds.agentId}/events?limit=1000`);
    assert.equal(ev.status, 200);
    const events: { seq: number; ts: number; type: string; data: Record<string, unknown> }[] = [...ev.body.events].sort(
      (a: { seq: number }, b: { seq: number }) => a.seq - b.seq,
    );
    assert.deepEqual(
      [events[0]?.seq, events[0]?.type, events[0]?.data],
      [1, 'agent.started', { version: AGENT_VERSION, cycleSeconds: CYCLE_MS / 1000 }],
    );
    // Score and alert are two things: the model's isolated edges are scores, not alerts (a single-sample spike never
    // starts one); the agent sent exactly the alert events the state machine gives for the scores it stored.
    const alerts = events.filter((e) => e.type.startsWith('anomaly.'));
    assert.deepEqual(
      alerts.map((e) => [e.ts, e.type]),
      alertsExpected,
    );
    assert.deepEqual(events.map((e) => e.type).sort(), ['agent.started', ...alerts.map((e) => e.type)].sort());
    const all = [...seqs, ...events.map((e) => e.seq)].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: agent.outbox.stats().lastSeq }, (_, i) => i + 1),
      'every seq the outbox issued is stored once',
    );
    const host = await api(cp, 'GET', `/api/hosts/${creds.agentId}`);
    assert.deepEqual(host.body.inventory, { replay: 'nab-machine-temperature', columns: [FEATURE] });
  } finally {
    if (agent) {
      // stop() drains on the agent's (fake) timers: keep time moving so a failed test cannot hang on an unacked outbox.
      let stopped = false;
      const stopping = agent.stop().finally(() => (stopped = true));
      for (let i = 0; i < 400 && !stopped; i++) {
        advance(1000);
        await new Promise((r) => setTimeout(r, 25));
      }
      await stopping;
    }
    await cp.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
