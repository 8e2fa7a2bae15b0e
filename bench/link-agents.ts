/**
 * Load-generator process of the link benchmark (forked by bench/link.ts, IPC channel with 'advanced' serialization).
 * Runs a share of the simulated agents as real mqtt.js clients so the generator's own event loop is split over
 * several processes and does not throttle what is measured.
 *
 * Protocol (parent → worker): `{type:'start', …WorkerConfig}` → worker replies `{type:'connected', …}` once every
 * agent is connected and subscribed; `{type:'go', windowStart, windowEnd, drainMs}` → agents publish until windowEnd,
 * then wait up to drainMs for outstanding acks and reply `{type:'result', …WorkerResult}` and exit.
 * Times exchanged between processes are epoch milliseconds (performance.timeOrigin + performance.now()).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { agentTopic, commandTopic } from '../contract/protocol/index.ts';

export type WorkerConfig = {
  mqttUrl: string;
  ids: string[];
  secret: string;
  /** Connects are spread uniformly at random over this many ms (jittered ramp). */
  rampMs: number;
  /** ms between messages of one agent; null = closed loop at `inflight` messages outstanding per agent (max rate). */
  intervalMs: number | null;
  inflight: number;
  batch: number;
};

export type WorkerResult = {
  /** publish → ack latencies (ms) of samples published inside the window. */
  latencies: Float64Array;
  /** Samples whose ack arrived inside the window. */
  ackedInWindow: number;
  publishedInWindow: number;
  /** Samples published inside the window and still un-acked after the drain. */
  unacked: number;
  /** Their ages (ms) at the end of the drain: lower bounds of their latencies. */
  unackedAges: Float64Array;
  reconnects: number;
  connectMs: Float64Array;
};

const nowMs = () => performance.timeOrigin + performance.now();

type Agent = { id: string; client: MqttClient; seq: number; outstanding: Map<number, number>; inFlightMsgs: number };

function run(
  cfg: WorkerConfig,
  send: (m: unknown, done?: () => void) => void,
  onGo: (cb: (go: { windowStart: number; windowEnd: number; drainMs: number }) => void) => void,
): void {
  const agents: Agent[] = [];
  const latencies: number[] = [];
  const connectMs: number[] = [];
  let ackedInWindow = 0,
    publishedInWindow = 0,
    reconnects = 0;
  let window = { start: Infinity, end: Infinity };
  let publishing = false;
  let t0 = nowMs();

  const publish = (a: Agent) => {
    const ts = Date.now();
    const samples = [];
    for (let k = 0; k < cfg.batch; k++)
      samples.push({
        seq: ++a.seq,
        ts,
        schema: 'host-v1',
        features: { 'cpu.util': Math.random(), 'mem.used': Math.random() * 1e9, 'disk.temp': null },
      });
    const at = nowMs();
    for (const s of samples) a.outstanding.set(s.seq, at);
    if (at >= window.start && at < window.end) publishedInWindow += samples.length;
    a.inFlightMsgs++;
    a.client.publish(agentTopic(a.id, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 });
  };

  const onAck = (a: Agent, ranges: [number, number][]) => {
    const at = nowMs();
    let n = 0;
    for (const [first, last] of ranges)
      for (let s = first; s <= last; s++) {
        const sent = a.outstanding.get(s);
        if (sent === undefined) continue;
        a.outstanding.delete(s);
        n++;
        if (at >= window.start && at < window.end) ackedInWindow++;
        if (sent >= window.start && sent < window.end) latencies.push(at - sent);
      }
    a.inFlightMsgs = Math.ceil(a.outstanding.size / cfg.batch);
    if (cfg.intervalMs === null && publishing) while (a.inFlightMsgs < cfg.inflight) publish(a);
    return n;
  };

  let connected = 0;
  for (const id of cfg.ids) {
    setTimeout(() => {
      const started = nowMs();
      const client = mqtt.connect(cfg.mqttUrl, {
        clientId: id,
        username: id,
        password: cfg.secret,
        reconnectPeriod: 1000 + Math.random() * 1000,
        connectTimeout: 120_000,
        clean: true,
        keepalive: 60,
      });
      const a: Agent = { id, client, seq: 0, outstanding: new Map(), inFlightMsgs: 0 };
      agents.push(a);
      client.on('reconnect', () => {
        reconnects++;
      });
      client.on('error', () => {
        /* counted through reconnects; mqtt.js retries */
      });
      client.on('message', (_topic, payload) => {
        const cmd = JSON.parse(payload.toString()) as { type: string; ranges?: [number, number][] };
        if (cmd.type === 'ack' && cmd.ranges) onAck(a, cmd.ranges);
      });
      client.once('connect', () => {
        client.subscribe(commandTopic(id), { qos: 1 }, () => {
          connectMs.push(nowMs() - started);
          if (++connected === cfg.ids.length) send({ type: 'connected', ms: nowMs() - t0 });
        });
      });
    }, Math.random() * cfg.rampMs);
  }

  onGo(({ windowStart, windowEnd, drainMs }) => {
    window = { start: windowStart, end: windowEnd };
    publishing = true;
    const timers: NodeJS.Timeout[] = [];
    if (cfg.intervalMs === null) {
      for (const a of agents) for (let i = 0; i < cfg.inflight; i++) publish(a);
    } else {
      const interval = cfg.intervalMs;
      // Each agent starts at a random phase of the interval, then keeps its own drift-free schedule.
      for (const a of agents) {
        let next = nowMs() + Math.random() * interval;
        const tick = () => {
          if (!publishing) return;
          publish(a);
          next += interval;
          timers.push(setTimeout(tick, Math.max(0, next - nowMs())));
        };
        timers.push(setTimeout(tick, next - nowMs()));
      }
    }
    setTimeout(
      () => {
        publishing = false;
        for (const t of timers) clearTimeout(t);
        const deadline = nowMs() + drainMs;
        const finish = () => {
          const end = nowMs();
          const ages = agents.flatMap((a) =>
            [...a.outstanding.values()].filter((t) => t >= windowStart && t < windowEnd).map((t) => end - t),
          );
          const unacked = ages.length;
          if (unacked > 0 && end < deadline) {
            setTimeout(finish, 100);
            return;
          }
          // Exit only once the (large) result is flushed to the parent.
          send(
            {
              type: 'result',
              latencies: Float64Array.from(latencies),
              ackedInWindow,
              publishedInWindow,
              unacked,
              unackedAges: Float64Array.from(ages),
              reconnects,
              connectMs: Float64Array.from(connectMs),
            } satisfies WorkerResult & { type: string },
            () => {
              Promise.all(agents.map((a) => a.client.endAsync(true))).finally(() => process.exit(0));
            },
          );
        };
        finish();
      },
      Math.max(0, windowEnd - nowMs()),
    );
  });
  t0 = nowMs();
}

if (process.send) {
  const send = (m: unknown, done?: () => void) => {
    process.send!(m, undefined, {}, () => done?.());
  };
  let goHandler: ((go: { windowStart: number; windowEnd: number; drainMs: number }) => void) | null = null;
  process.on('message', (m: { type: string } & Record<string, unknown>) => {
    if (m.type === 'start')
      run(m as unknown as WorkerConfig, send, (cb) => {
        goHandler = cb;
      });
    else if (m.type === 'go') goHandler?.(m as unknown as { windowStart: number; windowEnd: number; drainMs: number });
  });
  process.on('disconnect', () => process.exit(0));
}
