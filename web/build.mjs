#!/usr/bin/env node
// Builds the web UI into web/dist with Vite's JavaScript API (called by postinstall and `npm run build:web`).
// Exits non-zero with the error printed when the build fails.
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
try {
  await build({ configFile, logLevel: process.env.CI ? 'warn' : 'info' });
} catch (err) {
  console.error(`web UI build failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
