import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig } from './server-config.ts';
import { ValidationError } from '../../contract/errors.ts';

test('defaults, YAML, environment and options stack in that order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'httpPort: 9000\nmqttPort: 1999\nretention: 7d\ningest:\n  batchSize: 50\n');
  const cfg = loadServerConfig({ file, env: { HOMEOSTAT_MQTT_PORT: '2000' }, overrides: { dataDir: dir } });
  assert.equal(cfg.httpPort, 9000);
  assert.equal(cfg.mqttPort, 2000);
  assert.equal(cfg.wsPort, 8083);
  assert.equal(cfg.retention, 7 * 86_400_000);
  assert.equal(cfg.ingest.batchSize, 50);
  assert.equal(cfg.ingest.queueCapacity, 50_000);
  assert.equal(cfg.host, '127.0.0.1');
  assert.equal(cfg.dataDir, dir);
});

test('every bad key is reported at once with value, source and what is allowed', () => {
  assert.throws(
    () =>
      loadServerConfig({
        env: { HOMEOSTAT_HTTP_PORT: 'eighty', HOMEOSTAT_LOG_LEVEL: 'loud', HOMEOSTAT_RETENTION: 'forever' },
        overrides: { dataDir: '/tmp/x' },
      }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.issues.map((i) => i.path).sort(), ['httpPort', 'logLevel', 'retention']);
      assert.match(
        err.message,
        /httpPort: httpPort must be an integer 0\.\.65535 \(0 = ephemeral\); got "eighty" \(from HOMEOSTAT_HTTP_PORT\)/,
      );
      assert.match(err.message, /logLevel must be one of fatal, error, warn, info, debug, trace, silent; got "loud"/);
      assert.match(err.message, /retention must be a duration like 500ms, 30s, 15m, 24h, 14d; got "forever"/);
      return true;
    },
  );
});

test('unknown keys in the YAML file are refused, naming the allowed ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'htpPort: 1\n');
  assert.throws(() => loadServerConfig({ file, env: {} }), /unknown key: htpPort; allowed: dataDir, host, httpPort/);
});

test('correlation and breaker tuning: defaults, YAML and environment; bad values named with what is allowed', async () => {
  const { fleetOptionsFrom } = await import('../fleet/with-fleet.ts');
  const defaults = loadServerConfig({ env: {}, overrides: { dataDir: '/tmp/x' } });
  assert.deepEqual(fleetOptionsFrom(defaults), {
    approvalTtlMs: 86_400_000,
    incidents: {
      correlator: { windowMs: 1_800_000, minGroupHosts: 3, minScore: 5.5, minLift: 3, resolveAfterMs: 1_200_000 },
      breaker: { maxShare: 0.25, windowMs: 600_000, minHosts: 3, holdMs: 3_600_000 },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    'correlation:\n  minScore: 3\n  window: 10m\nbreaker:\n  maxShare: 0.5\napprovals:\n  expireAfter: 2h\n',
  );
  const small = loadServerConfig({ file, env: { HOMEOSTAT_BREAKER_MAX_SHARE: '0.4' }, overrides: { dataDir: dir } });
  assert.deepEqual(
    [small.correlation.minScore, small.correlation.window, small.correlation.minGroupHosts, small.breaker.maxShare],
    [3, 600_000, 3, 0.4],
  );
  assert.equal(fleetOptionsFrom(small).approvalTtlMs, 7_200_000);
  writeFileSync(file, 'correlation:\n  minScore: 0\n  windw: 5m\nbreaker:\n  maxShare: 2\n');
  assert.throws(
    () => loadServerConfig({ file, env: {}, overrides: { dataDir: dir } }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /correlation\.minScore must be a number 0\.1\.\.100; got 0/);
      assert.match(err.message, /breaker\.maxShare must be a number 0\.01\.\.1; got 2/);
      assert.match(err.message, /unknown key: windw; allowed: window, minGroupHosts, minScore, minLift, resolveAfter/);
      return true;
    },
  );
  // durations that would switch a safeguard off or make incidents flap, and a boolean for a number
  writeFileSync(file, 'correlation:\n  minLift: true\n  resolveAfter: 0s\nbreaker:\n  window: 0\n  hold: 30d\n');
  assert.throws(
    () => loadServerConfig({ file, env: {}, overrides: { dataDir: dir } }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /correlation\.minLift must be a number 1\.\.1000; got true/);
      assert.match(err.message, /correlation\.resolveAfter must be a duration from 1m to 7d; got "0s"/);
      assert.match(err.message, /breaker\.window must be a duration from 10s to 24h; got 0/);
      assert.match(err.message, /breaker\.hold must be a duration from 1m to 7d; got "30d"/);
      return true;
    },
  );
});

