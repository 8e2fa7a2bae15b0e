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
