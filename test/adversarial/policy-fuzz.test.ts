/**
 * Property-based fuzz of the policy language (hardening issue): seeded random policy-set documents — shaped from the
 * real keys, condition kinds and action types with hostile values (huge numbers, deep all/any/not nesting, long and
 * invalid-Unicode strings, random regexes), and raw random or mangled YAML/JSON text — through the control plane's
 * admission (control-plane/fleet/policy-source.ts: schema + lint + storage checks) and the agent's verdict on the
 * bundle it would receive (agent/heal/policy-document.ts, also via its cache's JSON form). Asserted: nothing but a
 * ValidationError naming its paths is ever thrown, each document is decided within a bound, every accepted regex runs
 * on the linear-time engine, and a document the control plane stores is accepted by the agent with the same meaning.
 * Pure functions only: no server, no agent process. Fixed seeds; prints nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { ValidationError } from '../../contract/errors.ts';
import { ACTION_TYPES, OPS, type Condition, type PolicySet } from '../../contract/policy/schema.ts';
import { compileSafeRegex } from '../../contract/policy/regex.ts';
import { printableProblem, type AllowedControls } from '../../contract/text.ts';
import { PolicyBundleSchema } from '../../contract/signing/bundle.ts';
import { canonicalJson } from '../../contract/signing/canonical-json.ts';
import { admitPolicySource } from '../../control-plane/fleet/policy-source.ts';
import { checkPolicyDocument } from '../../agent/heal/policy-document.ts';

/** Longest time one document may take on either side (parse, lint, storage checks, regex compile and a match): a
 * stall guard, not a performance figure (the slowest seen is ~130 ms; the stalls this catches took 10 s and more), so
 * it is generous enough for a busy CI machine. */
const BOUND_MS = 5000;
const SEED = 20_240_601;

// ---- values ----------------------------------------------------------------------------------------------------

