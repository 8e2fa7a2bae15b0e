#!/usr/bin/env node
// Runs at `npm install`: generates the Prisma clients for both schemas (control-plane/db/generated/{sqlite,postgres}).
// Offline by construction: the `prisma-client` generator with engineType = "client" needs no engine binary, and the
// configs use the JS schema engine through driver adapters. Failures are reported but do not fail the install when the
// prisma package is absent (e.g. `npm install --omit=dev` of an unrelated tool); a real generate error does fail it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
if (!existsSync(cli)) {
  console.warn('homeostat postinstall: prisma CLI not installed; skipping prisma generate');
  process.exit(0);
}
for (const provider of ['sqlite', 'postgres']) {
  const config = join(root, 'control-plane', 'db', 'prisma', provider, 'prisma.config.ts');
  const r = spawnSync(process.execPath, [cli, 'generate', '--config', config], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', PRISMA_GENERATE_SKIP_AUTOINSTALL: '1' },
  });
  if (r.status !== 0) {
    console.error(`homeostat postinstall: prisma generate failed for ${provider} (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// The admin UI is served by the control plane from web/dist, so `npm install` builds it (no separate step).
const web = spawnSync(process.execPath, [join(root, 'web', 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (web.status !== 0) {
  console.error(`homeostat postinstall: web UI build failed (exit ${web.status})`);
  process.exit(web.status ?? 1);
}