test('the fleet of a control plane created from options gets the correlation and breaker tuning in those options', async () => {
  const { resolveFleetOptions } = await import('../fleet/with-fleet.ts');
  const r = resolveFleetOptions(
    { dataDir: '/tmp/x', logLevel: 'silent', correlation: { minScore: 3 }, breaker: { maxShare: 0.5 } },
    { externalURL: 'https://cp' },
  );
  assert.equal(r.externalURL, 'https://cp');
  assert.equal(r.incidents?.correlator?.minScore, 3);
  assert.equal(r.incidents?.breaker?.maxShare, 0.5);
  assert.equal(r.incidents?.correlator?.windowMs, 1_800_000, 'defaults for the rest');
  const explicit = { incidents: { correlator: { minScore: 9 } } };
  assert.equal(resolveFleetOptions({ correlation: { minScore: 3 } }, explicit), explicit, 'explicit fleet options win');
});

test('broker.mode: embedded by default; external needs broker.url and takes its settings from YAML and environment', () => {
  const embedded = loadServerConfig({ env: {}, overrides: { dataDir: '/tmp/x' } });
  assert.equal(embedded.broker.mode, 'embedded');
  assert.equal(embedded.broker.shareGroup, 'homeostat-ingest');
  assert.equal(embedded.leaderRetry, 2000);
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'broker:\n  mode: external\n  url: mqtt://mosquitto:1883\n  username: homeostat-cp\n');
  const ext = loadServerConfig({
    file,
    env: { HOMEOSTAT_BROKER_PASSWORD: 'pw', HOMEOSTAT_BROKER_DYNSEC: 'true', HOMEOSTAT_LEADER_RETRY: '500ms' },
    overrides: { dataDir: dir },
  });
  assert.deepEqual(
    [ext.broker.mode, ext.broker.url, ext.broker.username, ext.broker.password, ext.broker.dynsec, ext.leaderRetry],
    ['external', 'mqtt://mosquitto:1883', 'homeostat-cp', 'pw', true, 500],
  );
  assert.throws(
    () => loadServerConfig({ env: { HOMEOSTAT_BROKER_MODE: 'external' }, overrides: { dataDir: '/tmp/x' } }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.issues.some((i) => i.path === 'broker.url' && /required when broker.mode is external/.test(i.message)),
  );
  assert.throws(
    () =>
      loadServerConfig({
        env: { HOMEOSTAT_BROKER_MODE: 'external', HOMEOSTAT_BROKER_URL: 'mqtt://mosquitto:1883' },
        overrides: { dataDir: '/tmp/x' },
      }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.issues.some(
        (i) => i.path === 'broker.dynsec' && /broker.dynsec: true .* or broker.httpAuthSecret/.test(i.message),
      ),
  );
  assert.throws(
    () => loadServerConfig({ env: { HOMEOSTAT_BROKER_MODE: 'cluster' }, overrides: { dataDir: '/tmp/x' } }),
    (e: unknown) => e instanceof ValidationError && e.issues.some((i) => i.path === 'broker.mode'),
  );
});

test('ingest.maxQueueBytes: 32 MiB by default, set from YAML or environment; out of range or not an integer refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  assert.equal(loadServerConfig({ env: {}, overrides: { dataDir: dir } }).ingest.maxQueueBytes, 32 * 1024 * 1024);
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'ingest:\n  maxQueueBytes: 8388608\n');
  assert.equal(loadServerConfig({ file, env: {}, overrides: { dataDir: dir } }).ingest.maxQueueBytes, 8 * 1024 * 1024);
  const fromEnv = loadServerConfig({
    env: { HOMEOSTAT_INGEST_MAX_QUEUE_BYTES: '1073741824' },
    overrides: { dataDir: dir },
  });
  assert.equal(fromEnv.ingest.maxQueueBytes, 1024 * 1024 * 1024, 'the upper end is allowed');
  const allowed = 'ingest.maxQueueBytes must be an integer number of bytes from 1048576 (1 MiB) to 1073741824 (1 GiB)';
  // below, above, a size with a unit (bytes only), a fraction
  for (const value of ['1048575', '1073741825', '32MiB', '1048576.5']) {
    assert.throws(
      () =>
        loadServerConfig({
          env: { HOMEOSTAT_INGEST_MAX_QUEUE_BYTES: value, HOMEOSTAT_INGEST_BATCH_SIZE: '0' },
          overrides: { dataDir: dir },
        }),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        // reported with the other bad keys, at once
        assert.deepEqual(err.issues.map((i) => i.path).sort(), ['ingest.batchSize', 'ingest.maxQueueBytes']);
        const issue = err.issues.find((i) => i.path === 'ingest.maxQueueBytes')!;
        assert.equal(issue.message, `${allowed}; got ${JSON.stringify(value)} (from HOMEOSTAT_INGEST_MAX_QUEUE_BYTES)`);
        return true;
      },
      value,
    );
  }
  writeFileSync(file, 'ingest:\n  maxQueueBytes: true\n');
  assert.throws(
    () => loadServerConfig({ file, env: {}, overrides: { dataDir: dir } }),
    (err: unknown) => err instanceof ValidationError && err.issues.some((i) => i.message === `${allowed}; got true`),
  );
});

