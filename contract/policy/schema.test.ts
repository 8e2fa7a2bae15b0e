import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyDocument } from './schema.ts';
import { ValidationError } from '../errors.ts';

const YAML = `
version: v7
policies:
  - name: full
    selector: { matchExpressions: [ { key: role, operator: In, values: [web] } ] }
    when: { all: [ { mount: /data, freePctBelow: 10, for: 1m }, { not: { process: { name: 'java*' }, rssBytesAbove: 1GiB } } ] }
    do: [ { type: free-disk, dirs: [/data/tmp], globs: ['*.tmp'], olderThan: 1h, maxBytes: 2GiB } ]
    guards: { cooldown: 5m, maxAttempts: 2, verify: { within: 30s, condition: { not: { mount: /data, freePctBelow: 10 } } } }
`;

test('YAML and JSON forms parse to the same normalised set (durations in ms, sizes in bytes)', () => {
  const y = parsePolicyDocument(YAML, 'yaml');
  const j = parsePolicyDocument(
    JSON.stringify({
      version: 'v7',
      policies: [
        {
          name: 'full',
          selector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['web'] }] },
          when: {
            all: [
              { mount: '/data', freePctBelow: 10, for: '1m' },
              { not: { process: { name: 'java*' }, rssBytesAbove: '1GiB' } },
            ],
          },
          do: [{ type: 'free-disk', dirs: ['/data/tmp'], globs: ['*.tmp'], olderThan: '1h', maxBytes: '2GiB' }],
          guards: {
            cooldown: '5m',
            maxAttempts: 2,
            verify: { within: '30s', condition: { not: { mount: '/data', freePctBelow: 10 } } },
          },
        },
      ],
    }),
    'json',
  );
  assert.deepEqual(y, j);
  const p = y.policies[0]!;
  assert.equal(p.guards.cooldown, 300_000);
  assert.deepEqual(p.do[0], {
    type: 'free-disk',
    dirs: ['/data/tmp'],
    globs: ['*.tmp'],
    olderThan: 3_600_000,
    maxBytes: 2 * 1024 ** 3,
  });
});

test('every issue is reported with the path of its field', () => {
  const bad = `
policies:
  - name: a
    when: { any: [ { feature: x, op: '=>', value: 1 }, { mount: data } ] }
    do: [ { type: kill-process, grace: forever }, { type: launch-missiles } ]
    guards: { maxAttempts: 0 }
`;
  assert.throws(
    () => parsePolicyDocument(bad, 'yaml'),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(
        e.issues.map((i) => i.path),
        [
          'policies.0.when.any.0.op',
          'policies.0.when.any.1.mount',
          'policies.0.when.any.1',
          'policies.0.do.0.grace',
          'policies.0.do.1.type',
          'policies.0.guards.maxAttempts',
        ],
      );
      return true;
    },
  );
  assert.throws(() => parsePolicyDocument('{"policies": [', 'json'), /not valid JSON/);
  assert.throws(
    () =>
      parsePolicyDocument(
        `policies:
  - { name: a, when: { service: x }, do: [ { type: notify, message: m } ] }
  - { name: a, when: { service: y }, do: [ { type: notify, message: m } ] }`,
        'yaml',
      ),
    /policies\.1\.name: duplicate policy name 'a'/,
  );
});

