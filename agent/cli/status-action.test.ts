/**
 * `homeostat-agent status` (issue 13, F1/F2), run as the real CLI over a state dir: the MQTT URL shown is the one the
 * agent connects to (server.mqttUrl overrides the enrolled one), and a link error is shown with its time, marked as
 * earlier when the link connected since.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCredentials } from '../enroll/credentials.ts';
import { writeStatus, type AgentStatus } from '../status/status-file.ts';
import { runAgent } from '../../test/integration/harness.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'agent-status-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const now = Date.now();
saveCredentials(stateDir, {
  agentId: 'agent-f1',
  secret: 's3cret',
  server: 'http://127.0.0.1:8080',
  mqttUrl: 'mqtt://10.0.0.1:1883',
  publicKey: 'k',
  labels: {},
  hostname: 'h',
  enrolledAt: now - 3_600_000,
});
const status = (link: Partial<AgentStatus['link']>): AgentStatus => ({
  pid: process.pid, // alive: the status counts as the running agent's
  agentId: 'agent-f1',
  agentVersion: '0.1.0',
  startedAt: now - 120_000,
  updatedAt: now,
  state: 'running',
  link: {
    state: 'connected',
    connectedAt: now - 30_000,
    lastAckAt: now - 1_000,
    lastAckSeq: 7,
    inflight: 0,
    reconnects: 1,
    lastError: null,
    ...link,
  },
  outbox: { depth: 0, bytes: 0, lastSeq: 7, droppedTotal: 0 },
  cycles: 7,
  lastCycle: null,
  lastError: null,
});

describe('homeostat-agent status', () => {
  it('F1: shows the effective MQTT URL (server.mqttUrl), naming the enrolled one', async () => {
    writeStatus(stateDir, status({}));
    const env = { HOMEOSTAT_AGENT_SERVER__MQTT_URL: 'mqtt://public.example:8883' };
    const r = await runAgent(['status', '--state-dir', stateDir], 60_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^mqtt: +mqtt:\/\/public\.example:8883 \(server\.mqttUrl; enrolled with mqtt:\/\/10\.0\.0\.1:1883\)$/m,
    );
    // the running link's own URL wins over the config read now
    writeStatus(stateDir, status({ url: 'mqtt://running.example:1883' }));
    const running = await runAgent(['status', '--state-dir', stateDir], 60_000, env);
    assert.match(running.stdout, /^mqtt: +mqtt:\/\/running\.example:1883 /m);
    const plain = await runAgent(['status', '--state-dir', stateDir], 60_000);
    assert.match(plain.stdout, /^mqtt: +mqtt:\/\/running\.example:1883/m);
  });

  it('F2: an error from before the current connection is shown with its time as earlier; a fresh one as last', async () => {
    const errAt = now - 60_000;
    writeStatus(stateDir, status({ lastError: 'connect ECONNREFUSED', lastErrorAt: errAt }));
    const r = await runAgent(['status', '--state-dir', stateDir], 60_000);
    const iso = new Date(errAt).toISOString();
    assert.match(
      r.stdout,
      new RegExp(
        `^connection: +connected \\(earlier error, before connecting at ${iso}.*: connect ECONNREFUSED\\)$`,
        'm',
      ),
    );
    writeStatus(
      stateDir,
      status({ state: 'disconnected', lastError: 'connect ECONNREFUSED', lastErrorAt: now - 1_000 }),
    );
    const down = await runAgent(['status', '--state-dir', stateDir], 60_000);
    assert.match(down.stdout, /^connection: +disconnected \(last error at \S+ \(\d+ s ago\): connect ECONNREFUSED\)$/m);
  });
});