test('ingest.lingerMs and broker.maxAckHoldMs: 10 and 100 ms by default, 0..1000 from YAML or environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const base = loadServerConfig({ env: {}, overrides: { dataDir: dir } });
  assert.deepEqual([base.ingest.lingerMs, base.broker.maxAckHoldMs], [10, 100]);
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'ingest:\n  lingerMs: 0\nbroker:\n  maxAckHoldMs: 0\n');
  const off = loadServerConfig({ file, env: {}, overrides: { dataDir: dir } });
  assert.deepEqual([off.ingest.lingerMs, off.broker.maxAckHoldMs], [0, 0], '0 turns each off');
  const env = { HOMEOSTAT_INGEST_LINGER_MS: '1000', HOMEOSTAT_BROKER_MAX_ACK_HOLD_MS: '250' };
  const fromEnv = loadServerConfig({ env, overrides: { dataDir: dir } });
  assert.deepEqual([fromEnv.ingest.lingerMs, fromEnv.broker.maxAckHoldMs], [1000, 250]);
  assert.throws(
    () =>
      loadServerConfig({
        env: { HOMEOSTAT_INGEST_LINGER_MS: '1001', HOMEOSTAT_BROKER_MAX_ACK_HOLD_MS: '10ms' },
        overrides: { dataDir: dir },
      }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      // both at once, each naming the range
      assert.deepEqual(err.issues.map((i) => i.message).sort(), [
        'broker.maxAckHoldMs must be an integer number of milliseconds from 0 to 1000; got "10ms" ' +
          '(from HOMEOSTAT_BROKER_MAX_ACK_HOLD_MS)',
        'ingest.lingerMs must be an integer number of milliseconds from 0 to 1000; got "1001" ' +
          '(from HOMEOSTAT_INGEST_LINGER_MS)',
      ]);
      return true;
    },
  );
});

test('string settings must be printable text: lone surrogates, NUL and control characters are refused, all at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  // YAML escapes decode to what no path, address or URL holds
  writeFileSync(
    file,
    'dataDir: "/srv/data\\0"\nhost: "0.0.0.0\\ud800"\nadvertisedUrl: "https://cp.example/\\x1b[31m"\n' +
      'broker:\n  username: "ops\\udc00"\n',
  );
  const allowed = 'must be printable text (well-formed Unicode, no control characters)';
  assert.throws(
    () =>
      loadServerConfig({
        file,
        env: { HOMEOSTAT_BROKER_PASSWORD: 'pa\u0007ss', HOMEOSTAT_DATABASE_URL: 'file:/x\ttab' },
      }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.issues, [
        { path: 'dataDir', message: `dataDir ${allowed}; found NUL (U+0000) at index 9; got "/srv/data\\u0000"` },
        {
          path: 'host',
          message: `host ${allowed}; found a lone UTF-16 surrogate (U+D800) at index 7; got "0.0.0.0\\ud800"`,
        },
        {
          path: 'databaseUrl',
          message: `databaseUrl ${allowed}; found control character U+0009 at index 7; got "file:/x\\ttab" (from HOMEOSTAT_DATABASE_URL)`,
        },
        {
          path: 'advertisedUrl',
          message: `advertisedUrl ${allowed}; found control character U+001B at index 19; got "https://cp.example/\\u001b[31m"`,
        },
        {
          path: 'broker.username',
          message: `broker.username ${allowed}; found a lone UTF-16 surrogate (U+DC00) at index 3; got "ops\\udc00"`,
        },
        {
          path: 'broker.password',
          message: `broker.password ${allowed}; found control character U+0007 at index 2; got "***" (from HOMEOSTAT_BROKER_PASSWORD)`, // a secret's value is never echoed
        },
      ]);
      assert.match(err.message, /^invalid configuration: dataDir: dataDir must be printable text/);
      return true;
    },
  );
});
