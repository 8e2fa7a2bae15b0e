/**
 * Vite build of the admin web UI: `web/` → `web/dist` (served by control-plane/api/web-static.ts).
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
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': { target: process.env.HOMEOSTAT_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
