import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { transformSync } from 'esbuild';
import { JS_ENGINE_ID } from './js-engine.ts';

/**
 * The sources a verdict depends on (what JS_ENGINE_ID names): the engine, its plan and kernels, and the probe, each
 * compiled to JavaScript with esbuild's whitespace minification, so that formatting, comments and types do not
 * count, and any change to the code does.
 */
function engineSourcesSha(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const js = readdirSync(join(here, 'js'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const h = createHash('sha256');
  for (const f of ['js-engine.ts', 'probe.ts', ...js.map((f) => join('js', f))]) {
    const source = readFileSync(join(here, f), 'utf8');
    const code = transformSync(source, { loader: 'ts', format: 'esm', minifyWhitespace: true }).code;
    h.update(f).update(code);
  }
  return h.digest('hex');
}

/** Pinned: the sources' hash for the current JS_ENGINE_ID. */
const PINNED = { id: 'js/3', sourcesSha256: '0dd86891d253ae767f54a804fd65265d843f6ab3709d8bbe4555b1c5a9db4a54' };

describe('JS engine identity', () => {
  it('a change to the engine code comes with a new JS_ENGINE_ID (verdicts name the build they reached)', () => {
    const sha = engineSourcesSha();
    assert.ok(
      JS_ENGINE_ID === PINNED.id && sha === PINNED.sourcesSha256,
      `JS engine sources hash to ${sha}, pinned ${PINNED.sourcesSha256} for ${PINNED.id} ` +
        `(JS_ENGINE_ID is ${JS_ENGINE_ID}). ` +
        'After changing js-engine.ts, probe.ts or js/*.ts: bump JS_ENGINE_ID, pin the new id and hash here, and ' +
        "rewrite the shipped models' verdicts (node --import tsx control-plane/compose/shipped-verdicts.ts).",
    );
  });
});
