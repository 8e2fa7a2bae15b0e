#!/usr/bin/env node
// Builds the web UI into web/dist with Vite's JavaScript API, then writes .br/.gz beside each compressible file
// (web/precompress.ts). Called by postinstall and `npm run build:web`. Exits non-zero with the error printed when the
// build fails.
import { spawnSync } from 'node:child_process';
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
try {
  await build({ configFile, logLevel: process.env.CI ? 'warn' : 'info' });
} catch (err) {
  console.error(`web UI build failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
const pre = spawnSync(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./precompress.ts', import.meta.url))],
  {
    stdio: 'inherit',
  },
);
if (pre.status !== 0) {
  console.error(`web UI precompression failed (exit ${pre.status ?? pre.signal})`);
  process.exit(pre.status ?? 1);
}
