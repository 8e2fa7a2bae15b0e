/**
 * Load-generator process of the link benchmark (forked by bench/link.ts, IPC channel with 'advanced' serialization).
 * Runs a share of the simulated agents as real mqtt.js clients, so the generator's event loops are other processes
 * than the control plane and broker being measured.
 *
 * Each simulated agent behaves as the agent's link (agent/link/mqtt-link.ts) does: samples go into an outbox and
 * leave it only on the control plane's `ack` command; at most `windowRecords` records are in flight; a message holds
 * up to 500 records and 192 KiB; with no ack for `ackTimeoutMs` (and after every reconnect) every un-acked record is
 * sent again. A `busy` command (the control plane refused records unread) pauses the agent for `refusalDelay` (the
 * agent's own backoff: at least its retryAfterMs, doubled per refusal in a row, jittered, capped), then exactly the
 * refused records are sent again before new ones. A refused or delayed message is therefore never lost.
 * Latency is measured from the sample's creation (outbox append) to its ack.
 *
 * Protocol (parent → worker): `{type:'start', …WorkerConfig}` → `{type:'connected', ms}` once every agent is connected
 * and subscribed (and `{type:'recovered', ms}` once every backlog record is acked); `{type:'go', windowStart,
 * windowEnd, drainMs}` → agents produce until windowEnd, then wait up to drainMs for outstanding acks, reply
 * `{type:'result', …WorkerResult}` and exit. Times exchanged between processes are epoch milliseconds.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { agentTopic, commandTopic } from '../contract/protocol/index.ts';
import { refusalDelay } from '../agent/link/backoff.ts';
import { createInFlight, type InFlight } from '../agent/link/inflight.ts';

export type WorkerConfig = {
  mqttUrl: string;
  agents: { id: string; secret: string }[];
  /** Connects are spread uniformly at random over this many ms (jittered ramp; 0 = all at once, a storm). */
  rampMs: number;
  /** ms between samples of one agent; null = closed loop with `inflight` messages of `batch` samples outstanding. */
  intervalMs: number | null;
  inflight: number;
  batch: number;
  /** One sample's JSON after `"ts":<ts>,` (the rest of the body, starting with its next key, closing brace included). */
  sampleRest: string;
  /** Records already in every agent's outbox when it connects (a reconnect storm after an outage). */
  backlog: number;
  windowRecords: number;
  /** Messages with un-acked records at most (the agent's windowMessages): under load, records batch up meanwhile. */
  windowMessages: number;
  ackTimeoutMs: number;
};

export type WorkerResult = {
  /** creation → ack latencies (ms) of samples created inside the window. */
  latencies: Float64Array;
  /** Samples whose ack arrived inside the window. */
  ackedInWindow: number;
  createdInWindow: number;
  /** MQTT messages (and their bytes) published inside the window, replays included. */
  messagesInWindow: number;
  bytesInWindow: number;
  /** Samples created inside the window and still un-acked after the drain, and their ages then (lower bounds). */
  unacked: number;
  unackedAges: Float64Array;
  reconnects: number;
  /** Times an agent replayed its in-flight records because no ack came within ackTimeoutMs. */
  ackTimeouts: number;
  /** `busy` commands received, and the records they refused. */
  busy: number;
  busyRecords: number;
  /** Client errors by message (connection refused, …). */
  errors: Record<string, number>;
  connectMs: Float64Array;
};

const nowMs = () => performance.timeOrigin + performance.now();
const MAX_RECORDS = 500;
const MAX_BYTES = 192 * 1024;

type Agent = {
  id: string;
  client: MqttClient;
  nextSeq: number;
  /** Outbox: seq → creation time, in seq order (Map keeps insertion order). */
  outbox: Map<number, number>;
  lastSentSeq: number;
  inflight: InFlight;
  lastProgressAt: number;
  ready: boolean;
  backlogLeft: number;
  /** Refused by `busy`, sent again (first) once the pause is over. */
  refused: Set<number>;
  refusalsInRow: number;
  pausedUntil: number;
  pauseTimer: NodeJS.Timeout | null;
};

