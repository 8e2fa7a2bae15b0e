#!/usr/bin/env node
// Builds the `homeostat-agent` program: dist/agent/homeostat-agent.mjs, an ES module entry plus the chunks it imports
// lazily (same directory), with every dependency bundled except the packages in AGENT_EXTERNALS, and the model files
// the agent loads at run time (dist/agent/models/...). esbuild's metafile (meta.json) lists every input and
// build-info.json the declared externals and model files: test/architecture/agent-closure.test.ts checks both.
//
//   node agent/build.mjs [--outdir <dir>] [--quiet]     (npm run build:agent; default dist/agent)
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages left out of the bundle and resolved from node_modules at run time: native code (better-sqlite3) and
 * the optional onnxruntime engine, imported only when a model runs on it. */
export const AGENT_EXTERNALS = ['better-sqlite3', 'onnxruntime-node'];

/** Optional packages that bundled libraries probe for with require() inside try/catch (ws: bufferutil,
 * utf-8-validate; debug: supports-color; systeminformation: the macOS temperature sensors). Never installed, never
 * needed; declared so that the externals are a list someone wrote, not whatever esbuild could not resolve. */
export const AGENT_ABSENT_OPTIONALS = [
  'bufferutil',
  'utf-8-validate',
  'supports-color',
  'osx-temperature-sensor',
  'macos-temperature-sensor',
];

/** Models the agent loads from its shipped models directory (agent/infer/inference.ts SHIPPED_MODELS), by stem:
 * every `<stem>.*` file beside them is copied (the .onnx, its .card.json and, when present, its .verdict.json). */
export const AGENT_MODEL_STEMS = ['anomaly/anomaly-multi', 'disk/disk-failure'];

/** The model data files to ship, relative to models/. */
export function agentModelFiles() {
  const files = [];
  for (const stem of AGENT_MODEL_STEMS) {
    const dir = dirname(stem);
    const base = `${basename(stem)}.`;
    for (const name of readdirSync(join(root, 'models', dir)).sort()) {
      if (name.startsWith(base) && /\.(onnx|card\.json|verdict\.json)$/.test(name)) files.push(join(dir, name));
    }
  }
  return files;
}

/** A chunk made for `await import('<CommonJS package>')` exports only `default` (esbuild cannot know the named exports
 * the way Node's loader finds them), so `(await import('pino')).pino` works from source and is undefined bundled.
 * Fails the build naming the package; import it statically or use `.default`. */
function refuseCommonJsDynamicImports(metafile) {
  const bad = Object.values(metafile.outputs)
    .filter((o) => o.entryPoint?.includes('node_modules/') && o.exports.length === 1 && o.exports[0] === 'default')
    .map((o) => o.entryPoint.slice(o.entryPoint.lastIndexOf('node_modules/') + 'node_modules/'.length));
  if (bad.length)
    throw new Error(`dynamic import() of CommonJS packages (use a static import or .default): ${bad.join(', ')}`);
}

/** Builds into `outdir`; returns the esbuild metafile. */
export async function buildAgent({ outdir = join(root, 'dist', 'agent'), quiet = false } = {}) {
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    // upgrade-guard.mjs: what the installed launcher runs before the agent (agent/fleet/upgrade-guard-main.ts)
    entryPoints: [
      { in: join(root, 'agent', 'cli', 'bin.ts'), out: 'homeostat-agent' },
      { in: join(root, 'agent', 'fleet', 'upgrade-guard-main.ts'), out: 'upgrade-guard' },
    ],
    outdir,
    outExtension: { '.js': '.mjs' },
    // Each subcommand's implementation becomes a chunk loaded by its action: `--help` parses commander only, and
    // onnxruntime-node (an external) is imported only by the chunk that runs a model on it. Chunks sit beside the
    // entry so that import.meta.url means the same directory in all of them.
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...AGENT_EXTERNALS, ...AGENT_ABSENT_OPTIONALS],
    // Bundled CommonJS packages call require() for Node built-ins; an ES module has none, so give it one.
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __homeostatCreateRequire } from 'node:module';",
        'const require = __homeostatCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    define: { __HOMEOSTAT_MODELS_URL__: JSON.stringify('./models/') },
    legalComments: 'linked',
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  for (const file of agentModelFiles()) {
    const target = join(outdir, 'models', file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(root, 'models', file), target);
  }
  refuseCommonJsDynamicImports(result.metafile);
  // the bin entry: executable, as npm links it and the shebang expects
  chmodSync(join(outdir, 'homeostat-agent.mjs'), 0o755);
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const info = { externals: AGENT_EXTERNALS, absentOptionals: AGENT_ABSENT_OPTIONALS, models: agentModelFiles() };
  writeFileSync(join(outdir, 'build-info.json'), JSON.stringify(info, null, 2));
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, quiet: { type: 'boolean' } } });
  try {
    await buildAgent({ outdir: values.outdir ? resolve(values.outdir) : undefined, quiet: values.quiet });
  } catch (err) {
    console.error(`agent build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
