/**
 * Verifies the JS engine against onnxruntime in a child process (verify-child.ts), for a model that came without a
 * verdict for this engine build (contract/models/verdict.ts), once per model version and engine version: verdicts
 * are kept in `cacheFile` by the model bytes' sha256, each with the engines that reached it (`JS_ENGINE_ID` and
 * onnxruntime-node's version), so an agent restart or a rollback to a known model does not spawn again, while an
 * agent upgrade checks again. The child is the agent's own entry with a hidden subcommand (`homeostat-agent
 * __verify-model <file>`), beside this module in the bundle, agent/cli/homeostat-agent.mjs from the sources.
 * A child that fails, times out or prints no verdict yields "does not agree": the model then runs on onnxruntime,
 * the safe side. Without onnxruntime-node installed nothing is spawned: "does not agree, cannot verify here".
 * A cache that cannot be written costs a child per load, nothing else.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../contract/models/card.ts';
import type { Verdict } from './auto-engine.ts';
import { JS_ENGINE_ID } from './js-engine.ts';
import { onnxRuntimeVersion } from './onnx-engine.ts';
import { readJson, writeJsonAtomic } from './state-file.ts';
import { VERIFY_SUBCOMMAND } from './verify-child.ts';

/** Options. `timeoutMs` defaults to 60 s; `entry` is the agent entry to spawn (default: {@link agentEntry}). */
export type ChildVerifierOptions = { cacheFile: string; timeoutMs?: number; entry?: string };

type Cached = Verdict & { engines: string };

/** Note of the verdict when onnxruntime-node is not installed (docs/models.md "How the agent runs the models"). */
export const NO_REFERENCE_NOTE = 'no verdict for this engine build and onnxruntime-node is not installed to verify it';

/** The agent's own entry: beside this module in the bundle (dist/agent/homeostat-agent.mjs), else the sources'
 * launcher (agent/cli/homeostat-agent.mjs, which runs TypeScript through tsx). */
export function agentEntry(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? '../cli/homeostat-agent.mjs' : './homeostat-agent.mjs', import.meta.url));
}

/** What a verdict depends on besides the model: the JS engine's build and onnxruntime-node's version. */
export function enginesFingerprint(): string {
  return `${JS_ENGINE_ID}+onnxruntime-node@${onnxRuntimeVersion() ?? 'absent'}`;
}

/** Creates `verify(bytes)` for createAutoEngine. Cached verdicts come back with `(verified earlier)` in their note. */
export function createChildVerifier(options: ChildVerifierOptions): (bytes: Uint8Array) => Promise<Verdict> {
  return async (bytes) => {
    if (onnxRuntimeVersion() === null) return { agrees: false, note: NO_REFERENCE_NOTE };
    const sha = sha256Hex(bytes);
    const engines = enginesFingerprint();
    const known = readJson<Record<string, Cached>>(options.cacheFile)?.[sha];
    if (known?.engines === engines && typeof known.agrees === 'boolean' && typeof known.note === 'string') {
      return { agrees: known.agrees, note: `${known.note} (verified earlier)` };
    }
    const verdict = await runChild(bytes, options.entry ?? agentEntry(), options.timeoutMs ?? 60_000);
    // Only a verdict the child reached is kept; a crash or timeout is tried again at the next load.
    if (!verdict.note.startsWith('verification failed')) {
      try {
        // read again: another model may have been verified while this child ran
        const cache = readJson<Record<string, Cached>>(options.cacheFile);
        writeJsonAtomic(options.cacheFile, { ...cache, [sha]: { ...verdict, engines } });
      } catch {
        // unwritable state dir: the verdict still holds for this load
      }
    }
    return verdict;
  };
}

async function runChild(bytes: Uint8Array, entry: string, timeoutMs: number): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-verify-'));
  try {
    const model = join(dir, 'model.onnx');
    writeFileSync(model, bytes);
    const args = [entry, VERIFY_SUBCOMMAND, model];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, out, errOut) => {
        const lastErrLine = errOut ? `: ${errOut.trim().split('\n').slice(-1)[0]}` : '';
        if (err) reject(new Error(`${err.message.split('\n')[0]}${lastErrLine}`));
        else resolve(out);
      });
    });
    const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<Verdict>;
    if (typeof parsed.agrees !== 'boolean' || typeof parsed.note !== 'string') {
      throw new Error(`no verdict in the child's output: ${stdout.slice(0, 200)}`);
    }
    return { agrees: parsed.agrees, note: parsed.note };
  } catch (err) {
    return { agrees: false, note: `verification failed: ${(err as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
