#!/usr/bin/env node
// Runs at `npm install` in a checkout: builds everything `npm start` and the two bin commands run, i.e. `npm run build`:
// the Prisma clients for both schemas (control-plane/db/generated/{sqlite,postgres}; offline: the `prisma-client`
// generator with engineType "client" needs no engine binary), the web UI (web/dist), the agent bundle (dist/agent)
// and the control-plane bundle (dist/control-plane).
//
// The build tools are devDependencies. Without them (`npm install --omit=dev`) it prints one line and succeeds: such
// an install runs a dist/ built elsewhere (npm install && npm run build, then npm prune --omit=dev). A real build
// error fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prismaCli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const tools = ['prisma', 'vite', 'esbuild', '@prisma/client'];
const missing = tools.filter((t) => !existsSync(join(root, 'node_modules', t, 'package.json')));
if (missing.length) {
  console.log(
    `homeostat postinstall: build tools not installed (${missing.join(', ')}: devDependencies); skipping the build`,
  );
  process.exit(0);
}

/** Runs `node <args>` in the repository root; exits with its status when it fails. */
function step(what, args, env = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) {
    console.error(`homeostat postinstall: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const quietPrisma = { PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', PRISMA_GENERATE_SKIP_AUTOINSTALL: '1' };
for (const provider of ['sqlite', 'postgres']) {
  const config = join(root, 'control-plane', 'db', 'prisma', provider, 'prisma.config.ts');
  step(`prisma generate (${provider})`, [prismaCli, 'generate', '--config', config], quietPrisma);
}
// The admin UI is served by the control plane from web/dist.
step('web UI build', [join(root, 'web', 'build.mjs')]);
step('agent build', [join(root, 'agent', 'build.mjs'), '--quiet']);
step('control plane build', [join(root, 'control-plane', 'build.mjs'), '--quiet']);
