/**
 * The dependency rules between the top-level modules, read from the import graph (static `import` / `export … from`
 * and dynamic `import()` of relative paths, parsed with the TypeScript compiler so comments and strings never count):
 *
 * - agent/ → contract/ only; models/ → contract/ only;
 * - control-plane/ → contract/ only, except the composition roots in control-plane/compose/ (they wire both sides);
 * - web/ → contract/, plus `import type` of the control plane's API types (control-plane/api/*: AppType and the live
 *   stream's event types);
 * - contract/ → nothing outside contract/, and of packages only zod, yaml, protobufjs, picomatch, re2js and node:*.
 *
 * Test files (`*.test.ts`) are not checked: a test may reach across to drive the real other side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const MODULES = ['contract', 'agent', 'control-plane', 'models', 'web'] as const;
type Module = (typeof MODULES)[number];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'generated', '.data', '.scratch']);
// re2js: the policy language's regexes run on a linear-time engine on both sides (the same verdict at publish and
// on the agent), so the engine belongs to the contract. Pure JS, no dependencies.
const CONTRACT_PACKAGES = new Set(['zod', 'yaml', 'protobufjs', 'picomatch', 're2js']);

/** One import edge: `from` (repo-relative file) → `specifier` as written, with whether it is type-only. */
export interface ImportEdge {
  from: string;
  specifier: string;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|tsx|mjs)$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every import edge of one file. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const sf = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    edges.push({
      from: file,
      specifier: spec.text,
      typeOnly,
      line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      // `import type {…}` or `import { type A, type B }` (every binding type-only, no default) erase at compile time.
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly =
        !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const moduleOf = (repoPath: string): string => repoPath.split('/')[0]!;

/** The rule an edge breaks, or null. `from` and `target` are repo-relative with '/' separators. */
export function violation(from: string, target: string | null, specifier: string, typeOnly: boolean): string | null {
  const src = moduleOf(from) as Module;
  if (target === null) {
    // A package import: only the contract's dependencies are restricted.
    if (src !== 'contract') return null;
    const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
    return specifier.startsWith('node:') || CONTRACT_PACKAGES.has(pkg)
      ? null
      : `contract may use only zod, yaml, protobufjs, picomatch, re2js and node:* (not '${pkg}')`;
  }
  const dst = moduleOf(target);
  if (dst === src) return null;
  switch (src) {
    case 'contract':
      return 'contract imports nothing outside contract/';
    case 'agent':
      return ['control-plane', 'models', 'web'].includes(dst) ? `agent → ${dst}` : null;
    case 'models':
      return ['agent', 'control-plane', 'web'].includes(dst) ? `models → ${dst}` : null;
    case 'control-plane':
      if (from.startsWith('control-plane/compose/')) return null;
      return ['agent', 'models', 'web'].includes(dst) ? `control-plane → ${dst} outside control-plane/compose/` : null;
    case 'web':
      if (dst === 'agent') return 'web → agent';
      if (dst === 'control-plane') {
        return typeOnly && target.startsWith('control-plane/api/')
          ? null
          : 'web → control-plane other than `import type` of control-plane/api/*';
      }
      return null;
  }
}

/** Every violation in the tree, as `file:line → target (rule)`. */
export function violations(): string[] {
  const found: string[] = [];
  for (const m of MODULES) {
    for (const abs of sourceFiles(join(ROOT, m))) {
      const from = relative(ROOT, abs).split(sep).join('/');
      for (const e of importsOf(from, readFileSync(abs, 'utf8'))) {
        const relativeSpec = e.specifier.startsWith('./') || e.specifier.startsWith('../');
        const target = relativeSpec
          ? relative(ROOT, resolve(dirname(abs), e.specifier))
              .split(sep)
              .join('/')
          : null;
        const rule = violation(from, target, e.specifier, e.typeOnly);
        if (rule) found.push(`${from}:${e.line} → ${target ?? e.specifier} (${rule})`);
      }
    }
  }
  return found.sort();
}

test('the rule itself: allowed and forbidden edges', () => {
  assert.equal(violation('agent/a.ts', 'contract/errors.ts', '', false), null);
  assert.match(violation('agent/a.ts', 'control-plane/errors.ts', '', false)!, /agent → control-plane/);
  assert.match(violation('agent/a.ts', 'models/x.ts', '', true)!, /agent → models/);
  assert.equal(violation('control-plane/compose/start-command.ts', 'agent/agent.ts', '', false), null);
  assert.match(violation('control-plane/fleet/x.ts', 'agent/agent.ts', '', false)!, /outside control-plane\/compose/);
  assert.match(violation('models/x.ts', 'agent/infer/x.ts', '', false)!, /models → agent/);
  assert.equal(violation('web/src/a.ts', 'control-plane/api/app.ts', '', true), null);
  assert.match(violation('web/src/a.ts', 'control-plane/api/app.ts', '', false)!, /import type/);
  assert.match(violation('web/src/a.ts', 'control-plane/fleet/x.ts', '', true)!, /import type/);
  assert.match(violation('contract/a.ts', 'agent/x.ts', '', true)!, /nothing outside contract/);
  assert.equal(violation('contract/a.ts', null, 'node:crypto', false), null);
  assert.equal(violation('contract/a.ts', null, 'zod', false), null);
  assert.match(violation('contract/a.ts', null, 'pino', false)!, /not 'pino'/);
  assert.equal(violation('agent/a.ts', null, 'pino', false), null);
});

test('the parser sees static, re-export, dynamic and type-only imports, not comments', () => {
  const src = [
    "import a from '../x/a.ts';",
    "import type { B } from '../x/b.ts';",
    "import { type C, type D } from '../x/c.ts';",
    "export { e } from '../x/e.ts';",
    "const f = await import('../x/f.ts');",
    "// import g from '../x/g.ts';",
    'const s = "import h from \'../x/h.ts\'";',
  ].join('\n');
  const edges = importsOf('agent/t.ts', src).map((e) => `${e.specifier}${e.typeOnly ? ' (type)' : ''}`);
  assert.deepEqual(edges, ['../x/a.ts', '../x/b.ts (type)', '../x/c.ts (type)', '../x/e.ts', '../x/f.ts']);
});

test('no module imports across the dependency rules', () => {
  const found = violations();
  assert.deepEqual(
    found,
    [],
    `${found.length} import(s) break the dependency rules (file:line → target):\n  ${found.join('\n  ')}`,
  );
});
