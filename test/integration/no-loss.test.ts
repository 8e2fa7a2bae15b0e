/**
 * No loss, no duplicates: an agent streams at 50 ms cycles while first the control plane and then the agent itself
 * are killed with SIGKILL and restarted. Every seq 1..N the agent issued must be stored exactly once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminToken,
  agentStatus,
  createEnrollmentToken,
  homeostatAgent,
  poll,
  runAgent,
  startServer,
  storedSeqs,
  type Proc,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'hs-noloss-'));
const procs: Proc[] = [];
after(async () => {
  for (const p of procs.reverse()) await p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// Quick reconnects keep the test short; the production defaults are 500 ms .. 30 s.
const agentEnv = {
  HOMEOSTAT_AGENT_LINK__BACKOFF_BASE_MS: '100',
  HOMEOSTAT_AGENT_LINK__BACKOFF_CAP_MS: '1000',
  HOMEOSTAT_AGENT_LINK__ACK_TIMEOUT_SECONDS: '5',
};

describe('lossless link under kill -9', () => {
  it('stores every seq exactly once across a control-plane SIGKILL and an agent SIGKILL', async () => {
    const dataDir = join(dir, 'cp');
    const stateDir = join(dir, 'agent');
    let server = await startServer(dataDir);
    const { ports } = server;
    procs.push(server.proc);
    const token = await adminToken(dataDir);
    const enrolled = await runAgent([
      'enroll',
      '--server',
      server.info.httpUrl,
      '--token',
      await createEnrollmentToken(server.info.httpUrl, token),
      '--state-dir',
      stateDir,
    ]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const agentId = /enrolled as (\S+)/.exec(enrolled.stdout)![1]!;
    const startAgent = (maxCycles: number) => {
      const p = homeostatAgent(
        [
          'run',
          '--state-dir',
          stateDir,
          '--cycle-seconds',
          '0.05',
          '--max-cycles',
          String(maxCycles),
          '--log-level',
          'warn',
        ],
        agentEnv,
      );
      procs.push(p);
      return p;
    };
    const cycleSeq = async () => (await agentStatus(stateDir))?.lastCycle?.seq ?? 0;

    // A bound far beyond the test's steps (this run is SIGKILLed in step 2): 250 cycles (12.5 s) ran out on a busy
    // machine while the control plane restarted, and a stopped agent never "streams after the restart".
    let agent = startAgent(20_000);
    await poll(
      async () => (await storedSeqs(server.info.httpUrl, token, agentId)).samples.length >= 20,
      60_000,
      '20 samples stored',
    );

    // 1. The control plane dies mid-stream (SIGKILL) and stays down while the agent keeps collecting.
    await server.proc.kill('SIGKILL');
    // The status file is throttled (every 6 cycles here) but a link-state change is written at once: wait for it, so
    // the seq read is not older than the kill and every later seq is certainly unacknowledged.
    const cut = await poll(
      async () => {
        const st = await agentStatus(stateDir);
        return st && st.link.state !== 'connected' ? st : null;
      },
      15_000,
      'agent notices the control plane is gone',
    );
    const atKill: number = cut.lastCycle?.seq ?? 0;
    await poll(
      async () => (await cycleSeq()) >= atKill + 60,
      15_000,
      'agent keeps collecting while the control plane is down',
    );
    const down = await agentStatus(stateDir);
    assert.ok(down.outbox.depth >= 60, `outbox holds the backlog (${down.outbox.depth})`);
    server = await startServer(dataDir, ports);
    procs.push(server.proc);

    // 2. The agent dies mid-stream (SIGKILL) and restarts on the same state dir.
    const reconnected = await poll(
      async () => {
        const st = await agentStatus(stateDir);
        return st?.link.state === 'connected' && st.link.lastAckSeq > atKill + 30 ? st : null;
      },
      60_000,
      'backlog replayed to the restarted control plane',
    );
    await poll(
      async () => (await cycleSeq()) >= reconnected.lastCycle.seq + 20,
      60_000,
      'agent streaming after the restart',
    );
    await agent.kill('SIGKILL');
    const killedAt = await agentStatus(stateDir);
    agent = startAgent(60);

    // Let the second run finish its cycles and drain.
    const done = await poll(
      async () => {
        const st = await agentStatus(stateDir);
        return st &&
          st.pid !== killedAt.pid &&
          st.cycles >= 60 &&
          st.outbox.depth === 0 &&
          st.link.state === 'connected'
          ? st
          : null;
      },
      30_000,
      'second run drained',
    );
    const n: number = done.outbox.lastSeq;
    const stored = await poll(
      async () => {
        const s = await storedSeqs(server.info.httpUrl, token, agentId);
        return s.samples.length + s.events.length >= n ? s : null;
      },
      10_000,
      `all ${n} seqs stored`,
    );
    const all = [...stored.samples, ...stored.events].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: n }, (_, i) => i + 1),
      'every seq 1..N exactly once, no gap',
    );
    assert.ok(n >= killedAt.lastCycle.seq + 60, `N=${n} covers both runs`);
    assert.ok(killedAt.cycles < 250, 'the first run was killed mid-stream');
    assert.equal(stored.events.length >= 2, true, 'one agent.started per run');
    process.stdout.write(
      `# no-loss: N=${n} (samples ${stored.samples.length}, events ${stored.events.length}); backlog at CP kill ${down.outbox.depth}\n`,
    );
    assert.equal(await agent.kill('SIGTERM'), 0);
  });
});
