/**
 * The ORM stays behind the repositories: only the database module, the Prisma implementations of the ports and the
 * control plane's composition (server.ts, which resolves the database target) may import Prisma, the generated clients
 * or db/database.ts, and no production file reaches a client through a cast (`as unknown as { db … }`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const ALLOWED = [
  /^control-plane\/db\//,
  /^control-plane\/store\/prisma-store\.ts$/,
  /^control-plane\/repositories\/prisma\//,
  /^control-plane\/server\.ts$/,
];
const ORM_IMPORT = /from\s+['"]([^'"]*(?:@prisma\/|\/generated\/|db\/database\.ts)[^'"]*)['"]/g;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'generated' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

test('only the database module, the Prisma repositories and server.ts import the ORM; no cast to .db', () => {
  const offenders: string[] = [];
  for (const file of sources(join(ROOT, 'control-plane'))) {
    const rel = relative(ROOT, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    if (/as unknown as \{\s*db\b/.test(text)) offenders.push(`${rel}: reaches the client through a cast`);
    if (ALLOWED.some((re) => re.test(rel))) continue;
    for (const m of text.matchAll(ORM_IMPORT)) offenders.push(`${rel}: imports ${m[1]}`);
  }
  assert.deepEqual(
    offenders,
    [],
    'services use the repository ports (control-plane/store/ports.ts, control-plane/repositories/)',
  );
});