const nastyString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom(
    '',
    '\ud800',
    'a\udc00b',
    '\ud83d',
    '\u0000',
    'nginx\u0000',
    '\u001b[31mred',
    'line\nbreak',
    'tab\there',
    '\u0085',
    '..',
    '../../etc/passwd',
    '/var/log/../../etc',
    '/',
    '__proto__',
    'constructor',
    'x'.repeat(5000),
    '\ud83d\ude00'.repeat(300),
  ),
);
const label = fc.oneof(fc.constantFrom('web', 'db', 'role', 'zone', 'eu-1', 'a.b/c'), nastyString);
const number = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.double(),
  fc.constantFrom(0, -0, 0.5, 1, 1e308, -1e308, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 1e-320),
);
const duration = fc.oneof(
  fc.constantFrom('30s', '5m', '1.5h', '250ms', '2d', '1w', '0s', ' 10 s ', '99999999999999999999d', '1e3s', 'soon'),
  fc.constantFrom(-1, 0, 1e308),
  fc.integer({ min: 0, max: 86_400_000 }),
  nastyString,
);
const size = fc.oneof(
  fc.constantFrom('1GiB', '500MB', '10KiB', '4096', '1.5TiB', '99999999999999999999TiB', '-1', '1 GB', 'big'),
  fc.integer({ min: -1, max: 2 ** 40 }),
  fc.constantFrom(1e308, -0),
  nastyString,
);
/** Regex sources from the pieces that matter to the lint: groups, quantifiers, counts, classes, escapes. */
const regex = fc.oneof(
  fc
    .array(
      fc.constantFrom(
        '(',
        ')',
        '(?:',
        '(?=',
        '(?<n>',
        '*',
        '+',
        '?',
        '{2}',
        '{100}',
        '{101}',
        '{2,}',
        '{3,1}',
        '.',
        'a',
        'ab',
        '|',
        '\\',
        '\\1',
        '\\d',
        '\\p{L}',
        '[',
        ']',
        '[^a-z]',
        '[\\s\\S]',
        '^',
        '$',
        '\ud800',
        '\u0000',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
  fc.constantFrom('^(.*){100}x$', '(a+)+$', '(a|ab)*c', '(x*)*y', '(.)\\1', 'batch-\\d+', 'java.*-jar', '[', 'a{1000}'),
  fc.string({ maxLength: 40 }),
);

// ---- structure (the real keys, kinds and actions) -----------------------------------------------------------------

/** Sometimes an extra key the schema does not know, sometimes a reserved one. */
const extraKeys = fc.option(fc.dictionary(fc.oneof(nastyString, fc.constantFrom('foo', 'for', 'kind')), number), {
  nil: undefined,
});
function withExtra<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(arb, extraKeys).map(([o, x]) => ({ ...o, ...x }));
}
const partial = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.record(model, { requiredKeys: [] });

const processMatch = partial({ name: fc.oneof(label, fc.constantFrom('java*', 'sshd', 'systemd')), cmdline: regex });
const leaf = fc.oneof(
  withExtra(partial({ feature: label, op: fc.constantFrom(...OPS, '=>'), value: number, for: duration })),
  withExtra(
    partial({
      score: fc.constantFrom('anomaly', 'disk-failure', 'other'),
      device: label,
      op: fc.constantFrom(...OPS),
      value: number,
      for: duration,
    }),
  ),
  withExtra(partial({ service: label, state: fc.constantFrom('not-running', 'running'), for: duration })),
  withExtra(
    partial({
      mount: fc.oneof(fc.constantFrom('/data', '/', 'data'), nastyString),
      freePctBelow: number,
      freeBytesBelow: size,
      inodesFreePctBelow: number,
      for: duration,
    }),
  ),
  withExtra(
    partial({ process: processMatch, cpuPctAbove: number, rssBytesAbove: size, minRuntime: duration, for: duration }),
  ),
  fc.oneof(fc.constant(null), fc.constant([]), nastyString, number),
);
const condition = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('c'), { maxLength: 4 }) }),
    fc.record({ any: fc.array(tie('c'), { maxLength: 4 }) }),
    fc.record({ not: tie('c') }),
    withExtra(fc.record({ not: tie('c'), service: label })),
  ),
})).c;
/** A chain of `levels` all/any/not (repeating `pattern`) around `inner`. */
const chain = (levels: number, pattern: readonly string[], inner: unknown): unknown => {
  let c = inner;
  for (let i = 0; i < levels; i++) {
    const k = pattern[i % pattern.length]!;
    c = k === 'not' ? { not: c } : { [k]: [c] };
  }
  return c;
};
const kinds = fc.array(fc.constantFrom('all', 'any', 'not'), { minLength: 1, maxLength: 6 });
/** all/any/not chains around the deepest the language allows (32 levels) and far beyond. */
const deepCondition = fc
  .tuple(fc.oneof(fc.integer({ min: 28, max: 36 }), fc.integer({ min: 1, max: 300 })), kinds, leaf)
  .map(([levels, pattern, inner]) => chain(levels, pattern, inner));

