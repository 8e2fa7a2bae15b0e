/**
 * Serves the built web UI (web/dist) as a Hono sub-app, to be mounted at `/` after the API routes.
 *
 * - Files under `assets/` carry content hashes (Vite), so they are cached for a year (`immutable`).
 * - `index.html` and every other file are `no-cache` (revalidated with ETag/Last-Modified on each load).
 * - SPA fallback: a GET for a path with no file and no extension (e.g. `/hosts/abc`) that accepts HTML gets index.html,
 *   so deep links and reloads work. `/api/*` is never answered here (404 falls through to the API's JSON 404).
 * - When the UI has not been built, pages answer 503 naming the command that builds it.
 * - Precompressed variants written at build (web/precompress.ts: `<file>.br`, `<file>.gz`) are sent with
 *   `Content-Encoding` when the request accepts them (Brotli first); every compressible file varies on Accept-Encoding.
 * - Source maps (`*.map`) are not public: 404 unless `sourceMaps` (env HOMEOSTAT_WEB_SOURCEMAP=1).
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
  /** Serve `*.map` files (default: env HOMEOSTAT_WEB_SOURCEMAP=1); otherwise they answer 404. */
  sourceMaps?: boolean;
};

/** File types worth sending compressed (the ones web/precompress.ts compresses). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.webmanifest']);

/** The encodings an Accept-Encoding header allows (q > 0), in our order of preference. */
export function acceptedEncodings(header: string | undefined): ('br' | 'gzip')[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set(name!.trim(), qp ? Number(qp.slice(2)) : 1);
  }
  const ok = (e: string) => (q.get(e) ?? q.get('*') ?? 0) > 0;
  return (['br', 'gzip'] as const).filter(ok);
}

/** Hono sub-app serving the UI with SPA fallback and cache headers. */
export function webStatic(options: WebStaticOptions = {}): Hono {
  const root = resolve(options.root ?? DEFAULT_WEB_DIST);
  const sourceMaps = options.sourceMaps ?? process.env.HOMEOSTAT_WEB_SOURCEMAP === '1';
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

  const relFromRoot = (abs: string) => abs.slice(root.length);

  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return next(); // malformed escape: not a file of ours
    }
    if (urlPath === '/api' || urlPath.startsWith('/api/')) return next();
    if (!sourceMaps && urlPath.endsWith('.map')) return next();
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
    const ext = extname(file.path).toLowerCase();
    const headers: Record<string, string> = {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': !spa && urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (COMPRESSIBLE.has(ext)) {
      headers.vary = 'Accept-Encoding';
      for (const enc of acceptedEncodings(c.req.header('accept-encoding'))) {
        const variant = await fileAt(`${relFromRoot(file.path)}.${enc === 'br' ? 'br' : 'gz'}`);
        if (!variant) continue;
        file = { ...variant, mtime: file.mtime };
        headers['content-encoding'] = enc;
        break;
      }
    }
    const etag = `W/"${file.size.toString(16)}-${file.mtime.getTime().toString(16)}${headers['content-encoding'] ? `-${headers['content-encoding']}` : ''}"`;
    headers.etag = etag;
    headers['last-modified'] = file.mtime.toUTCString();
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    headers['content-length'] = String(file.size);
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, headers);
  });
  return app;
}
