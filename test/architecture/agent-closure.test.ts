/**
 * The agent carries only itself: builds `homeostat-agent` with esbuild (agent/build.mjs) into a temp dir and reads the
 * metafile. No input may come from the control plane's, the UI's or the model tooling's packages or sources; what
 * the bundle loads from node_modules at run time is exactly the declared externals; the shipped model files are all
 * there. A second test holds package.json to the same rule: `dependencies` (+ optional) are exactly what the two
 * built programs load from node_modules at run time; everything bundled is a devDependency. Both bundles load only
 * commander before a subcommand runs, and onnxruntime-node (optional) only where a model runs on it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SHIPPED_MODELS } from '../../agent/infer/inference.ts';
import { shippedModelsDir } from '../../agent/infer/models-dir.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/** Packages only the control plane, the UI or the build may bring. */
const FORBIDDEN_PACKAGES = [
  'prisma',
  '@prisma',
  'aedes',
  'hono',
  '@hono',
  'vite',
  'react',
  'react-dom',
  '@codemirror',
  '@uiw',
  '@tanstack',
  'uplot',
];
/** Source folders the agent must not bundle. */
const FORBIDDEN_SOURCES = ['control-plane/', 'models/', 'web/'];

type Metafile = {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  outputs: Record<
    string,
    { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }
  >;
};
type BuildInfo = { externals: string[]; absentOptionals: string[]; models?: string[] };

/** Package name of a bare specifier (`@scope/x/y` → `@scope/x`, `x/y` → `x`); null for builtins and paths. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtinModules.includes(spec))
    return null;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  return builtinModules.includes(name) ? null : name;
}

/** The package an input path under node_modules belongs to (its innermost node_modules). */
function inputPackage(path: string): string | null {
  const i = path.lastIndexOf('node_modules/');
  return i < 0 ? null : packageOf(path.slice(i + 'node_modules/'.length));
}

/** Every package the built program loads from node_modules at run time: external imports in the output, plus
 * `createRequire(...)('pkg')` calls in our own sources, which esbuild leaves alone. */
function runtimePackages(meta: Metafile): string[] {
  const found = new Set<string>();
  for (const out of Object.values(meta.outputs)) {
    for (const i of out.imports) if (i.external && packageOf(i.path)) found.add(packageOf(i.path)!);
  }
  for (const input of Object.keys(meta.inputs)) {
    if (input.includes('node_modules/') || !/\.(ts|mjs|js)$/.test(input)) continue;
    const text = readFileSync(join(ROOT, input), 'utf8');
    for (const m of text.matchAll(/(?:\brequire|\))\(\s*'([^'./][^']*)'\s*\)/g))
      if (packageOf(m[1]!)) found.add(packageOf(m[1]!)!);
  }
  return [...found].sort();
}

/** Outputs loaded with `name`: itself and the chunks it imports statically, transitively. */
function staticClosure(meta: Metafile, name: string): string[] {
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n) || !meta.outputs[n]) return;
    seen.add(n);
    for (const i of meta.outputs[n]!.imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit(name);
  return [...seen];
}

const entryOf = (meta: Metafile, entry: string) => Object.keys(meta.outputs).find((k) => k.endsWith(entry))!;

/** Inputs the entry output loads before any subcommand runs: its own and those of the chunks it imports statically. */
function startupInputs(meta: Metafile, entry: string): string[] {
  return staticClosure(meta, entryOf(meta, entry))
    .flatMap((o) => Object.keys(meta.outputs[o]!.inputs))
    .sort();
}

/** Chunks that import onnxruntime-node statically and load with the entry or with a subcommand (the chunks the entry
 * imports dynamically): onnxruntime-node is optional, so only code that runs a model on it may load it. */
function eagerOnnxruntime(meta: Metafile, entry: string): string[] {
  const root = entryOf(meta, entry);
  const subcommands = meta.outputs[root]!.imports.filter((i) => i.kind === 'dynamic-import' && !i.external).map(
    (i) => i.path,
  );
  const loaded = new Set([root, ...subcommands].flatMap((o) => staticClosure(meta, o)));
  return [...loaded].filter((o) =>
    meta.outputs[o]!.imports.some((i) => i.path === 'onnxruntime-node' && i.kind === 'import-statement'),
  );
}

