import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../contract/models/card.ts';
import { createChildVerifier, enginesFingerprint } from './child-verifier.ts';
import { createEngine } from './engines.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { readModelFile } from './model-file.ts';

describe('child-process verification of the JS engine (real child, real onnxruntime)', () => {
  it('verifies a model once, keeps the verdict by sha256, and answers from it afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    const cacheFile = join(dir, 'engine-verdicts.json');
    const { bytes } = await readModelFile(SHIPPED_MODELS.anomaly);
    const first = await createChildVerifier({ cacheFile })(bytes);
    assert.deepEqual(first, { agrees: true, note: 'agrees with onnxruntime on 64 probe steps' });
    assert.deepEqual(JSON.parse(readFileSync(cacheFile, 'utf8')), {
      [sha256Hex(bytes)]: { ...first, engines: enginesFingerprint() },
    });
    const again = await createChildVerifier({ cacheFile })(bytes);
    assert.deepEqual(again, { agrees: true, note: 'agrees with onnxruntime on 64 probe steps (verified earlier)' });
  });

  it('a verdict reached by other engine versions is not trusted: the model is verified again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    const cacheFile = join(dir, 'engine-verdicts.json');
    const { bytes } = await readModelFile(SHIPPED_MODELS.disk);
    writeFileSync(
      cacheFile,
      JSON.stringify({
        [sha256Hex(bytes)]: { agrees: false, note: 'old engine disagreed', engines: 'an-older-engine' },
      }),
    );
    assert.deepEqual(await createChildVerifier({ cacheFile })(bytes), {
      agrees: true,
      note: 'agrees with onnxruntime on 64 probe steps',
    });
  });

  it('an unwritable cache costs nothing but the cache: the verdict holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const { bytes } = await readModelFile(SHIPPED_MODELS.disk);
    assert.deepEqual(await createChildVerifier({ cacheFile: join(dir, 'not-a-dir', 'engine-verdicts.json') })(bytes), {
      agrees: true,
      note: 'agrees with onnxruntime on 64 probe steps',
    });
  });

  it('a child that does not finish means "does not agree", and nothing is cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    const cacheFile = join(dir, 'engine-verdicts.json');
    const { bytes } = await readModelFile(SHIPPED_MODELS.disk);
    const verdict = await createChildVerifier({ cacheFile, timeoutMs: 1 })(bytes);
    assert.equal(verdict.agrees, false);
    assert.match(verdict.note, /^verification failed: /);
    assert.equal(existsSync(cacheFile), false);
  });

  it("the agent's auto engine runs a verified model on the JS engine", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'verify-'));
    const session = await createEngine('auto', { stateDir }).load((await readModelFile(SHIPPED_MODELS.disk)).bytes);
    assert.equal(session.engine, 'js');
    assert.ok(existsSync(join(stateDir, 'engine-verdicts.json')));
  });
});
