/**
 * Serves the built web UI (web/dist) as a Hono sub-app, to be mounted at `/` after the API routes.
 *
 * - Files under `assets/` carry content hashes (Vite), so they are cached for a year (`immutable`).
 * - `index.html` and every other file are `no-cache` (revalidated with ETag/Last-Modified on each load).
 * - SPA fallback: a GET for a path with no file and no extension (e.g. `/hosts/abc`) that accepts HTML gets index.html,
 *   so deep links and reloads work. `/api/*` is never answered here (404 falls through to the API's JSON 404).
 * - When the UI has not been built, pages answer 503 naming the command that builds it.
 */
import { Hono } from 'hono';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Default location of the built UI: `<repo>/web/dist`. */
export const DEFAULT_WEB_DIST = resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Options of {@link webStatic}. */
export type WebStaticOptions = {
  /** Directory holding index.html and assets/ (default {@link DEFAULT_WEB_DIST}). */
  root?: string;
};

/** Hono sub-app serving the UI with SPA fallback and cache headers. */
export function webStatic(options: WebStaticOptions = {}): Hono {
  const root = resolve(options.root ?? DEFAULT_WEB_DIST);
  const app = new Hono();

  async function fileAt(rel: string): Promise<{ path: string; size: number; mtime: Date } | null> {
    const path = normalize(join(root, rel));
    if (path !== root && !path.startsWith(root + sep)) return null; // no escaping the root with ../
    try {
      const st = await stat(path);
      return st.isFile() ? { path, size: st.size, mtime: st.mtime } : null;
    } catch {
      return null;
    }
  }

  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return next(); // malformed escape: not a file of ours
    }
    if (urlPath === '/api' || urlPath.startsWith('/api/')) return next();
    let file = urlPath.endsWith('/') ? null : await fileAt(urlPath);
    let spa = false;
    if (!file) {
      const wantsHtml = (c.req.header('accept') ?? '*/*').match(/text\/html|\*\/\*/);
      if (extname(urlPath) !== '' || !wantsHtml) return next();
      file = await fileAt('index.html');
      spa = true;
      if (!file) {
        return c.text('The web UI has not been built. Run `npm run build:web` (or `node web/build.mjs`).', 503);
      }
    }
    const etag = `W/"${file.size.toString(16)}-${file.mtime.getTime().toString(16)}"`;
    const immutable = !spa && urlPath.startsWith('/assets/');
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag,
      'last-modified': file.mtime.toUTCString(),
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    headers['content-length'] = String(file.size);
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, headers);
  });
  return app;
}