const action = fc.oneof(
  withExtra(partial({ type: fc.constant('restart-service'), service: label })),
  withExtra(
    partial({
      type: fc.constant('kill-process'),
      match: processMatch,
      minRuntime: duration,
      cpuPctAbove: number,
      rssBytesAbove: size,
      grace: duration,
    }),
  ),
  withExtra(
    partial({
      type: fc.constant('free-disk'),
      dirs: fc.array(fc.oneof(fc.constantFrom('/data/tmp', '/tmp/../etc', 'rel'), nastyString), { maxLength: 34 }),
      globs: fc.array(fc.oneof(fc.constantFrom('*.tmp', '/abs/*', '../*'), nastyString), { maxLength: 3 }),
      olderThan: duration,
      maxBytes: size,
    }),
  ),
  withExtra(
    partial({
      type: fc.constantFrom('rotate-log', 'truncate-log'),
      path: fc.oneof(fc.constantFrom('/var/log/app.log', '/var/log/../shadow'), nastyString),
      keep: number,
      copytruncate: fc.oneof(fc.boolean(), nastyString),
    }),
  ),
  withExtra(partial({ type: fc.constant('drop-caches'), level: fc.oneof(fc.constantFrom(1, 2, 3, 4), number) })),
  withExtra(
    partial({
      type: fc.constant('run-script'),
      script: fc.oneof(fc.constantFrom('ok.sh', '/bin/sh', '../x.sh', 'sub/dir.sh'), nastyString),
      args: fc.array(nastyString, { maxLength: 3 }),
      timeout: duration,
      env: fc.dictionary(
        fc.oneof(fc.constantFrom('WHO', 'BASH_ENV', 'LD_PRELOAD', 'PATH', 'BASH_FUNC_x%%', 'lower'), nastyString),
        nastyString,
        { maxKeys: 3 },
      ),
    }),
  ),
  withExtra(partial({ type: fc.constant('notify'), message: nastyString, severity: fc.constantFrom('info', 'loud') })),
  withExtra(partial({ type: fc.constant('cordon'), reason: nastyString })),
  withExtra(partial({ type: fc.constantFrom(...ACTION_TYPES, 'launch-missiles') })),
);
const selector = partial({
  matchLabels: fc.dictionary(label, fc.oneof(label, number), { maxKeys: 3 }),
  matchExpressions: fc.array(
    partial({
      key: label,
      operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Near'),
      values: fc.array(label, { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
});
const guards = partial({
  cooldown: duration,
  maxRunsPerHour: number,
  maxAttempts: number,
  verify: partial({ within: duration, condition }),
  requireApproval: fc.oneof(fc.boolean(), nastyString),
  dryRun: fc.boolean(),
});
const policy = withExtra(
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('restart-web', 'a', 'p.1', 'Bad Name', ''), nastyString),
      description: nastyString,
      enabled: fc.oneof(fc.boolean(), number),
      priority: number,
      selector,
      when: fc.oneof({ weight: 4, arbitrary: condition }, { weight: 1, arbitrary: deepCondition }),
      do: fc.array(action, { maxLength: 4 }),
      guards,
    },
    { requiredKeys: ['name', 'when', 'do'] },
  ),
);
const alerting = partial({
  anomaly: partial({
    enter: number,
    exit: number,
    minSamples: number,
    minDuration: duration,
    clearFor: duration,
    cooldown: duration,
  }),
});
/** Documents of the real keys with mostly hostile values. */
const hostileSet = withExtra(
  fc.record(
    {
      version: fc.oneof(fc.constantFrom('v1', '2024-06-01'), nastyString, number),
      alerting,
      policies: fc.array(policy, { maxLength: 4 }),
    },
    { requiredKeys: ['policies'] },
  ),
);

// ---- plausible documents (valid values at their edges), and the same with one value made hostile ---------------------

/** Valid-looking text: any Unicode (astral characters too) that the field's rule admits. */
const okText = (maxLength: number, controls: AllowedControls = 'none') =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
      fc.constantFrom('\ud83d\ude00 ok', 'ℵ₀', '日本語', 'é'.repeat(Math.min(maxLength, 600))),
      controls === 'whitespace' ? fc.constantFrom('two\nlines', 'a\tb\r\nc') : fc.constant('plain'),
    )
    .filter((s) => s.length <= maxLength && printableProblem(s, controls) === null);
const ok = {
  word: fc.stringMatching(/^[a-z][a-z0-9@._:-]{0,30}$/),
  labelKey: fc.stringMatching(/^[a-z][a-z0-9._/-]{0,20}$/),
  path: fc
    .array(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), { maxLength: 5 })
    .map((segments) => `/${segments.join('/')}`),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }),
  pct: fc.double({ min: 0, max: 100, noNaN: true }),
  unit: fc.double({ min: 0, max: 1, noNaN: true }),
  count: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  duration: fc.oneof(
    fc
      .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', ''))
      .map(([n, unit]) => `${n}${unit}`),
    fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  ),
  dayOrLess: fc.integer({ min: 0, max: 86_400_000 }),
  size: fc.oneof(
    fc
      .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('', 'B', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB'))
      .map(([n, unit]) => `${n}${unit}`),
    fc.maxSafeInteger().filter((n) => n >= 0),
  ),
  regex: fc.oneof(
    fc.constantFrom('batch-\\d+', 'java.*-jar', '^/usr/bin/python3? ', '[a-z]{2,100}', '(?:foo|bar)baz', 'x{100}'),
    regex,
  ),
};
const okProcess = fc.oneof(
  fc.record({ name: fc.constantFrom('java*', 'node', 'py?hon', 'batch-[0-9]*') }),
  fc.record({ cmdline: ok.regex }),
  fc.record({ name: ok.word, cmdline: ok.regex }),
);
const okLeaf = fc.oneof(
  partial({ for: ok.duration }).chain((f) =>
    fc
      .oneof(
        fc.record({ feature: ok.word, op: fc.constantFrom(...OPS), value: ok.number }),
        fc.record({ score: fc.constantFrom('anomaly', 'disk-failure'), op: fc.constantFrom(...OPS), value: ok.unit }),
        fc.record({ score: fc.constant('disk-failure'), device: ok.word, op: fc.constantFrom(...OPS), value: ok.unit }),
        fc.record({ service: ok.word }),
        fc.record({ mount: ok.path, freePctBelow: ok.pct }),
        fc.record({ mount: ok.path, freeBytesBelow: ok.size, inodesFreePctBelow: ok.pct }),
        partial({ cpuPctAbove: ok.pct, rssBytesAbove: ok.size, minRuntime: ok.duration }).chain((bounds) =>
          okProcess.map((process) => ({ process, ...bounds })),
        ),
      )
      .map((leaf) => ({ ...leaf, ...f })),
  ),
);
const okCondition = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    okLeaf,
    fc.record({ all: fc.array(tie('c'), { minLength: 1, maxLength: 4 }) }),
    fc.record({ any: fc.array(tie('c'), { minLength: 1, maxLength: 4 }) }),
    fc.record({ not: tie('c') }),
  ),
})).c;
/** A chain of all/any/not up to the deepest the language allows (a leaf and 31 levels above it). */
const okDeep = fc
  .tuple(fc.oneof(fc.integer({ min: 25, max: 31 }), fc.integer({ min: 1, max: 31 })), kinds, okLeaf)
  .map(([levels, pattern, inner]) => chain(levels, pattern, inner));
