/**
 * Control-plane configuration, in stages: defaults ← YAML file ← HOMEOSTAT_* environment ← explicit options (CLI flags,
 * createControlPlane options), validated once with zod. Every problem is reported at once, naming the key, the value
 * and what is allowed (docs/configuration.md).
 */
import { redactForMessage } from '../../contract/redact.ts';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../../contract/errors.ts';
import { parseDuration } from '../../contract/duration.ts';
import { printable } from '../../contract/text.ts';
import { loadTlsMaterial } from '../tls/tls-material.ts';

const port = (what: string) =>
  z.coerce
    .number({ error: `${what} must be an integer 0..65535 (0 = ephemeral)` })
    .int(`${what} must be an integer 0..65535 (0 = ephemeral)`)
    .min(0, `${what} must be an integer 0..65535 (0 = ephemeral)`)
    .max(65535, `${what} must be an integer 0..65535 (0 = ephemeral)`);
const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration like 500ms, 30s, 15m, 24h, 14d` });
      return z.NEVER;
    }
    return ms;
  });
/** A duration within [min, max] ms; the message names both ends as durations. */
const durationIn = (what: string, min: number, max: number, range: string) =>
  duration(what).pipe(
    z
      .number()
      .min(min, `${what} must be a duration from ${range}`)
      .max(max, `${what} must be a duration from ${range}`),
  );

const positiveInt = (what: string, max: number) =>
  z.coerce
    .number({ error: `${what} must be an integer 1..${max}` })
    .int(`${what} must be an integer 1..${max}`)
    .min(1, `${what} must be an integer 1..${max}`)
    .max(max, `${what} must be an integer 1..${max}`);

/** Bounds of `ingest.maxQueueBytes`: 1 MiB (below, the byte bound would hold back a single real-sized batch) to
 * 1 GiB (the queue holds parsed records, several times their wire bytes on the heap). */
export const MAX_QUEUE_BYTES_RANGE = { min: 1024 * 1024, max: 1024 * 1024 * 1024 } as const;
const queueBytes = (what: string) => {
  const { min, max } = MAX_QUEUE_BYTES_RANGE;
  const allowed = `${what} must be an integer number of bytes from ${min} (1 MiB) to ${max} (1 GiB)`;
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: allowed }).int(allowed).min(min, allowed).max(max, allowed),
  );
};

// Strings (YAML scalars, environment variables) are read as numbers; anything else must already be one (true is not 1).
const number = (what: string, min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z
      .number({ error: `${what} must be a number ${min}..${max}` })
      .min(min, `${what} must be a number ${min}..${max}`)
      .max(max, `${what} must be a number ${min}..${max}`),
  );

// An integer of milliseconds within [min, max]; strings (YAML, environment) are read as numbers.
const millis = (what: string, min: number, max: number) => {
  const allowed = `${what} must be an integer number of milliseconds from ${min} to ${max}`;
  return z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: allowed }).int(allowed).min(min, allowed).max(max, allowed),
  );
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The validated configuration schema (all keys optional in input; defaults applied here). */
export const ServerConfigSchema = z
  .object({
    dataDir: z
      .string({ error: 'dataDir must be a path' })
      .min(1, 'dataDir must be a non-empty path')
      .check(printable({ what: 'dataDir' }))
      .default(join(homedir(), '.homeostat')),
    host: z
      .string({ error: 'host must be an interface address, e.g. 127.0.0.1 or 0.0.0.0' })
      .min(1, 'host must be an interface address')
      .check(printable({ what: 'host' }))
      .default('127.0.0.1'),
    httpPort: port('httpPort').default(8080),
    mqttPort: port('mqttPort').default(1883),
    wsPort: port('wsPort').default(8083),
    databaseUrl: z
      .string()
      .regex(/^(postgres(ql)?:\/\/|file:)/, 'databaseUrl must start with postgres://, postgresql:// or file:')
      .check(printable({ what: 'databaseUrl' }))
      .optional(),
    // HTTPS for the API and UI, MQTT over TLS (unless `mqtt: false`) and the CA agents pin (docs/tls.md). The files
    // are read and checked here: every problem with them is reported with the rest of the configuration.
    tls: z
      .object(
        {
          cert: z
            .string({ error: 'tls.cert must be a path to a PEM certificate' })
            .min(1)
            .check(printable({ what: 'tls.cert' })),
          key: z
            .string({ error: 'tls.key must be a path to a PEM private key' })
            .min(1)
            .check(printable({ what: 'tls.key' })),
          ca: z
            .string({ error: 'tls.ca must be a path to a PEM CA certificate' })
            .min(1)
            .check(printable({ what: 'tls.ca' }))
            .optional(),
          mqtt: z
            .preprocess(
              (v) => (v === 'true' ? true : v === 'false' ? false : v),
              z.boolean({ error: 'tls.mqtt must be true or false' }),
            )
            .default(true),
        },
        { error: 'tls must have both cert and key' },
      )
      .transform((t, ctx) => {
        const r = loadTlsMaterial(t);
        if ('material' in r) return { ...t, ...r.material };
        for (const i of r.issues) ctx.addIssue({ code: 'custom', path: [i.path.split('.')[1]!], message: i.message });
        return z.NEVER;
      })
      .optional(),
    // The URL other servers reach this control plane's HTTP API at: in the install one-liner and install.sh
    // (docs/agent-install.md). Default: the listening address (the host name when bound to 0.0.0.0 or ::).
    advertisedUrl: z
      .string()
      .regex(/^https?:\/\/[^\s'"\\]+$/, 'advertisedUrl must be an http:// or https:// URL')
      .check(printable({ what: 'advertisedUrl' }))
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    advertise: z
      .object({
        mqttUrl: z
          .string()
          .regex(/^mqtts?:\/\//, 'advertise.mqttUrl must start with mqtt:// or mqtts://')
          .check(printable({ what: 'advertise.mqttUrl' }))
          .optional(),
        wsUrl: z
          .string()
          .regex(/^wss?:\/\//, 'advertise.wsUrl must start with ws:// or wss://')
          .check(printable({ what: 'advertise.wsUrl' }))
          .optional(),
      })
      .default({}),
    logLevel: z.enum(LOG_LEVELS, { error: `logLevel must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    retention: duration('retention').default(14 * 86_400_000),
    pruneInterval: duration('pruneInterval').default(3_600_000),
    // How often a replica tries to become leader of the fleet singletons, and how often the leader checks it still is
    // (PostgreSQL only; replicas/leader.ts): the failover time after a replica dies.
    leaderRetry: durationIn('leaderRetry', 200, 60_000, '200ms to 1m').default(2000),
    ingest: z
      .object({
        queueCapacity: positiveInt('ingest.queueCapacity', 10_000_000).default(50_000),
        batchSize: positiveInt('ingest.batchSize', 10_000).default(1000),
        maxWaitMs: z.coerce
          .number({ error: 'ingest.maxWaitMs must be an integer >= 0' })
          .int()
          .min(0, 'ingest.maxWaitMs must be an integer >= 0')
          .default(2000),
        // Bound on the wire bytes of the records queued (ingest/ingester.ts): the room in records is at most this
        // over the mean bytes per record (docs/scale-out.md, "Overload").
        maxQueueBytes: queueBytes('ingest.maxQueueBytes').default(32 * 1024 * 1024),
        // How long the writer waits for more records before it commits a batch smaller than batchSize: one commit
        // for many agents' messages (group commit) at the cost of this much ack latency; 0 commits at once.
        lingerMs: millis('ingest.lingerMs', 0, 1000).default(10),
      })
      .default({
        queueCapacity: 50_000,
        batchSize: 1000,
        maxWaitMs: 2000,
        maxQueueBytes: 32 * 1024 * 1024,
        lingerMs: 10,
      }),
    enrollment: z
      .object({ defaultTtl: duration('enrollment.defaultTtl').default(86_400_000) })
      .default({ defaultTtl: 86_400_000 }),
    // Broker connection admission (control-plane/broker/connection-limits.ts): caps and the CONNECT timeout.
    // `mode: external` (docs/scale-out.md): no broker of our own; the control plane is a client of `url`, ingests
    // through a shared subscription and, with `dynsec`, manages Mosquitto's dynamic-security clients per agent.
    broker: z
      .object({
        mode: z
          .enum(['embedded', 'external'], { error: 'broker.mode must be embedded or external' })
          .default('embedded'),
        maxConnections: positiveInt('broker.maxConnections', 1_000_000).default(10_000),
        maxConnectionsPerAddress: positiveInt('broker.maxConnectionsPerAddress', 1_000_000).default(1000),
        connectTimeout: durationIn('broker.connectTimeout', 1000, 120_000, '1s to 2m').default(10_000),
        // Embedded broker: how long a PUBACK may wait for the ack command so both leave in one socket write
        // (broker/write-coalescer.ts); 0 writes each at once.
        maxAckHoldMs: millis('broker.maxAckHoldMs', 0, 1000).default(100),
        url: z
          .string()
          .regex(/^(mqtts?|wss?):\/\//, 'broker.url must start with mqtt://, mqtts://, ws:// or wss://')
          .check(printable({ what: 'broker.url' }))
          .optional(),
        username: z
          .string()
          .min(1, 'broker.username must be non-empty')
          .check(printable({ what: 'broker.username' }))
          .optional(),
        password: z
          .string()
          .min(1, 'broker.password must be non-empty')
          .check(printable({ what: 'broker.password' }))
          .optional(),
        /** Manage Mosquitto's dynamic-security plugin over $CONTROL/dynamic-security/v1 (external mode). */
        dynsec: z
          .preprocess(
            (v) => (v === 'true' ? true : v === 'false' ? false : v),
            z.boolean({ error: 'broker.dynsec must be true or false' }),
          )
          .default(false),
        /** Shared-subscription group of the replicas' ingest (external mode). */
        shareGroup: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'broker.shareGroup must be 1-64 letters, digits, _ or -')
          .default('homeostat-ingest'),
        /** Secret a broker sends (Authorization: Bearer) to POST /api/broker/auth and /api/broker/acl; unset = off. */
        httpAuthSecret: z
          .string()
          .min(16, 'broker.httpAuthSecret must be at least 16 characters')
          .check(printable({ what: 'broker.httpAuthSecret' }))
          .optional(),
      })
      .strict()
      .superRefine((b, ctx) => {
        if (b.mode === 'external' && !b.url)
          ctx.addIssue({
            code: 'custom',
            path: ['url'],
            message: 'broker.url is required when broker.mode is external',
          });
        // without either, enrollment could not create an agent's broker account nor revocation disable it
        if (b.mode === 'external' && !b.dynsec && !b.httpAuthSecret)
          ctx.addIssue({
            code: 'custom',
            path: ['dynsec'],
            message:
              'broker.mode external needs a way to manage agent accounts: broker.dynsec: true (Mosquitto 2) or ' +
              'broker.httpAuthSecret (brokers that ask POST /api/broker/auth and /api/broker/acl)',
          });
      })
      .default({
        mode: 'embedded',
        maxConnections: 10_000,
        maxConnectionsPerAddress: 1000,
        connectTimeout: 10_000,
        maxAckHoldMs: 100,
        dynsec: false,
        shareGroup: 'homeostat-ingest',
      }),
    // Incident correlation (control-plane/correlate/correlator.ts): small fleets need a lower minScore (the significance
    // of a rack or switch sharing a symptom grows with the fleet; 16 hosts: about 3).
    correlation: z
      .object({
        window: durationIn('correlation.window', 60_000, 86_400_000, '1m to 24h').default(30 * 60_000),
        minGroupHosts: positiveInt('correlation.minGroupHosts', 1_000_000).default(3),
        minScore: number('correlation.minScore', 0.1, 100).default(5.5),
        minLift: number('correlation.minLift', 1, 1000).default(3),
        resolveAfter: durationIn('correlation.resolveAfter', 60_000, 7 * 86_400_000, '1m to 7d').default(20 * 60_000),
      })
      .strict()
      .default({ window: 30 * 60_000, minGroupHosts: 3, minScore: 5.5, minLift: 3, resolveAfter: 20 * 60_000 }),
    // Blast-radius breaker (control-plane/correlate/breaker.ts).
    breaker: z
      .object({
        maxShare: number('breaker.maxShare', 0.01, 1).default(0.25),
        window: durationIn('breaker.window', 10_000, 86_400_000, '10s to 24h').default(600_000),
        minHosts: positiveInt('breaker.minHosts', 1_000_000).default(3),
        hold: durationIn('breaker.hold', 60_000, 7 * 86_400_000, '1m to 7d').default(3_600_000),
      })
      .strict()
      .default({ maxShare: 0.25, window: 600_000, minHosts: 3, hold: 3_600_000 }),
    // Pending approval requests expire after this long (control-plane/correlate/approval-expiry.ts).
    approvals: z
      .object({
        expireAfter: durationIn('approvals.expireAfter', 60_000, 30 * 86_400_000, '1m to 30d').default(86_400_000),
      })
      .strict()
      .default({ expireAfter: 86_400_000 }),
  })
  .strict();

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Environment variables and the key each sets (strings; zod coerces numbers). */
export const ENV_KEYS: Record<string, string> = {
  HOMEOSTAT_DATA_DIR: 'dataDir',
  HOMEOSTAT_HOST: 'host',
  HOMEOSTAT_HTTP_PORT: 'httpPort',
  HOMEOSTAT_MQTT_PORT: 'mqttPort',
  HOMEOSTAT_WS_PORT: 'wsPort',
  HOMEOSTAT_DATABASE_URL: 'databaseUrl',
  HOMEOSTAT_TLS_CERT: 'tls.cert',
  HOMEOSTAT_TLS_KEY: 'tls.key',
  HOMEOSTAT_TLS_CA: 'tls.ca',
  HOMEOSTAT_TLS_MQTT: 'tls.mqtt',
  HOMEOSTAT_ADVERTISED_URL: 'advertisedUrl',
  HOMEOSTAT_ADVERTISE_MQTT_URL: 'advertise.mqttUrl',
  HOMEOSTAT_ADVERTISE_WS_URL: 'advertise.wsUrl',
  HOMEOSTAT_LOG_LEVEL: 'logLevel',
  HOMEOSTAT_RETENTION: 'retention',
  HOMEOSTAT_PRUNE_INTERVAL: 'pruneInterval',
  HOMEOSTAT_LEADER_RETRY: 'leaderRetry',
  HOMEOSTAT_INGEST_QUEUE_CAPACITY: 'ingest.queueCapacity',
  HOMEOSTAT_INGEST_BATCH_SIZE: 'ingest.batchSize',
  HOMEOSTAT_INGEST_MAX_WAIT_MS: 'ingest.maxWaitMs',
  HOMEOSTAT_INGEST_MAX_QUEUE_BYTES: 'ingest.maxQueueBytes',
  HOMEOSTAT_INGEST_LINGER_MS: 'ingest.lingerMs',
  HOMEOSTAT_ENROLLMENT_DEFAULT_TTL: 'enrollment.defaultTtl',
  HOMEOSTAT_BROKER_MAX_CONNECTIONS: 'broker.maxConnections',
  HOMEOSTAT_BROKER_MAX_CONNECTIONS_PER_ADDRESS: 'broker.maxConnectionsPerAddress',
  HOMEOSTAT_BROKER_CONNECT_TIMEOUT: 'broker.connectTimeout',
  HOMEOSTAT_BROKER_MAX_ACK_HOLD_MS: 'broker.maxAckHoldMs',
  HOMEOSTAT_BROKER_MODE: 'broker.mode',
  HOMEOSTAT_BROKER_URL: 'broker.url',
  HOMEOSTAT_BROKER_USERNAME: 'broker.username',
  HOMEOSTAT_BROKER_PASSWORD: 'broker.password',
  HOMEOSTAT_BROKER_DYNSEC: 'broker.dynsec',
  HOMEOSTAT_BROKER_SHARE_GROUP: 'broker.shareGroup',
  HOMEOSTAT_BROKER_HTTP_AUTH_SECRET: 'broker.httpAuthSecret',
  HOMEOSTAT_CORRELATION_MIN_SCORE: 'correlation.minScore',
  HOMEOSTAT_CORRELATION_WINDOW: 'correlation.window',
  HOMEOSTAT_BREAKER_MAX_SHARE: 'breaker.maxShare',
};

