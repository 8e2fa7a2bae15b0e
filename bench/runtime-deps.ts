/**
 * Disk footprint of what an agent host needs at run time besides Node.js: the compiled agent directory plus every
 * package its bundle leaves external (read from esbuild's metafile), with their dependency closure in node_modules.
 * Optional engines (onnxruntime-node) are reported apart: the agent runs its models without them.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes under `path` (files and symlinks themselves; symlinks are not followed). */
export function duBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(path)) n += duBytes(join(path, e));
  return n;
}

/** Packages an esbuild metafile's outputs import but do not contain (bare specifiers, node: built-ins excluded). */
export function externalPackages(metafile: {
  outputs: Record<string, { imports?: { path: string; external?: boolean }[] }>;
}): string[] {
  const out = new Set<string>();
  for (const o of Object.values(metafile.outputs)) {
    for (const i of o.imports ?? []) {
      if (!i.external || i.path.startsWith('node:') || i.path.startsWith('.') || i.path.startsWith('/')) continue;
      const parts = i.path.split('/');
      const name = i.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      if (!isBuiltin(name)) out.add(name);
    }
  }
  return [...out].sort();
}

const BUILTINS = new Set([
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'net',
  'tls',
  'http',
  'https',
  'events',
  'stream',
  'url',
  'util',
  'zlib',
  'worker_threads',
  'module',
  'buffer',
  'dns',
  'assert',
  'readline',
  'string_decoder',
  'timers',
  'process',
  'perf_hooks',
  'async_hooks',
  'v8',
  'vm',
  'tty',
  'querystring',
  'constants',
  'dgram',
  'cluster',
  'diagnostics_channel',
]);
const isBuiltin = (name: string) => BUILTINS.has(name) || BUILTINS.has(name.split('/')[0]!);

/** `roots` and their dependencies (and optionalDependencies that are installed), resolved in `nodeModules`. */
export function dependencyClosure(nodeModules: string, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const dir = join(nodeModules, name);
    if (!existsSync(join(dir, 'package.json'))) return;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const d of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(d);
  };
  for (const r of roots) visit(r);
  return [...seen].sort();
}

/** Size of the compiled agent plus its required external packages; optional ones listed apart. */
export function runtimeDeps(
  distDir: string,
  nodeModules: string,
  optional: readonly string[],
  declared: readonly string[] = [],
): {
  totalMb: number;
  distMb: number;
  packages: Record<string, number>;
  optionalMb: Record<string, number>;
} {
  const meta = JSON.parse(readFileSync(join(distDir, 'meta.json'), 'utf8'));
  // `declared`: the build's externals, some of which are loaded through createRequire and so absent from the metafile.
  const externals = [...new Set([...externalPackages(meta), ...declared])].sort();
  const required = dependencyClosure(
    nodeModules,
    externals.filter((e) => !optional.includes(e)),
  );
  const mb = (b: number) => Math.round((b / 1024 / 1024) * 100) / 100;
  const packages: Record<string, number> = {};
  for (const p of required) packages[p] = mb(duBytes(join(nodeModules, p)));
  const optionalMb: Record<string, number> = {};
  for (const p of externals.filter((e) => optional.includes(e))) {
    const closure = dependencyClosure(nodeModules, [p]).filter((q) => !required.includes(q));
    optionalMb[p] = mb(closure.reduce((s, q) => s + duBytes(join(nodeModules, q)), 0));
  }
  const distMb = mb(duBytes(distDir));
  return {
    totalMb: mb(duBytes(distDir) + required.reduce((s, p) => s + duBytes(join(nodeModules, p)), 0)),
    distMb,
    packages,
    optionalMb,
  };
}
