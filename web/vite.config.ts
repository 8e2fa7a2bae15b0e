/**
 * Vite build of the admin web UI: `web/` → `web/dist` (served by control-plane/api/web-static.ts). Pages other than the
 * fleet overview and sign-in are lazy chunks (app.tsx), so CodeMirror and uPlot load only where they are used.
 * Dev server: `npx vite --config web/vite.config.ts` proxies /api to HOMEOSTAT_URL (default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // Maps are written for debugging but not referenced from the bundles ('hidden'); the control plane answers 404
    // for *.map unless HOMEOSTAT_WEB_SOURCEMAP=1 (web-static.ts). web/precompress.ts then writes .br/.gz beside each file.
    sourcemap: 'hidden',
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': { target: process.env.HOMEOSTAT_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