type Layer = { source: string; values: Record<string, unknown> };

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys.at(-1)!] = value;
}

function getPath(obj: unknown, path: (string | number)[]): unknown {
  let o = obj;
  for (const k of path) o = o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined;
  return o;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export type LoadConfigOptions = {
  /** YAML file path (optional). */
  file?: string;
  /** Environment (default process.env). */
  env?: Record<string, string | undefined>;
  /** Explicit options (CLI flags, programmatic), highest precedence. */
  overrides?: ServerConfigInput;
};

/** Merges the stages and validates; throws ValidationError (what = 'configuration') listing every bad key. */
export function loadServerConfig(opts: LoadConfigOptions = {}): ServerConfig {
  const layers: Layer[] = [];
  if (opts.file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(opts.file, 'utf8')) ?? {};
    } catch (err) {
      throw new ValidationError(
        [{ path: opts.file, message: `cannot read YAML config: ${(err as Error).message}` }],
        'configuration',
      );
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ValidationError(
        [{ path: opts.file, message: 'the config file must be a YAML mapping' }],
        'configuration',
      );
    layers.push({ source: opts.file, values: parsed as Record<string, unknown> });
  }
  const env = opts.env ?? process.env;
  const envValues: Record<string, unknown> = {};
  const envSource = new Map<string, string>();
  if (env.DATABASE_URL && !env.HOMEOSTAT_DATABASE_URL) {
    setPath(envValues, 'databaseUrl', env.DATABASE_URL);
    envSource.set('databaseUrl', 'DATABASE_URL');
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      setPath(envValues, key, v);
      envSource.set(key, name);
    }
  }
  layers.push({ source: 'environment', values: envValues });
  if (opts.overrides) layers.push({ source: 'options', values: opts.overrides as Record<string, unknown> });
  const merged = layers.reduce<Record<string, unknown>>((acc, l) => deepMerge(acc, l.values), {});
  const result = ServerConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((i) => {
        const key = i.path.map(String).join('.');
        const value = getPath(merged, i.path as (string | number)[]);
        const from = envSource.get(key) ? ` (from ${envSource.get(key)})` : '';
        const unknownKeys =
          i.code === 'unrecognized_keys'
            ? ` (unknown key${i.keys.length > 1 ? 's' : ''}: ${i.keys.join(', ')}; allowed: ${allowedKeys(i.path as string[]).join(', ')})`
            : '';
        // the refused value is echoed for the operator, without the secrets in it (contract/redact.ts)
        const shown = JSON.stringify(redactForMessage(i.path as (string | number)[], value));
        return { path: key, message: `${i.message}${unknownKeys}; got ${shown}${from}` };
      }),
      'configuration',
    );
  }
  const cfg = result.data;
  cfg.dataDir = resolve(cfg.dataDir);
  return cfg;
}

/** The object schema inside `.optional()` / `.default()` wrappers, or null when there is none. */
function objectSchema(t: z.ZodType | undefined): z.ZodObject | null {
  let s: unknown = t;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap();
  return s instanceof z.ZodObject ? s : null;
}

function allowedKeys(path: string[]): string[] {
  let o = objectSchema(ServerConfigSchema);
  for (const k of path) o = objectSchema(o?.shape[k]);
  return Object.keys(o?.shape ?? {});
}
