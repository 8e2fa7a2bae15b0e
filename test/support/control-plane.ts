/**
 * Test helpers: an embedded control plane in a temp data dir on ephemeral ports, enrollment through the real API and
 * real MQTT clients over loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import {
  createControlPlane,
  type ControlPlane,
  type StartResult,
  type ControlPlaneOptions,
} from '../../control-plane/server.ts';
import { commandTopic } from '../../contract/protocol/index.ts';

export type TestControlPlane = {
  cp: ControlPlane;
  urls: StartResult;
  dataDir: string;
  adminToken: string;
  close(): Promise<void>;
};

export async function startTestControlPlane(options: ControlPlaneOptions = {}): Promise<TestControlPlane> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'homeostat-cp-'));
  const cp = await createControlPlane({
    dataDir,
    httpPort: 0,
    mqttPort: 0,
    wsPort: 0,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  });
  const urls = await cp.start();
  const adminToken = urls.adminCredentials?.apiToken ?? '';
  return {
    cp,
    urls,
    dataDir,
    adminToken,
    async close() {
      await cp.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function api(
  t: TestControlPlane,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = t.adminToken,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.urls.httpUrl}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export type Enrolled = {
  agentId: string;
  secret: string;
  mqttUrl: string;
  wsUrl: string;
  publicKey: string;
  labels: Record<string, string>;
};

/** Creates a token and enrolls one host through the API. */
export async function enroll(
  t: TestControlPlane,
  hostname = 'web-1',
  tokenBody: unknown = { labels: { rack: 'r1' } },
): Promise<Enrolled> {
  const tok = await api(t, 'POST', '/api/tokens', tokenBody);
  if (tok.status !== 201) throw new Error(`token create failed: ${JSON.stringify(tok.body)}`);
  const res = await api(t, 'POST', '/api/enroll', { token: tok.body.token, hostname, agentVersion: '0.1.0' }, null);
  if (res.status !== 201) throw new Error(`enroll failed: ${JSON.stringify(res.body)}`);
  return res.body as Enrolled;
}

/** Connects as an agent (clientId = username = agentId); rejects on CONNACK refusal. */
export function connectAgent(
  url: string,
  agentId: string,
  secret: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: agentId,
      username: agentId,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before connect')));
  });
}

/** Subscribes to the agent's command topic and collects commands. */
export async function collectCommands(
  c: MqttClient,
  agentId: string,
): Promise<{ commands: any[]; next(pred?: (cmd: any) => boolean, timeoutMs?: number): Promise<any> }> {
  const commands: any[] = [];
  const waiters: { pred: (c: any) => boolean; resolve: (c: any) => void }[] = [];
  c.on('message', (topic, payload) => {
    if (topic !== commandTopic(agentId)) return;
    const cmd = JSON.parse(payload.toString());
    commands.push(cmd);
    for (const w of [...waiters])
      if (w.pred(cmd)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(cmd);
      }
  });
  await c.subscribeAsync(commandTopic(agentId), { qos: 1 });
  return {
    commands,
    next(pred = () => true, timeoutMs = 10_000) {
      const found = commands.find(pred);
      if (found) {
        commands.splice(commands.indexOf(found), 1);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (cmd: any) => {
            clearTimeout(timer);
            commands.splice(commands.indexOf(cmd), 1);
            resolve(cmd);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error('no matching command in time'));
        }, timeoutMs);
        waiters.push(w);
      });
    },
  };
}

/** Polls `check` until it returns a truthy value (bounded; for DB/presence state reached asynchronously). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  stepMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A telemetry payload with the given seqs. */
export function telemetry(seqs: number[], ts = Date.now()) {
  return JSON.stringify({
    v: 1,
    samples: seqs.map((seq) => ({
      seq,
      ts: ts + seq,
      schema: 'host-v1',
      features: { 'cpu.util': 0.5, 'mem.used': null },
    })),
  });
}
