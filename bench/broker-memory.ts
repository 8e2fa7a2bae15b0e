/**
 * Memory per connected agent in the embedded mode, measured inside the control plane (not from RSS alone, which
 * also moves with uncollected garbage and V8's young-generation sizing): the control plane runs as its own process
 * with the inspector on (127.0.0.1, random port); the benchmark forces a full GC through it and reads
 * `process.memoryUsage()` before and after N idle agents connect from another process, shaped as the agent's link
 * connects (clean session, keepalive 30 s, a retained presence will, subscribed to its command topic and the fleet
 * wildcard, then publishing its retained `online` presence).
 *
 *   npx tsx bench/broker-memory.ts --agents 1000 [--snapshots dir] [--json]
 *     --snapshots dir   also write a heap snapshot before and after connecting (for a diff by constructor:
 *                       bench/heap-diff.ts before.heapsnapshot after.heapsnapshot)
 *     --like bench      connect as bench/link-agents.ts does (keepalive 60 s, no will, command topic only)
 *     --checkout dir    run the control plane of another checkout (a before/after comparison on one machine)
 *     --no-warmup       no warm-up round (100 agents connecting and leaving) before the idle figure
 *
 * Reported per connection (KB): heap used and external memory after a full GC, and RSS growth (as bench/link.ts's
 * `memoryPerConnectionKb`, which measures RSS growth without a GC).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { openStore } from '../control-plane/store/prisma-store.ts';
import { hashRandomSecret } from '../control-plane/keys/secrets.ts';
import { agentTopic, commandTopic, FLEET_WILDCARD } from '../contract/protocol/index.ts';
import { inspector, inspectorUrl, type Memory } from './inspector.ts';

if (process.argv[2] === '--child') {
  // Load-generator process: connects the agents it is sent, reports when all are subscribed, then idles.
  process.once('message', (m: { url: string; ids: string[]; secret: string; like: string }) => {
    let ready = 0;
    const clients = m.ids.map((id) => {
      const agentLike = m.like !== 'bench';
      const c = mqtt.connect(m.url, {
        clientId: id,
        username: id,
        password: m.secret,
        clean: true,
        protocolVersion: 4,
        keepalive: agentLike ? 30 : 60,
        reconnectPeriod: 0,
        connectTimeout: 120_000,
        ...(agentLike
          ? {
              will: {
                topic: agentTopic(id, 'presence'),
                payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', ts: Date.now() })),
                qos: 1 as const,
                retain: true,
              },
            }
          : {}),
      });
      c.on('error', (err) => process.send?.({ type: 'error', message: err.message }));
      c.once('connect', () => {
        c.subscribe(agentLike ? [commandTopic(id), FLEET_WILDCARD] : [commandTopic(id)], { qos: 1 }, () => {
          if (!agentLike) {
            if (++ready === m.ids.length) process.send?.({ type: 'connected' });
            return;
          }
          // As the agent's link: retained presence after subscribing.
          const online = JSON.stringify({ v: 1, state: 'online', ts: Date.now(), agentVersion: 'bench' });
          c.publish(agentTopic(id, 'presence'), online, { qos: 1, retain: true }, () => {
            if (++ready === m.ids.length) process.send?.({ type: 'connected' });
          });
        });
      });
      return c;
    });
    process.once('disconnect', () => {
      for (const c of clients) c.end(true);
      process.exit(0);
    });
  });
} else {
  await main();
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      agents: { type: 'string', default: '1000' },
      snapshots: { type: 'string' },
      like: { type: 'string', default: 'agent' },
      settle: { type: 'string', default: '3' },
      'no-warmup': { type: 'boolean', default: false },
      checkout: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const N = Number(args.agents);
  const say = (s: string) => {
    if (!args.json) process.stderr.write(`${s}\n`);
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-bench-brokermem-'));
  const store = await openStore({ provider: 'sqlite', file: join(dataDir, 'homeostat.db') });
  const run = Date.now().toString(36);
  const tokenId = `et-bench-${run}`;
  await store.tokens.create({
    id: tokenId,
    tokenHash: hashRandomSecret(`bench-token-secret-for-memory-${run}`),
    labels: {},
    maxUses: N + 100,
    expiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  const secret = 'bench-secret-shared-by-all-agents';
  const secretHash = hashRandomSecret(secret);
  const ids: string[] = [];
  for (let i = 0; i < N + 100; i++) {
    const id = `mem-${run}-${String(i).padStart(6, '0')}`;
    await store.tokens.redeem(
      tokenId,
      new Date(),
      { id, hostname: `${id}.bench`, labels: {}, agentVersion: 'bench' },
      secretHash,
    );
    ids.push(id);
  }
  await store.close();

  const BIN = join(args.checkout ?? join(import.meta.dirname, '..'), 'control-plane', 'cli', 'homeostat.mjs');
  const cp = spawn(
    process.execPath,
    [
      '--inspect=127.0.0.1:0',
      BIN,
      'server',
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--ws-port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOMEOSTAT_BROKER_MAX_CONNECTIONS: '1000000',
        HOMEOSTAT_BROKER_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      },
    },
  );
  const children: ChildProcess[] = [cp];
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const cdpUrl = inspectorUrl(cp.stderr!);
    const urls = await new Promise<{ mqttUrl: string }>((resolve, reject) => {
      createInterface({ input: cp.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
      cp.once('exit', (c) => reject(new Error(`control plane exited ${c}`)));
    });
    const cdp = await inspector(await cdpUrl);
    const connectSome = async (some: string[]) => {
      const child = fork(import.meta.filename, ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.on('message', (m: { type: string; message?: string }) => {
          if (m.type === 'connected') resolve();
          else if (m.type === 'error') reject(new Error(`agent: ${m.message}`));
        });
        child.once('exit', (c) => reject(new Error(`load generator exited ${c}`)));
        child.send({ url: urls.mqttUrl, ids: some, secret, like: args.like });
      });
      return child;
    };
    const settle = () => new Promise((r) => setTimeout(r, Number(args.settle) * 1000));
    // Warm-up: 100 agents connect and leave, so code and caches that every first connection creates are in the idle
    // figure, not spread over the N connections.
    if (!args['no-warmup']) {
      const warm = await connectSome(ids.slice(N));
      await settle();
      warm.disconnect();
      await new Promise((r) => warm.once('exit', r));
      await settle();
    }
    const idle = await cdp.memory();
    if (args.snapshots) await cdp.snapshot(join(args.snapshots, 'before.heapsnapshot'));
    const t0 = performance.now();
    const load = await connectSome(ids.slice(0, N));
    const connectS = (performance.now() - t0) / 1000;
    await settle();
    const connected = await cdp.memory();
    if (args.snapshots) await cdp.snapshot(join(args.snapshots, 'after.heapsnapshot'));
    const kb = (k: keyof Memory | 'rssBeforeGc') => Math.round(((connected[k] - idle[k]) / 1024 / N) * 10) / 10;
    const result = {
      agents: N,
      like: args.like,
      connectS: Math.round(connectS * 10) / 10,
      perConnectionKb: {
        heapUsed: kb('heapUsed'),
        external: kb('external'),
        arrayBuffers: kb('arrayBuffers'),
        rss: kb('rss'),
        rssBeforeGc: kb('rssBeforeGc'),
      },
      idleMb: Math.round(idle.rss / 1048576),
      connectedMb: Math.round(connected.rss / 1048576),
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else say(JSON.stringify(result, null, 1));
    load.disconnect();
    cdp.close();
  } finally {
    cleanup();
  }
}