const okAction = fc.oneof(
  fc.record({ type: fc.constant('restart-service'), service: ok.word }),
  partial({
    match: okProcess,
    minRuntime: ok.duration,
    cpuPctAbove: ok.pct,
    rssBytesAbove: ok.size,
    grace: ok.duration,
  }).map((a) => ({ type: 'kill-process', ...a })),
  fc.record(
    {
      type: fc.constant('free-disk'),
      dirs: fc.array(ok.path, { minLength: 1, maxLength: 3 }),
      globs: fc.array(fc.stringMatching(/^[a-z0-9*?._-]{1,12}$/), { minLength: 1, maxLength: 3 }),
      olderThan: ok.duration,
      maxBytes: ok.size,
    },
    { requiredKeys: ['type', 'dirs', 'globs', 'maxBytes'] },
  ),
  fc.record(
    {
      type: fc.constant('rotate-log'),
      path: ok.path,
      keep: fc.integer({ min: 0, max: 100 }),
      copytruncate: fc.boolean(),
    },
    { requiredKeys: ['type', 'path'] },
  ),
  fc.record({ type: fc.constant('truncate-log'), path: ok.path }),
  partial({ level: fc.constantFrom(1, 2, 3) }).map((a) => ({ type: 'drop-caches', ...a })),
  fc.record(
    {
      type: fc.constant('run-script'),
      script: fc.stringMatching(/^[a-z0-9][a-z0-9._/-]{0,20}$/),
      args: fc.array(okText(100, 'whitespace'), { maxLength: 3 }),
      timeout: ok.duration,
      env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), okText(100, 'whitespace'), { maxKeys: 3 }),
    },
    { requiredKeys: ['type', 'script'] },
  ),
  fc.record(
    { type: fc.constant('notify'), message: okText(2000, 'whitespace'), severity: fc.constantFrom('info', 'warning') },
    { requiredKeys: ['type', 'message'] },
  ),
  fc.record({ type: fc.constant('cordon'), reason: okText(2000, 'whitespace') }),
);
const okPolicy = fc.record(
  {
    name: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
    description: okText(2000, 'whitespace'),
    enabled: fc.boolean(),
    priority: fc.maxSafeInteger(),
    selector: partial({
      matchLabels: fc.dictionary(ok.labelKey, okText(256), { maxKeys: 3 }),
      matchExpressions: fc.array(
        fc.oneof(
          fc.record({
            key: ok.labelKey,
            operator: fc.constantFrom('In', 'NotIn'),
            values: fc.array(okText(256), { minLength: 1, maxLength: 3 }),
          }),
          fc.record({ key: ok.labelKey, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
        ),
        { maxLength: 3 },
      ),
    }),
    when: fc.oneof({ weight: 4, arbitrary: okCondition }, { weight: 1, arbitrary: okDeep }),
    do: fc.array(okAction, { minLength: 1, maxLength: 4 }),
    guards: partial({
      cooldown: ok.duration,
      maxRunsPerHour: ok.count,
      maxAttempts: ok.count,
      verify: fc.record({ within: ok.duration, condition: okCondition }),
      requireApproval: fc.boolean(),
      dryRun: fc.boolean(),
    }),
  },
  { requiredKeys: ['name', 'when', 'do'] },
);
const okSet = fc.record(
  {
    version: fc.stringMatching(/^[a-z0-9][a-z0-9.@-]{0,20}$/),
    alerting: fc
      .tuple(
        fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        partial({
          minSamples: fc.integer({ min: 1, max: 10_000 }),
          minDuration: ok.dayOrLess,
          clearFor: ok.dayOrLess,
          cooldown: ok.dayOrLess,
        }),
      )
      .map(([enter, share, rest]) => ({ anomaly: { enter, exit: enter * share, ...rest } })),
    // unique names: the position is part of each
    policies: fc.array(okPolicy, { maxLength: 4 }).map((ps) => ps.map((p, i) => ({ ...p, name: `${p.name}-${i}` }))),
  },
  { requiredKeys: ['policies'] },
);

/** Every place in a value a hostile value can go: each object member and array element, by its path. */
function slots(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      const at = [...path, Array.isArray(value) ? Number(k) : k];
      out.push(at);
      slots(v, at, out);
    }
  return out;
}
/** A plausible set with the value at one of its places (or a new member of one of its objects) made hostile. */
const mutated = fc
  .tuple(okSet, fc.nat(), fc.boolean(), fc.oneof(nastyString, number, regex, fc.constant(null), fc.constant({})))
  .map(([doc, at, insert, hostile]) => {
    const copy = structuredClone(doc) as Record<string, unknown>;
    const all = slots(copy);
    const path = all[at % all.length]!;
    let parent: Record<string | number, unknown> = copy;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    if (insert && !Array.isArray(parent)) parent[typeof hostile === 'string' ? hostile : 'foo'] = hostile;
    else parent[path.at(-1)!] = hostile;
    return copy;
  });

/** A document as text an author could publish. */
type Source = { text: string; format: 'yaml' | 'json' };
const asSource = (docs: fc.Arbitrary<unknown>): fc.Arbitrary<Source> =>
  fc
    .tuple(docs, fc.constantFrom<'yaml' | 'json'>('yaml', 'json'))
    .map(([doc, format]) => ({ text: format === 'json' ? JSON.stringify(doc) : toYaml(doc), format }));
const plausible = asSource(okSet);
/**
 * JSON texts with an all/any/not chain up to 20 000 levels deep, written as text (JSON.stringify itself recurses); a
 * YAML text that deep would not fit a publish.
 */
const deepJson: fc.Arbitrary<Source> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), kinds, okLeaf)
  .map(([levels, pattern, inner]) => {
    let open = '';
    let close = '';
    for (let i = levels - 1; i >= 0; i--) {
      const k = pattern[i % pattern.length]!;
      open += k === 'not' ? '{"not":' : `{"${k}":[`;
      close = (k === 'not' ? '}' : ']}') + close;
    }
    const when = `${open}${JSON.stringify(inner)}${close}`;
    return {
      text: `{"policies":[{"name":"deep","do":[{"type":"notify","message":"m"}],"when":${when}}]}`,
      format: 'json',
    };
  });