test('every string of the language is printable text: lone surrogates, NUL and control characters are named', () => {
  const doc = {
    version: 'v\u0000',
    policies: [
      {
        name: 'a',
        description: 'line one\nline two\u001b[31m',
        selector: {
          matchLabels: { 'ro\ud800le': 'web' },
          matchExpressions: [{ key: 'zone', operator: 'In', values: ['eu\u0007'] }],
        },
        when: {
          all: [
            { process: { name: 'ja\u0000va', cmdline: 'x\udc00' } },
            { mount: '/data\n', freePctBelow: 5 },
            { score: 'disk-failure', device: 'sd\u0000a', op: '>', value: 0.5 },
            { service: 'ng\tinx' },
          ],
        },
        do: [
          { type: 'run-script', script: 'ok\u0000.sh', args: ['bad\u0000'], env: { WHO: '\ud83d' } },
          { type: 'free-disk', dirs: ['/tmp\u0000'], globs: ['*.tmp\u007f'], maxBytes: 1 },
          { type: 'cordon', reason: 'bye\u009b' },
        ],
      },
    ],
  };
  const line = 'must be printable text (well-formed Unicode, no control characters)';
  const text = 'must be printable text (well-formed Unicode, no control characters but tab and line breaks)';
  assert.throws(
    () => parsePolicyDocument(JSON.stringify(doc), 'json'),
    (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.issues, [
        { path: 'version', message: `${line}; found NUL (U+0000) at index 1` },
        { path: 'policies.0.description', message: `${text}; found control character U+001B at index 17` },
        {
          path: 'policies.0.selector.matchLabels.ro\ud800le',
          message: `invalid key: ${line}; found a lone UTF-16 surrogate (U+D800) at index 2`,
        },
        {
          path: 'policies.0.selector.matchExpressions.0.values.0',
          message: `${line}; found control character U+0007 at index 2`,
        },
        { path: 'policies.0.when.all.0.process.name', message: `${line}; found NUL (U+0000) at index 2` },
        {
          path: 'policies.0.when.all.0.process.cmdline',
          message: `${line}; found a lone UTF-16 surrogate (U+DC00) at index 1`,
        },
        { path: 'policies.0.when.all.1.mount', message: `${line}; found control character U+000A at index 5` },
        { path: 'policies.0.when.all.2.device', message: `${line}; found NUL (U+0000) at index 2` },
        { path: 'policies.0.when.all.3.service', message: `${line}; found control character U+0009 at index 2` },
        { path: 'policies.0.do.0.script', message: `${line}; found NUL (U+0000) at index 2` },
        { path: 'policies.0.do.0.args.0', message: `${text}; found NUL (U+0000) at index 3` },
        { path: 'policies.0.do.0.env.WHO', message: `${text}; found a lone UTF-16 surrogate (U+D83D) at index 0` },
        { path: 'policies.0.do.1.dirs.0', message: `${line}; found NUL (U+0000) at index 4` },
        { path: 'policies.0.do.1.globs.0', message: `${line}; found control character U+007F at index 5` },
        { path: 'policies.0.do.2.reason', message: `${text}; found control character U+009B at index 3` },
      ]);
      return true;
    },
  );
  // YAML escapes decode to the same strings and get the same verdict
  assert.throws(
    () =>
      parsePolicyDocument(
        'policies:\n  - { name: a, when: { service: "x\\0" }, do: [ { type: notify, message: m } ] }',
        'yaml',
      ),
    /^ValidationError: invalid policy document: policies\.0\.when\.service: must be printable text \(well-formed Unicode, no control characters\); found NUL \(U\+0000\) at index 1$/,
  );
});

test('free text (description, notify message, cordon reason, script args and env values) may hold tab and line breaks', () => {
  const set = parsePolicyDocument(
    JSON.stringify({
      policies: [
        {
          name: 'a',
          description: 'first\tline\r\nsecond line',
          when: { service: 'web' },
          do: [
            { type: 'notify', message: 'web is down\nsee runbook' },
            { type: 'cordon', reason: 'disk\tfailing' },
            { type: 'run-script', script: 'x.sh', args: ['a\nb'], env: { NOTE: 'multi\nline' } },
          ],
        },
      ],
    }),
    'json',
  );
  assert.equal(set.policies[0]!.description, 'first\tline\r\nsecond line');
  assert.deepEqual(set.policies[0]!.do[2], {
    type: 'run-script',
    script: 'x.sh',
    args: ['a\nb'],
    env: { NOTE: 'multi\nline' },
    timeout: 30_000,
  });
});

test('conditions nest at most 32 levels: deeper is a validation error at the condition, not a stack overflow', () => {
  const nested = (n: number) => `${'{"not":'.repeat(n)}{"service":"x"}${'}'.repeat(n)}`;
  const doc = (n: number) => `{"policies":[{"name":"a","when":${nested(n)},"do":[{"type":"notify","message":"m"}]}]}`;
  assert.equal(parsePolicyDocument(doc(31), 'json').policies.length, 1);
  for (const n of [32, 10_000])
    assert.throws(
      () => parsePolicyDocument(doc(n), 'json'),
      /^ValidationError: invalid policy document: policies\.0\.when: conditions nest all\/any\/not at most 32 levels deep$/,
    );
});
