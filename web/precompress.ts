/**
 * Writes `<file>.br` (Brotli, quality 11) and `<file>.gz` (gzip, level 9) beside every compressible file of the built
 * UI (web/dist), so the control plane serves compressed bytes without compressing per request (web-static.ts picks
 * the variant from Accept-Encoding). Run by `npm run build:web` after Vite. Source maps are left alone: they are not
 * public. A variant is written only when it is smaller than the original.
 *
 *   node --import tsx web/precompress.ts [dir]     (default web/dist)
 */
import { readdirSync, readFileSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt', '.webmanifest']);
/** Files smaller than this gain nothing worth a second request path. */
const MIN_BYTES = 512;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}

/** One file's sizes: original, Brotli and gzip (null when that variant was not written). */
export type Compressed = { file: string; bytes: number; br: number | null; gz: number | null };

/** Precompresses every compressible file under `dir` (stale variants of a previous build are replaced). */
export function precompress(dir: string): Compressed[] {
  const done: Compressed[] = [];
  for (const file of filesUnder(dir)) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    for (const stale of [`${file}.br`, `${file}.gz`]) {
      try {
        unlinkSync(stale);
      } catch {
        /* none */
      }
    }
    if (!COMPRESSIBLE.has(extname(file).toLowerCase())) continue;
    const data = readFileSync(file);
    if (data.length < MIN_BYTES) continue;
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gz = gzipSync(data, { level: 9 });
    const row: Compressed = { file: relative(dir, file), bytes: data.length, br: null, gz: null };
    if (br.length < data.length) {
      writeFileSync(`${file}.br`, br);
      row.br = br.length;
    }
    if (gz.length < data.length) {
      writeFileSync(`${file}.gz`, gz);
      row.gz = gz.length;
    }
    done.push(row);
  }
  return done;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? fileURLToPath(new URL('./dist', import.meta.url));
  const rows = precompress(dir);
  const sum = (f: (r: Compressed) => number) => rows.reduce((n, r) => n + f(r), 0);
  console.log(
    `precompressed ${rows.length} files in ${dir}: ${sum((r) => r.bytes)} B → br ${sum((r) => r.br ?? r.bytes)} B, gz ${sum((r) => r.gz ?? r.bytes)} B`,
  );
}