const shaped = fc.oneof(
  { weight: 9, arbitrary: asSource(fc.oneof(mutated, hostileSet)) },
  { weight: 1, arbitrary: deepJson },
);
/** Raw random text, and serialisations with a random character spliced in (or cut short). */
const raw: fc.Arbitrary<Source> = fc.oneof(
  fc.record({
    text: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
    format: fc.constantFrom<'yaml' | 'json'>('yaml', 'json'),
  }),
  fc
    .tuple(asSource(fc.oneof(okSet, hostileSet)), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }))
    .map(([s, n, splice]) => {
      const at = n % (s.text.length + 1);
      return { ...s, text: s.text.slice(0, at) + splice + s.text.slice(at + 1) };
    }),
);

// ---- the two sides ------------------------------------------------------------------------------------------------

/** Runs `fn`, returning its result or the ValidationError it threw; anything else thrown fails the test. */
function decide<T>(side: string, input: string, fn: () => T): { value: T } | { error: ValidationError } {
  const t0 = performance.now();
  let out: { value: T } | { error: ValidationError };
  try {
    out = { value: fn() };
  } catch (e) {
    if (!(e instanceof ValidationError))
      assert.fail(
        `${side} threw ${(e as Error)?.name}: ${(e as Error)?.message} for ${JSON.stringify(input.slice(0, 300))}`,
      );
    assertNamesPaths(e, side);
    out = { error: e };
  }
  const ms = performance.now() - t0;
  assert.ok(
    ms < BOUND_MS,
    `${side} took ${ms.toFixed(0)} ms (bound ${BOUND_MS}) for ${JSON.stringify(input.slice(0, 300))}`,
  );
  return out;
}