function run(
  cfg: WorkerConfig,
  send: (m: unknown, done?: () => void) => void,
  onGo: (cb: (go: { windowStart: number; windowEnd: number; drainMs: number }) => void) => void,
): void {
  const agents: Agent[] = [];
  const latencies: number[] = [];
  const connectMs: number[] = [];
  const errors: Record<string, number> = {};
  let ackedInWindow = 0,
    createdInWindow = 0,
    messagesInWindow = 0,
    bytesInWindow = 0,
    reconnects = 0,
    ackTimeouts = 0,
    busy = 0,
    busyRecords = 0,
    backlogLeft = cfg.agents.length * cfg.backlog;
  let window = { start: Infinity, end: Infinity };
  let producing = false;
  const t0 = nowMs();
  const sampleBytes = cfg.sampleRest.length + 40;
  const perMessage = Math.max(1, Math.min(MAX_RECORDS, Math.floor(MAX_BYTES / sampleBytes)));

  const append = (a: Agent, n: number) => {
    const at = nowMs();
    for (let k = 0; k < n; k++) a.outbox.set(++a.nextSeq, at);
    if (at >= window.start && at < window.end) createdInWindow += n;
  };

  const pump = (a: Agent) => {
    if (!a.ready || nowMs() < a.pausedUntil) return;
    while (a.inflight.size < cfg.windowRecords && a.inflight.messages < cfg.windowMessages) {
      const parts: string[] = [];
      const seqs: number[] = [];
      const room = () => parts.length < perMessage && parts.length < cfg.windowRecords - a.inflight.size;
      // Refused records first, exactly those, then what was never sent.
      if (a.refused.size > 0)
        for (const seq of [...a.refused].sort((x, y) => x - y)) {
          if (!room()) break;
          a.refused.delete(seq);
          const at = a.outbox.get(seq);
          if (at === undefined) continue;
          parts.push(`{"seq":${seq},"ts":${Math.round(at)},${cfg.sampleRest}`);
          seqs.push(seq);
        }
      if (parts.length === 0)
        for (const [seq, at] of a.outbox) {
          if (seq <= a.lastSentSeq) continue;
          if (!room()) break;
          parts.push(`{"seq":${seq},"ts":${Math.round(at)},${cfg.sampleRest}`);
          seqs.push(seq);
          a.lastSentSeq = seq;
        }
      if (parts.length === 0) break;
      const payload = `{"v":1,"samples":[${parts.join(',')}]}`;
      const at = nowMs();
      // As the agent's link: the ack timeout runs from the send that made the window non-empty (it arms its timer
      // then), not from the last ack long before; otherwise a sample sent just before a tick of the shared timer
      // counts as timed out after a few milliseconds.
      if (a.inflight.size === 0) a.lastProgressAt = at;
      a.inflight.sent(seqs);
      if (at >= window.start && at < window.end) {
        messagesInWindow++;
        bytesInWindow += payload.length;
      }
      a.client.publish(agentTopic(a.id, 'telemetry'), payload, { qos: 1 });
    }
  };

  /** Replays every un-acked record from the oldest (after a reconnect or an ack timeout), as the agent does. */
  const replay = (a: Agent) => {
    a.lastSentSeq = 0;
    a.inflight.clear();
    a.refused.clear();
    a.lastProgressAt = nowMs();
    pump(a);
  };

  const onAck = (a: Agent, ranges: [number, number][]) => {
    const at = nowMs();
    for (const [first, last] of ranges)
      for (let s = first; s <= last; s++) {
        const created = a.outbox.get(s);
        if (created === undefined) continue;
        a.outbox.delete(s);
        if (!a.inflight.delete(s)) a.refused.delete(s);
        if (at >= window.start && at < window.end) ackedInWindow++;
        if (created >= window.start && created < window.end) latencies.push(at - created);
        if (s <= cfg.backlog && a.backlogLeft > 0) {
          a.backlogLeft--;
          if (--backlogLeft === 0) send({ type: 'recovered', ms: nowMs() - t0 });
        }
      }
    a.lastProgressAt = at;
    a.refusalsInRow = 0;
    if (cfg.intervalMs === null && producing) {
      const want = cfg.inflight * cfg.batch - a.outbox.size;
      if (want > 0) append(a, want);
    }
    pump(a);
  };

  /** The control plane refused these records unread: pause (the agent's backoff), then send exactly them again. */
  const onBusy = (a: Agent, ranges: [number, number][], retryAfterMs: number) => {
    busy++;
    let moved = 0;
    for (const [first, last] of ranges)
      for (let s = first; s <= last; s++)
        if (a.inflight.delete(s)) {
          a.refused.add(s);
          moved++;
        }
    busyRecords += moved;
    a.lastProgressAt = nowMs();
    if (moved === 0) return;
    a.pausedUntil = Math.max(a.pausedUntil, nowMs() + refusalDelay(++a.refusalsInRow, retryAfterMs));
    if (a.pauseTimer) clearTimeout(a.pauseTimer);
    a.pauseTimer = setTimeout(
      () => {
        a.pauseTimer = null;
        pump(a);
      },
      Math.max(0, a.pausedUntil - nowMs()),
    );
  };

  // One timer for every agent's ack timeout (the agent arms one per link; thousands of timers cost the generator).
  const ackTimer = setInterval(() => {
    const at = nowMs();
    for (const a of agents)
      if (a.ready && a.inflight.size > 0 && at - a.lastProgressAt >= cfg.ackTimeoutMs) {
        ackTimeouts++;
        replay(a);
      }
  }, 1000);

  let connected = 0;
  for (const { id, secret } of cfg.agents) {
    const a: Agent = {
      id,
      client: null as unknown as MqttClient,
      nextSeq: 0,
      outbox: new Map(),
      lastSentSeq: 0,
      inflight: createInFlight(),
      lastProgressAt: nowMs(),
      ready: false,
      backlogLeft: cfg.backlog,
      refused: new Set(),
      refusalsInRow: 0,
      pausedUntil: 0,
      pauseTimer: null,
    };
    append(a, cfg.backlog);
    agents.push(a);
    setTimeout(() => {
      const started = nowMs();
      const client = mqtt.connect(cfg.mqttUrl, {
        clientId: id,
        username: id,
        password: secret,
        reconnectPeriod: 1000 + Math.random() * 1000,
        connectTimeout: 120_000,
        clean: true,
        keepalive: 60,
      });
      a.client = client;
      client.on('reconnect', () => {
        reconnects++;
      });
      client.on('error', (err) => {
        const key = err.message.slice(0, 80);
        errors[key] = (errors[key] ?? 0) + 1;
      });
      client.on('close', () => {
        a.ready = false;
      });
      client.on('message', (_topic, payload) => {
        const cmd = JSON.parse(payload.toString()) as {
          type: string;
          ranges?: [number, number][];
          retryAfterMs?: number;
        };
        if (cmd.type === 'ack' && cmd.ranges) onAck(a, cmd.ranges);
        else if (cmd.type === 'busy' && cmd.ranges) onBusy(a, cmd.ranges, cmd.retryAfterMs ?? 1000);
      });
      let first = true;
      client.on('connect', () => {
        client.subscribe(commandTopic(id), { qos: 1 }, () => {
          a.ready = true;
          if (first) {
            first = false;
            connectMs.push(nowMs() - started);
            if (++connected === cfg.agents.length) send({ type: 'connected', ms: nowMs() - t0 });
          }
          replay(a);
        });
      });
    }, Math.random() * cfg.rampMs);
  }
  if (backlogLeft === 0) send({ type: 'recovered', ms: 0 });

  onGo(({ windowStart, windowEnd, drainMs }) => {
    window = { start: windowStart, end: windowEnd };
    producing = true;
    const timers: NodeJS.Timeout[] = [];
    if (cfg.intervalMs === null) {
      for (const a of agents) {
        append(a, cfg.inflight * cfg.batch);
        pump(a);
      }
    } else {
      const interval = cfg.intervalMs;
      // Each agent starts at a random phase of the interval, then keeps its own drift-free schedule.
      for (const a of agents) {
        let next = nowMs() + Math.random() * interval;
        const tick = () => {
          if (!producing) return;
          append(a, cfg.batch);
          pump(a);
          next += interval;
          timers.push(setTimeout(tick, Math.max(0, next - nowMs())));
        };
        timers.push(setTimeout(tick, next - nowMs()));
      }
    }
    setTimeout(
      () => {
        producing = false;
        for (const t of timers) clearTimeout(t);
        const deadline = nowMs() + drainMs;
        const finish = () => {
          const end = nowMs();
          const ages: number[] = [];
          for (const a of agents)
            for (const t of a.outbox.values()) if (t >= windowStart && t < windowEnd) ages.push(end - t);
          if (ages.length > 0 && end < deadline) {
            setTimeout(finish, 100);
            return;
          }
          clearInterval(ackTimer);
          for (const a of agents) if (a.pauseTimer) clearTimeout(a.pauseTimer);
          // Exit only once the (large) result is flushed to the parent.
          send(
            {
              type: 'result',
              latencies: Float64Array.from(latencies),
              ackedInWindow,
              createdInWindow,
              messagesInWindow,
              bytesInWindow,
              unacked: ages.length,
              unackedAges: Float64Array.from(ages),
              reconnects,
              ackTimeouts,
              busy,
              busyRecords,
              errors,
              connectMs: Float64Array.from(connectMs),
            } satisfies WorkerResult & { type: string },
            () => {
              Promise.all(agents.map((a) => a.client?.endAsync(true))).finally(() => process.exit(0));
            },
          );
        };
        finish();
      },
      Math.max(0, windowEnd - nowMs()),
    );
  });
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
