/**
 * Verifies the JS engine against onnxruntime in a child process (verify-child.ts), once per model version and engine
 * version: verdicts are kept in `cacheFile` by the model bytes' sha256, each with the fingerprint of the engines that
 * reached it (the JS engine's sources and onnxruntime-node's version), so an agent restart or a rollback to a known
 * model does not spawn again, while an agent upgrade checks again. A child that fails, times out or prints no
 * verdict yields "does not agree": the model then runs on onnxruntime, the safe side. A cache that cannot be written
 * costs a child per load, nothing else.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../contract/models/card.ts';
import type { Verdict } from './auto-engine.ts';
import { readJson, writeJsonAtomic } from './state-file.ts';

/** Options. `timeoutMs` defaults to 60 s. */
export type ChildVerifierOptions = { cacheFile: string; timeoutMs?: number };

type Cached = Verdict & { engines: string };

const here = fileURLToPath(new URL('.', import.meta.url));
let fingerprint: string | null = null;

/** sha256 over the JS engine's sources, the probe's and onnxruntime-node's version: what a verdict depends on besides
 * the model. */
export function enginesFingerprint(): string {
  if (fingerprint) return fingerprint;
  const h = createHash('sha256');
  const sources = ['js-engine.ts', 'probe.ts', ...readdirSync(join(here, 'js')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort().map((f) => join('js', f))];
  for (const f of sources) h.update(f).update(readFileSync(join(here, f)));
  h.update(`onnxruntime-node@${(createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version}`);
  return (fingerprint = h.digest('hex').slice(0, 16));
}

/** Creates `verify(bytes)` for createAutoEngine. Cached verdicts come back with `(verified earlier)` in their note. */
export function createChildVerifier(options: ChildVerifierOptions): (bytes: Uint8Array) => Promise<Verdict> {
  return async (bytes) => {
    const sha = sha256Hex(bytes);
    const engines = enginesFingerprint();
    const known = readJson<Record<string, Cached>>(options.cacheFile)?.[sha];
    if (known?.engines === engines && typeof known.agrees === 'boolean' && typeof known.note === 'string') return { agrees: known.agrees, note: `${known.note} (verified earlier)` };
    const verdict = await runChild(bytes, options.timeoutMs ?? 60_000);
    // Only a verdict the child reached is kept; a crash or timeout is tried again at the next load.
    if (!verdict.note.startsWith('verification failed')) {
      try {
        // read again: another model may have been verified while this child ran
        writeJsonAtomic(options.cacheFile, { ...readJson<Record<string, Cached>>(options.cacheFile), [sha]: { ...verdict, engines } });
      } catch {
        // unwritable state dir: the verdict still holds for this load
      }
    }
    return verdict;
  };
}

async function runChild(bytes: Uint8Array, timeoutMs: number): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-verify-'));
  try {
    const model = join(dir, 'model.onnx');
    writeFileSync(model, bytes);
    // resolved here, not at import: an agent on onnxruntime alone never needs it
    const args = ['--import', import.meta.resolve('tsx'), join(here, 'verify-child.ts'), model];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, out, errOut) => {
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