/** Issues of the whole document, the only ones without a path: not YAML/JSON, too deep, not an object, unknown keys. */
const ROOT_ISSUE =
  /^(not valid (YAML|JSON): |YAML flow collections |Invalid input: expected object|Unrecognized keys?: )/;
function assertNamesPaths(e: ValidationError, side: string): void {
  assert.ok(e.issues.length > 0, `${side}: a ValidationError without issues`);
  assert.match(e.message, /^invalid (policy document|policy): ./, side);
  for (const i of e.issues) {
    assert.ok(i.message.trim().length > 0, `${side}: an issue without a message at '${i.path}'`);
    // any issue below the document names a path from one of the set's keys (or the stored form's `source: …`)
    if (i.path === '') assert.match(i.message, ROOT_ISSUE, `${side}: issue without a path`);
    else assert.match(i.path, /^(version|alerting|policies|source: )/, `${side}: ${i.path}: ${i.message}`);
  }
}

/** Every cmdline regex of an accepted set. */
function regexesOf(set: PolicySet): string[] {
  const out: string[] = [];
  const walk = (c: Condition) => {
    if (c.kind === 'all') c.all.forEach(walk);
    else if (c.kind === 'any') c.any.forEach(walk);
    else if (c.kind === 'not') walk(c.not);
    else if (c.kind === 'process' && c.process.cmdline !== undefined) out.push(c.process.cmdline);
  };
  for (const p of set.policies) {
    walk(p.when);
    if (p.guards.verify) walk(p.guards.verify.condition);
    for (const a of p.do) if (a.type === 'kill-process' && a.match?.cmdline !== undefined) out.push(a.match.cmdline);
  }
  return out;
}