async function build(script: string, outdir: string): Promise<{ meta: Metafile; info: BuildInfo }> {
  await run(process.execPath, [join(ROOT, script), '--outdir', outdir, '--quiet'], { cwd: ROOT, timeout: 240_000 });
  return {
    meta: JSON.parse(readFileSync(join(outdir, 'meta.json'), 'utf8')) as Metafile,
    info: JSON.parse(readFileSync(join(outdir, 'build-info.json'), 'utf8')) as BuildInfo,
  };
}

describe('the agent bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-agent-closure-'));
  let built: { meta: Metafile; info: BuildInfo };
  before(async () => {
    built = await build('agent/build.mjs', join(dir, 'agent'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles no control-plane, UI or model-tooling package or source', () => {
    const inputs = Object.keys(built.meta.inputs);
    const badPackages = [...new Set(inputs.map(inputPackage).filter((p): p is string => p !== null))].filter((p) =>
      FORBIDDEN_PACKAGES.some((f) => p === f || p.startsWith(`${f}/`)),
    );
    assert.deepEqual(badPackages, [], `forbidden packages in the agent bundle: ${badPackages.join(', ')}`);
    const badSources = inputs.filter(
      (p) => !p.includes('node_modules/') && FORBIDDEN_SOURCES.some((f) => p.startsWith(f)),
    );
    assert.deepEqual(
      badSources,
      [],
      `control-plane/, models/ or web/ sources in the agent bundle: ${badSources.join(', ')}`,
    );
  });

  it('loads from node_modules at run time exactly the declared externals', () => {
    const declared = [...built.info.externals, ...built.info.absentOptionals].sort();
    assert.deepEqual(runtimePackages(built.meta), declared);
  });

  it('loads only commander and the command table before a subcommand runs (--help is cheap)', () => {
    const extra = startupInputs(built.meta, '/homeostat-agent.mjs').filter(
      (p) =>
        !p.includes('node_modules/commander/') &&
        !/^agent\/cli\/(bin|homeostat-agent|options)\.ts$/.test(p) &&
        p !== 'contract/cli/help-style.ts',
    );
    assert.deepEqual(extra, []);
  });

  it('loads onnxruntime-node (optional) only when a model runs on it', () => {
    assert.deepEqual(eagerOnnxruntime(built.meta, '/homeostat-agent.mjs'), []);
  });

  it('ships every model file the agent loads, beside the bundle', () => {
    const shipped = Object.values(SHIPPED_MODELS).flatMap((onnx) => {
      const rel = relative(shippedModelsDir({}), onnx);
      return [rel, rel.replace(/\.onnx$/, '.card.json')];
    });
    for (const file of shipped) {
      assert.ok(built.info.models?.includes(file), `${file} is not in the build's model list`);
      assert.ok(existsSync(join(dir, 'agent', 'models', file)), `${file} missing from the bundle's models/`);
    }
  });
});

describe('package.json dependencies and the control-plane bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-cp-closure-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are exactly what the built programs load from node_modules (the rest is bundled: devDependencies)', async () => {
    const agent = await build('agent/build.mjs', join(dir, 'agent'));
    const cp = await build('control-plane/build.mjs', join(dir, 'control-plane'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const declared = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort();
    const devOnly = new Set(Object.keys(pkg.devDependencies ?? {}));
    const loaded = [...new Set([...agent.info.externals, ...cp.info.externals])].filter((p) => !devOnly.has(p)).sort();
    assert.deepEqual(declared, loaded);
    assert.deepEqual(Object.keys(pkg.optionalDependencies ?? {}), ['onnxruntime-node']);
    // and the built programs really load nothing else
    const used = new Set([...runtimePackages(agent.meta), ...runtimePackages(cp.meta)]);
    const declaredAll = new Set([
      ...agent.info.externals,
      ...agent.info.absentOptionals,
      ...cp.info.externals,
      ...cp.info.absentOptionals,
    ]);
    assert.deepEqual(
      [...used].filter((p) => !declaredAll.has(p)),
      [],
    );
    // `homeostat --help` loads commander and the command table only
    const extra = startupInputs(cp.meta, '/homeostat.mjs').filter(
      (p) =>
        !p.includes('node_modules/commander/') &&
        !/^control-plane\/cli\/(bin|homeostat)\.ts$/.test(p) &&
        p !== 'contract/cli/help-style.ts',
    );
    assert.deepEqual(extra, []);
    assert.deepEqual(eagerOnnxruntime(cp.meta, '/homeostat.mjs'), []);
  });
});
