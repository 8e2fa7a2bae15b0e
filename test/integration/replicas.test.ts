// Two stateless control-plane replicas on one PostgreSQL behind one Mosquitto (its own instance: temp dir, own port,
// dynamic security). A real agent link streams while the leading replica is killed with SIGKILL: every seq is stored
// exactly once, the fleet singletons (rollout ticker + correlator: one fleet tick) move to the survivor, and an SSE
// client on the survivor keeps receiving live samples — before the kill also those the other replica committed.
// Needs HOMEOSTAT_TEST_PG_URL and mosquitto with its dynamic-security plugin; skipped with the reason otherwise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLink, type Link } from '../../agent/link/mqtt-link.ts';
import { openSqliteOutbox } from '../../agent/link/outbox/sqlite-store.ts';
import { freePort, homeostat, waitForLine, type Proc } from './harness.ts';
import { createTestDatabase, pgSkipReason, type TestDatabase } from '../support/postgres.ts';
import { mosquittoSkipReason, startMosquitto, type TestMosquitto } from '../support/mosquitto.ts';

const skip = pgSkipReason || mosquittoSkipReason;
const TOTAL = 300;
const BASE_TS = 1_760_000_000_000;

type Replica = { proc: Proc; url: string };

async function until<T>(what: string, ms: number, check: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A minimal SSE reader: every `sample` event's ts. */
function openStream(url: string, token: string, host: string) {
  const ts = new Set<number>();
  const ac = new AbortController();
  let hello = false;
  const done = (async () => {
    const res = await fetch(`${url}/api/stream?host=${host}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(msg)?.[1];
        const data = /^data: (.*)$/m.exec(msg)?.[1];
        if (event === 'hello') hello = true;
        if (event === 'sample' && data) ts.add((JSON.parse(data) as { ts: number }).ts);
        i = buf.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  return {
    ts,
    ready: () => hello,
    close: async () => {
      ac.abort();
      await done;
    },
  };
}

describe('replicas: two control planes, one PostgreSQL, one Mosquitto', { skip }, () => {
  let m: TestMosquitto;
  let db: TestDatabase;
  let dataDir: string;
  const replicas: Replica[] = [];
  let token = '';

  const get = async (r: Replica, path: string) => {
    const res = await fetch(`${r.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return res.json() as Promise<any>;
  };
  const metrics = (r: Replica) =>
    get(r, '/api/metrics') as Promise<{ counters: Record<string, number>; gauges: Record<string, number> }>;

  async function startReplica(): Promise<Replica> {
    const httpPort = await freePort();
    const proc = homeostat(
      [
        'server',
        '--data-dir',
        dataDir,
        '--http-port',
        String(httpPort),
        '--database-url',
        db.url,
        '--log-level',
        'warn',
      ],
      {
        HOMEOSTAT_BROKER_MODE: 'external',
        HOMEOSTAT_BROKER_URL: m.url,
        HOMEOSTAT_BROKER_USERNAME: m.admin.username,
        HOMEOSTAT_BROKER_PASSWORD: m.admin.password,
        HOMEOSTAT_BROKER_DYNSEC: 'true',
        HOMEOSTAT_LEADER_RETRY: '500ms',
      },
    );
    const line = await waitForLine(proc, (l) => l.includes('"listening"'), 60_000, 'replica listening');
    return { proc, url: (JSON.parse(line) as { httpUrl: string }).httpUrl };
  }

  before(async () => {
    m = await startMosquitto();
    db = await createTestDatabase();
    // Replicas share the data directory's signing key and model files (docs/scale-out.md).
    dataDir = mkdtempSync(join(tmpdir(), 'homeostat-replicas-'));
    replicas.push(await startReplica()); // first: creates the admin
    token = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')).apiToken;
    replicas.push(await startReplica());
  });
  after(async () => {
    for (const r of replicas) await r.proc.kill('SIGKILL');
    await m?.stop();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL of the leader mid-stream: every seq stored once, singletons and SSE carry on', async () => {
    // Exactly one leader.
    const leaders = await until('one leader', 20_000, async () => {
      const g = await Promise.all(replicas.map(async (r) => (await metrics(r)).gauges['replica.leader']));
      return g.filter((x) => x === 1).length === 1 ? g : null;
    });
    const victim = replicas[leaders.indexOf(1)]!;
    const survivor = replicas[leaders.indexOf(0)]!;

    // Enrollment (through the victim) creates the agent's Mosquitto client.
    const tok = await fetch(`${victim.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    }).then((r) => r.json() as Promise<{ token: string }>);
    const enrolled = await fetch(`${victim.url}/api/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tok.token, hostname: 'replica-agent', agentVersion: '0.1.0' }),
    }).then((r) => r.json() as Promise<{ agentId: string; secret: string; mqttUrl: string }>);
    assert.equal(enrolled.mqttUrl, m.url);

    const stream = openStream(survivor.url, token, enrolled.agentId);
    await until('SSE hello', 10_000, async () => stream.ready());

    const dir = mkdtempSync(join(tmpdir(), 'homeostat-replica-agent-'));
    const outbox = openSqliteOutbox(join(dir, 'outbox.db'), {
      maxBytes: 1 << 24,
      maxRecords: 100_000,
      synchronous: 'normal',
    });
    const link: Link = createLink({
      agentId: enrolled.agentId,
      secret: enrolled.secret,
      mqttUrl: enrolled.mqttUrl,
      agentVersion: '0.1.0',
      outbox,
      logger: pino({ level: 'silent' }),
      backoff: { baseMs: 50, capMs: 500 },
      batch: { maxRecords: 5 },
      ackTimeoutMs: 3000, // a batch the dead replica took is sent again after this
      connectTimeoutMs: 5000,
    });
    link.start();
    try {
      const sample = (seq: number) => ({
        ts: BASE_TS + seq,
        schema: 'hs-features/1',
        features: { 'cpu.util_pct': seq % 100, 'mem.used_pct': null },
        collectors: { test: 'ok' },
      });
      let appended = 0;
      const append = async (to: number) => {
        while (appended < to) {
          outbox.append('telemetry', sample(++appended));
          link.notify();
          await new Promise((r) => setTimeout(r, 15));
        }
      };
      await append(150);
      // Before the kill the survivor's stream has shown samples the other replica committed.
      await until('survivor committed some, its stream shows more', 20_000, async () => {
        const local = (await metrics(survivor)).counters['ingest.samples.accepted'] ?? 0;
        return local > 0 && stream.ts.size > local ? true : null;
      });
      const ticksBefore = (await metrics(survivor)).counters['fleet.ticks'] ?? 0;
      assert.equal(ticksBefore, 0, 'the follower ran no fleet tick');
      // Killed while the agent is publishing: batches in flight to the victim are never acked and come again.
      const appending = append(TOTAL);
      await until('agent mid-stream', 20_000, async () => appended >= 180);
      await victim.proc.kill('SIGKILL');
      const killedAt = Date.now();
      const ledAfterMs = until('survivor leads', 15_000, async () =>
        (await metrics(survivor)).gauges['replica.leader'] === 1 ? Date.now() - killedAt : null,
      );
      await appending;
      await until('outbox drained (every record acked)', 60_000, async () => outbox.stats().depth === 0).catch(
        async (err) => {
          const mm = await metrics(survivor).catch((e) => String(e));
          process.stderr.write(
            `# DEBUG depth=${outbox.stats().depth} peek=${JSON.stringify(outbox.peek(5).map((r) => r.seq))} link=${JSON.stringify(link.status())}\n# metrics=${JSON.stringify(mm)}\n# survivor stderr=${survivor.proc.stderr.slice(-30).join('\n')}\n# mosq=${m.log().slice(-3000)}\n`,
          );
          throw err;
        },
      );

      const page = await get(survivor, `/api/hosts/${enrolled.agentId}/samples?order=asc&limit=1000`);
      const seqs = (page.samples as { seq: number }[]).map((s) => s.seq);
      assert.equal(seqs.length, TOTAL, 'every seq stored once');
      assert.deepEqual(
        seqs,
        Array.from({ length: TOTAL }, (_, i) => i + 1),
      );

      // Singletons moved: the survivor leads and runs the fleet tick (rollouts + correlation).
      const leadAfterMs = await ledAfterMs;
      await until('survivor ticks', 15_000, async () => ((await metrics(survivor)).counters['fleet.ticks'] ?? 0) > 0);
      // Its SSE client kept receiving: samples appended after the kill arrived live.
      await until('live samples after the kill', 10_000, async () => stream.ts.has(BASE_TS + TOTAL));
      const dup = (await metrics(survivor)).counters['ingest.samples.duplicates'] ?? 0;
      process.stderr.write(
        `# failover: survivor led ${leadAfterMs} ms after the SIGKILL (leaderRetry 500ms); ${dup} re-sent samples were duplicates\n`,
      );
    } finally {
      await link.stop();
      outbox.close();
      await stream.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