const LONG_CMDLINE = `${'a'.repeat(4096)}!`;

/** The property: the server's verdict, and for what it stores, the agent's (bundle and cache forms) agree. */
function bothSides(src: Source): boolean {
  const server = decide('control plane', src.text, () => admitPolicySource(src.text, src.format));
  const agentText = decide('agent (text)', src.text, () => checkPolicyDocument(src.text, src.format));
  if (!('value' in server)) return false;
  const stored = server.value;
  // what the control plane signs and the agent checks before handing the document to its healer
  PolicyBundleSchema.parse({ policySet: 'fuzz', version: 'fuzz@1', issuedAt: 1, document: stored });
  const bundle = JSON.parse(canonicalJson({ ...stored, version: 'fuzz@1' })) as Record<string, unknown>;
  const agent = decide('agent (bundle)', src.text, () => checkPolicyDocument(bundle));
  assert.ok(
    'value' in agent,
    `stored by the control plane, refused by the agent: ${'error' in agent ? agent.error.message : ''}`,
  );
  const cached = decide('agent (cache)', src.text, () => checkPolicyDocument(JSON.stringify(bundle), 'json'));
  assert.ok('value' in cached, `refused from the agent's cache: ${'error' in cached ? cached.error.message : ''}`);
  // the same meaning: the normalised sets are equal but for the version the bundle carries (-0 travels as 0)
  assert.ok('value' in agentText, 'the agent refuses the text the control plane accepted');
  assert.equal(canonicalJson(agent.value), canonicalJson({ ...agentText.value, version: 'fuzz@1' }));
  assert.equal(canonicalJson(cached.value), canonicalJson(agent.value));
  const t0 = performance.now();
  for (const re of regexesOf(agent.value)) compileSafeRegex(re).test(LONG_CMDLINE);
  const ms = performance.now() - t0;
  assert.ok(ms < BOUND_MS, `regexes took ${ms.toFixed(0)} ms for ${JSON.stringify(src.text.slice(0, 300))}`);
  return true;
}

