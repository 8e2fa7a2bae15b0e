/**
 * Verifies the JS engine against onnxruntime in a child process (verify-child.ts), once per model version: verdicts
 * are kept by the model bytes' sha256 in `cacheFile`, so an agent restart or a rollback to a known model does not
 * spawn again. A child that fails, times out or prints no verdict yields "does not agree": the model then runs on
 * onnxruntime, the safe side.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../models/onnx/card.ts';
import type { Verdict } from './auto-engine.ts';
import { readJson, writeJsonAtomic } from './state-file.ts';

/** Options. `timeoutMs` defaults to 60 s. */
export type ChildVerifierOptions = { cacheFile: string; timeoutMs?: number };

const script = fileURLToPath(new URL('./verify-child.ts', import.meta.url));
const loader = import.meta.resolve('tsx');

/** Creates `verify(bytes)` for createAutoEngine. Cached verdicts come back with `(verified earlier)` in their note. */
export function createChildVerifier(options: ChildVerifierOptions): (bytes: Uint8Array) => Promise<Verdict> {
  return async (bytes) => {
    const sha = sha256Hex(bytes);
    const known = readJson<Record<string, Verdict>>(options.cacheFile)?.[sha];
    if (known && typeof known.agrees === 'boolean' && typeof known.note === 'string') return { agrees: known.agrees, note: `${known.note} (verified earlier)` };
    const verdict = await runChild(bytes, options.timeoutMs ?? 60_000);
    // Only a verdict the child reached is kept; a crash or timeout is tried again at the next load.
    if (!verdict.note.startsWith('verification failed')) writeJsonAtomic(options.cacheFile, { ...readJson<Record<string, Verdict>>(options.cacheFile), [sha]: verdict });
    return verdict;
  };
}

async function runChild(bytes: Uint8Array, timeoutMs: number): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-verify-'));
  try {
    const model = join(dir, 'model.onnx');
    writeFileSync(model, bytes);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', loader, script, model], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, out, errOut) => {
        if (err) reject(new Error(`${err.message.split('\n')[0]}${errOut ? `: ${errOut.trim().split('\n').slice(-1)[0]}` : ''}`));
        else resolve(out);
      });
    });
    const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<Verdict>;
    if (typeof parsed.agrees !== 'boolean' || typeof parsed.note !== 'string') throw new Error(`no verdict in the child's output: ${stdout.slice(0, 200)}`);
    return { agrees: parsed.agrees, note: parsed.note };
  } catch (err) {
    return { agrees: false, note: `verification failed: ${(err as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
