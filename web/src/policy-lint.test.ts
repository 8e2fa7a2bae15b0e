import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintPolicy, lineOf } from './policy-lint.ts';
import { lineDiff } from './line-diff.ts';

const GOOD = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do:
      - type: restart-service
        service: nginx
`;

test('a valid policy document has no diagnostics', () => {
  const r = lintPolicy(GOOD);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.set?.policies[0]?.name, 'restart-nginx');
});

test('a schema error is placed on the offending line with its field path', () => {
  const bad = GOOD.replace('name: restart-nginx', 'name: "bad name!"');
  const r = lintPolicy(bad);
  assert.equal(r.set, null);
  assert.equal(r.diagnostics.length, 1);
  const d = r.diagnostics[0]!;
  assert.match(d.message, /^policies\.0\.name: names use letters, digits/);
  assert.equal(lineOf(bad, d.from), 2);
});

test('a YAML syntax error is reported as such', () => {
  const r = lintPolicy('policies:\n  - name: x\n   do: [');
  assert.equal(r.set, null);
  assert.match(r.diagnostics[0]!.message, /^YAML: /);
});

test('line diff marks added and removed lines', () => {
  assert.deepEqual(lineDiff('a\nb\nc', 'a\nc\nd'), [
    { op: ' ', text: 'a' },
    { op: '-', text: 'b' },
    { op: ' ', text: 'c' },
    { op: '+', text: 'd' },
  ]);
});