describe('fuzz: the policy language on the control plane and the agent', () => {
  // warm-up outside the bound: first-use compilation of zod schemas, yaml and the regex engine
  bothSides({
    text: 'policies: [ { name: w, when: { process: { cmdline: a+ } }, do: [ { type: notify, message: m } ] } ]',
    format: 'yaml',
  });

  it('plausible documents: most are stored, and the agent accepts each stored one with the same meaning', () => {
    let stored = 0;
    fc.assert(
      fc.property(plausible, (src) => {
        if (bothSides(src)) stored++;
      }),
      { seed: SEED, numRuns: 400 },
    );
    // the agreement is checked on a good share, not vacuously (lint refuses some random regexes and '..' paths)
    assert.ok(stored >= 200, `only ${stored} of 400 plausible documents were stored`);
  });

  it('documents of the real keys with hostile values: only ValidationErrors naming paths, bounded time', () => {
    fc.assert(
      fc.property(shaped, (src) => {
        bothSides(src);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('raw and mangled YAML/JSON text: only ValidationErrors naming paths, bounded time', () => {
    fc.assert(
      fc.property(raw, (src) => {
        bothSides(src);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  // Nesting is what costs the YAML composer (seconds and a gigabyte for a megabyte of `[`); a flat megabyte still
  // takes it about 2 s, which is the price of the size a publish admits, not a shape to refuse.
  it('deeply nested texts of the 1 000 000 characters a publish takes: decided within the bound too', () => {
    const MAX = 1_000_000; // PolicyBody.source (control-plane/fleet/fleet-routes.ts)
    const fill = (head: string, unit: string, tail = '') =>
      head + unit.repeat((MAX - head.length - tail.length) / unit.length) + tail;
    let blockNot = 'policies:\n  - name: a\n    do: [ { type: notify, message: m } ]\n    when:\n';
    for (let i = 0; blockNot.length + i < MAX - 2000; i++) blockNot += `${' '.repeat(6 + i)}not:\n`;
    const aliases = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      aliases.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(', ')}]`,
      );
    const levels = Math.floor((MAX - 100) / 8);
    const deepNot =
      '{"policies":[{"name":"a","do":[{"type":"notify","message":"m"}],"when":' +
      `${'{"not":'.repeat(levels)}{"service":"x"}${'}'.repeat(levels)}}]}`;
    const texts: Source[] = [
      { text: '[1, 2]', format: 'json' },
      { text: 'null', format: 'json' },
      { text: '', format: 'yaml' },
      { text: 'policies: !!binary aGk=', format: 'yaml' },
      { text: 'policies: [ &a { name: a }, *a, *b ]', format: 'yaml' },
      { text: `${aliases.join('\n')}\npolicies: *j`, format: 'yaml' }, // a billion laughs
      { text: fill('policies: ', '['), format: 'yaml' },
      { text: fill('policies: ', '{a: '), format: 'yaml' },
      { text: `${blockNot}${' '.repeat(2000)}service: x\n`, format: 'yaml' },
      { text: `{"policies": ${'['.repeat(MAX / 2 - 20)}${']'.repeat(MAX / 2 - 20)}}`, format: 'json' },
      { text: deepNot, format: 'json' },
    ];
    for (const src of texts) assert.equal(bothSides(src), false, src.text.slice(0, 80));
  });

  it('decoded documents as a bundle could carry them: the agent only throws ValidationErrors', () => {
    fc.assert(
      fc.property(fc.oneof(okSet, mutated, hostileSet), (doc) => {
        decide('agent (object)', JSON.stringify(doc) ?? '', () => checkPolicyDocument(doc));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('policy language regressions from the hardening issue', () => {
  const yaml = (when: string, action: string) =>
    `policies:\n  - name: regression\n    when: ${when}\n    do: [ ${action} ]\n`;
  const refusedBoth = (src: string, message: string) => {
    for (const [side, fn] of [
      ['control plane', () => admitPolicySource(src, 'yaml')],
      ['agent', () => checkPolicyDocument(src, 'yaml')],
    ] as const)
      assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.message === message, side);
  };

  it("regex '^(.*){100}x$' is refused on both sides, and the engine would never run it", () => {
    refusedBoth(
      yaml("{ process: { cmdline: '^(.*){100}x$' } }", '{ type: notify, message: hi }'),
      'invalid policy document: policies.0.when.process.cmdline: regex refused: nested quantifiers (a repeated group ' +
        'that itself repeats, e.g. (a+)+ or (.*){100}) are not allowed',
    );
    refusedBoth(
      yaml('{ service: web }', "{ type: kill-process, match: { cmdline: '^(.*){100}x$' } }"),
      'invalid policy document: policies.0.do.0.match.cmdline: regex refused: nested quantifiers (a repeated group ' +
        'that itself repeats, e.g. (a+)+ or (.*){100}) are not allowed',
    );
    assert.throws(() => compileSafeRegex('^(.*){100}x$'), /refused: nested quantifiers/);
  });

  it('run-script env BASH_ENV is refused on both sides', () => {
    refusedBoth(
      yaml('{ service: web }', "{ type: run-script, script: ok.sh, env: { BASH_ENV: '$(touch /tmp/pwned)' } }"),
      "invalid policy document: policies.0.do.0.env.BASH_ENV: environment variable 'BASH_ENV' is never passed to " +
        'scripts (it changes how programs start or is fixed by the agent)',
    );
  });
});
