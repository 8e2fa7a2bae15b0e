/**
 * M1 (SIGTERM part): `homeostat server` under sustained ingest load — several agents publishing large telemetry
 * batches as fast as the broker takes them, one of them mixing in poison (lone surrogates) — exits on SIGTERM
 * within its drain deadline, gracefully (exit code 0, not the 30 s forced exit). The finding measured 64-110 s with
 * a 10 s ingest drain deadline. The assertion allows the forced-exit budget (30 s) on a busy CI box; the measured
 * figure is printed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { agentTopic } from '../../contract/protocol/index.ts';
import { adminToken, api, poll, startServer, type Proc } from '../integration/harness.ts';

const AGENTS = 6;
const PER_MESSAGE = 200;
/** What server-command.ts gives a drain before it forces exit(1). */
const FORCED_EXIT_MS = 30_000;

const dir = mkdtempSync(join(tmpdir(), 'hs-sigterm-'));
const procs: Proc[] = [];
const clients: MqttClient[] = [];
after(async () => {
  for (const c of clients) c.end(true);
  for (const p of procs) await p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('M1: SIGTERM under ingest load', () => {
  it('M1: the control plane exits 0 within its drain deadline while agents flood it (incl. poison)', async () => {
    const tStart = Date.now();
    const { proc, info } = await startServer(join(dir, 'cp'));
    procs.push(proc);
    const token = await adminToken(join(dir, 'cp'));
    const tok = await api(info.httpUrl, token, 'POST', '/api/tokens', { uses: AGENTS });
    assert.equal(tok.status, 201);
    process.stdout.write(`# server up after ${Date.now() - tStart} ms\n`);
    let stop = false;
    const loops: Promise<void>[] = [];
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const res = await fetch(`${info.httpUrl}/api/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: tok.body.token, hostname: `load-${i}`, agentVersion: '0.1.0' }),
      });
      const e = (await res.json()) as { agentId: string; secret: string; mqttUrl: string };
      assert.equal(res.status, 201, JSON.stringify(e));
      agentIds.push(e.agentId);
      const c = mqtt.connect(e.mqttUrl, {
        clientId: e.agentId,
        username: e.agentId,
        password: e.secret,
        reconnectPeriod: 0,
      });
      clients.push(c);
      c.on('error', () => {});
      await new Promise<void>((r, j) => {
        c.once('connect', () => r());
        c.once('error', j);
      });
      const poison = i === 0;
      loops.push(
        (async () => {
          let seq = 0;
          while (!stop && c.connected) {
            const samples = Array.from({ length: PER_MESSAGE }, () => {
              seq++;
              return {
                seq,
                ts: 1_700_000_000_000 + seq,
                schema: 'host-v1',
                features: { 'cpu.util': seq % 100, 'mem.used_pct': 50 },
                collectors: { proc: poison && seq % 7 === 0 ? 'cut \ud800 here' : 'ok' },
              };
            });
            await c
              .publishAsync(agentTopic(e.agentId, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 })
              .catch(() => {});
          }
        })(),
      );
    }
    // the load is real: samples are being committed for every agent
    await poll(
      async () => {
        for (const id of agentIds) {
          const r = await api(info.httpUrl, token, 'GET', `/api/hosts/${id}/samples?limit=1`);
          if (!r.body?.samples?.length) return false;
        }
        return true;
      },
      120_000,
      'samples stored for every agent',
    );
    process.stdout.write(`# load running after ${Date.now() - tStart} ms\n`);
    // let the queue fill up for a moment
    await new Promise((r) => setTimeout(r, 2_000));
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const code = await Promise.race([
      proc.exited,
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), FORCED_EXIT_MS + 30_000).unref()),
    ]);
    const elapsed = Date.now() - t0;
    stop = true;
    // in-flight publishes of a closed connection never settle: end the clients, do not wait for their loops
    for (const c of clients) c.end(true);
    void loops;
    process.stdout.write(`# SIGTERM under load: exited ${code} after ${elapsed} ms\n`);
    assert.notEqual(code, 'hung', `still running ${elapsed} ms after SIGTERM`);
    assert.equal(code, 0, `exit code ${code} after ${elapsed} ms: ${proc.stderr.join('\n')}`);
    assert.ok(elapsed < FORCED_EXIT_MS, `${elapsed} ms`);
  });
});
