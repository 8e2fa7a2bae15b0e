import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfigError, loadAgentConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadAgentConfig', () => {
  it('fills every default from an empty input', () => {
    const c = loadAgentConfig({ env: {} });
    assert.equal(c.cycleSeconds, 10);
    assert.equal(c.outbox.maxRecords, 100_000);
    assert.equal(c.outbox.synchronous, 'full');
    assert.equal(c.link.windowRecords, 2000);
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.labels, {});
    assert.ok(c.stateDir.length > 0);
  });

  it('takes a relative --state-dir from the working directory (every part below needs an absolute path)', () => {
    const c = loadAgentConfig({ env: {}, overrides: { stateDir: 'relative/state' } });
    assert.equal(c.stateDir, join(process.cwd(), 'relative', 'state'));
  });

  it('layers YAML file < env < overrides', () => {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'cycleSeconds: 5\nlabels: { role: db }\noutbox:\n  maxRecords: 500\nservices: [nginx]\n');
    const c = loadAgentConfig({
      file,
      env: {
        HOMEOSTAT_AGENT_OUTBOX__MAX_BYTES: '2048',
        HOMEOSTAT_AGENT_CYCLE_SECONDS: '2',
        HOMEOSTAT_AGENT_SERVICES: '[nginx, redis]',
        PATH: '/bin',
      },
      overrides: { cycleSeconds: 1 },
    });
    assert.equal(c.cycleSeconds, 1);
    assert.deepEqual(c.outbox, { maxBytes: 2048, maxRecords: 500, synchronous: 'full' });
    assert.deepEqual(c.services, ['nginx', 'redis']);
    assert.deepEqual(c.labels, { role: 'db' });
  });

  it('reports every problem at once, naming key, value and what is allowed', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'cycleSeconds: 0\nlogLevel: loud\noutbox: { maxBytes: 10, colour: red }\n');
    let err: unknown;
    try {
      loadAgentConfig({ file, env: { HOMEOSTAT_AGENT_SERVER__URL: 'ftp://x', HOMEOSTAT_AGENT_CYCLE_SECONDZ: '3' } });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof AgentConfigError);
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
    assert.deepEqual(Object.keys(byPath).sort(), [
      'cycleSeconds',
      'cycleSecondz',
      'logLevel',
      'outbox.colour',
      'outbox.maxBytes',
      'server.url',
    ]);
    assert.match(byPath['cycleSeconds']!, />=0\.01.*got 0/);
    assert.match(byPath['logLevel']!, /"info".*got "loud"/);
    assert.match(
      byPath['outbox.colour']!,
      /unknown key \(value "red"\); allowed keys: maxBytes, maxRecords, synchronous/,
    );
    assert.match(byPath['cycleSecondz']!, /allowed keys: stateDir, server, cycleSeconds/);
    assert.match(byPath['server.url']!, /got "ftp:\/\/x"/);
    assert.match(err.message, /^invalid agent config: /);
  });

  it('string settings must be printable text: lone surrogates, NUL and control characters are named, all at once', () => {
    const allowed = 'must be printable text (well-formed Unicode, no control characters)';
    let err: unknown;
    try {
      loadAgentConfig({
        env: { HOMEOSTAT_AGENT_SERVICES: '["ng\\ninx"]' },
        overrides: {
          stateDir: '/var/lib/x\u0000',
          labels: { role: 'w\ud800', 'bad key': 'x' },
          server: { url: 'https://cp.example/\udc00', mqttUrl: 'mqtts://cp\u001b.example' },
          upgrade: { installRoot: '/opt/\u0085' },
        },
      });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof AgentConfigError);
    assert.deepEqual(err.issues, [
      { path: 'stateDir', message: `${allowed}; found NUL (U+0000) at index 10 (got "/var/lib/x\\u0000")` },
      {
        path: 'server.url',
        message: `${allowed}; found a lone UTF-16 surrogate (U+DC00) at index 19 (got "https://cp.example/\\udc00")`,
      },
      {
        path: 'server.mqttUrl',
        message: `${allowed}; found control character U+001B at index 10 (got "mqtts://cp\\u001b.example")`,
      },
      {
        path: 'labels.role',
        message: `${allowed}; found a lone UTF-16 surrogate (U+D800) at index 1 (got "w\\ud800")`,
      },
      { path: 'labels.bad key', message: 'invalid key: label keys use letters, digits and _ . / - (got "x")' },
      { path: 'services.0', message: `${allowed}; found control character U+000A at index 2 (got "ng\\ninx")` },
      {
        path: 'upgrade.installRoot',
        message: `${allowed}; found control character U+0085 at index 5 (got "/opt/\u0085")`,
      },
    ]);
  });

  it('names a missing or malformed config file', () => {
    assert.throws(() => loadAgentConfig({ file: join(dir, 'nope.yaml'), env: {} }), /nope\.yaml: ENOENT/);
  });
});
