#!/usr/bin/env node
// Runs every *.test.ts under the source trees with Node's own test runner (tsx for TypeScript).
// Node 20's --test takes no globs, so the files are listed here. Extra args are passed through
// (e.g. `npm test -- agent/link` filters to paths containing that text).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['contract', 'agent', 'control-plane', 'models', 'web', 'test', 'bench'];
const skip = new Set(['node_modules', 'dist', 'generated', '.data']);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(name)) files.push(relative(process.cwd(), p));
  }
}
for (const r of roots) {
  try {
    walk(r);
  } catch {
    /* root may not exist yet */
  }
}
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
selected.sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The whole suite starts with the formatter and linter (Biome): a style error fails `npm test` in one second.
if (filters.length === 0) {
  const biome = join('node_modules', '@biomejs', 'biome', 'bin', 'biome');
  const lint = spawnSync(process.execPath, [biome, 'ci', '--colors=off', '--diagnostic-level=error', '.'], {
    stdio: 'inherit',
  });
  if (lint.status !== 0) {
    console.error('biome: formatting or lint errors above (`npm run format` fixes most)');
    process.exit(1);
  }
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...selected],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
