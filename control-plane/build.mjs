#!/usr/bin/env node
// Builds the `homeostat` program: dist/control-plane/homeostat.mjs, an ES module entry that declares the subcommands,
// plus one lazily imported chunk graph per subcommand (esbuild code splitting), all in the same directory. Every
// dependency is bundled except CP_EXTERNALS. Files the control plane reads at run time stay where they are in the
// checkout (web/dist, models/, agent/replay/traces: dist/control-plane is as deep as the sources that name them), except
// the SQL migrations, which the build copies to dist/control-plane/prisma/<provider>/migrations (migrate.ts resolves
// them beside the module that lists them).
//
//   node control-plane/build.mjs [--outdir <dir>] [--quiet]     (part of npm run build)
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Left out of the bundle, resolved from node_modules at run time: native code (better-sqlite3), the optional
 * onnxruntime engine, and vite (a devDependency `homeostat demo` imports only to build a missing web UI). */
export const CP_EXTERNALS = ['better-sqlite3', 'onnxruntime-node', 'vite'];

/** Optional packages that bundled libraries probe for with require() inside try/catch (ws: bufferutil,
 * utf-8-validate; debug: supports-color; pg: pg-native; systeminformation: the macOS temperature sensors). */
export const CP_ABSENT_OPTIONALS = [
  'bufferutil',
  'utf-8-validate',
  'supports-color',
  'pg-native',
  'osx-temperature-sensor',
  'macos-temperature-sensor',
];

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
export async function buildControlPlane({ outdir = join(root, 'dist', 'control-plane'), quiet = false } = {}) {
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [
      { in: join(root, 'control-plane', 'cli', 'bin.ts'), out: 'homeostat' },
      // the local agent of `homeostat start` runs in a worker thread (control-plane/compose/local-agent.ts)
      { in: join(root, 'control-plane', 'compose', 'local-agent-worker.ts'), out: 'local-agent-worker' },
    ],
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...CP_EXTERNALS, ...CP_ABSENT_OPTIONALS],
    // Bundled CommonJS packages call require() for Node built-ins; an ES module has none, so give it one.
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __homeostatCreateRequire } from 'node:module';",
        'const require = __homeostatCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    legalComments: 'linked',
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  for (const provider of ['sqlite', 'postgres']) {
    const from = join(root, 'control-plane', 'db', 'prisma', provider, 'migrations');
    cpSync(from, join(outdir, 'prisma', provider, 'migrations'), { recursive: true });
  }
  refuseCommonJsDynamicImports(result.metafile);
  // the bin entry: executable, as npm links it and the shebang expects
  chmodSync(join(outdir, 'homeostat.mjs'), 0o755);
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const info = { externals: CP_EXTERNALS, absentOptionals: CP_ABSENT_OPTIONALS };
  writeFileSync(join(outdir, 'build-info.json'), JSON.stringify(info, null, 2));
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, quiet: { type: 'boolean' } } });
  try {
    await buildControlPlane({ outdir: values.outdir ? resolve(values.outdir) : undefined, quiet: values.quiet });
  } catch (err) {
    console.error(`control plane build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
