import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { webStatic } from './web-static.ts';

async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'homeostat-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Homeostat</title>');
  await writeFile(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
  await writeFile(join(dir, 'favicon.svg'), '<svg/>');
  return dir;
}

test('serves hashed assets immutable and index.html no-cache', async () => {
  const dir = await fixture();
  try {
    const app = webStatic({ root: dir });
    const asset = await app.request('/assets/app-abc123.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await asset.text(), 'console.log(1)');
    const index = await app.request('/', { headers: { accept: 'text/html' } });
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /<title>Homeostat<\/title>/);
    const etag = asset.headers.get('etag')!;
    const again = await app.request('/assets/app-abc123.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('deep links fall back to index.html; missing files with extensions, /api and traversal do not', async () => {
  const dir = await fixture();
  try {
    const outer = new Hono();
    outer.get('/api/hosts', (c) => c.json({ hosts: [] }));
    outer.route('/', webStatic({ root: dir }));
    outer.notFound((c) => c.json({ error: 'not found' }, 404));
    const deep = await outer.request('/hosts/web-01', { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(deep.status, 200);
    assert.equal(deep.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await outer.request('/assets/missing.js')).status, 404);
    const api = await outer.request('/api/nothing', { headers: { accept: 'text/html' } });
    assert.equal(api.status, 404);
    assert.deepEqual(await api.json(), { error: 'not found' });
    assert.deepEqual(await (await outer.request('/api/hosts')).json(), { hosts: [] });
    const escaped = await (
      await outer.request('/..%2f..%2f..%2f..%2fetc%2fpasswd', { headers: { accept: 'text/html' } })
    ).text();
    assert.doesNotMatch(escaped, /root:/);
    assert.match(escaped, /<title>Homeostat/); // treated as an SPA route, never a file outside the root
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('answers 503 naming the build command when the UI is not built', async () => {
  const app = webStatic({ root: join(tmpdir(), 'homeostat-no-such-dist') });
  const res = await app.request('/', { headers: { accept: 'text/html' } });
  assert.equal(res.status, 503);
  assert.match(await res.text(), /npm run build:web/);
});

test('precompressed variants are served by Accept-Encoding (br first) with Vary; source maps are 404 unless enabled', async () => {
  const dir = await fixture();
  try {
    const { precompress } = await import('../../web/precompress.ts');
    const js = `export const rows = [${Array.from({ length: 400 }, (_, i) => `'host-${i}'`).join(',')}];\n`;
    await writeFile(join(dir, 'assets', 'big-1.js'), js);
    await writeFile(join(dir, 'assets', 'big-1.js.map'), '{"version":3}');
    const written = precompress(dir);
    assert.ok(written.some((r) => r.file === join('assets', 'big-1.js') && r.br !== null && r.gz !== null));
    assert.ok(!written.some((r) => r.file.endsWith('.map')), 'maps are not precompressed');

    const app = webStatic({ root: dir, sourceMaps: false });
    const br = await app.request('/assets/big-1.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.equal(br.headers.get('vary'), 'Accept-Encoding');
    const brBytes = Buffer.from(await br.arrayBuffer());
    assert.ok(brBytes.length < js.length / 3, `${brBytes.length} B of ${js.length}`);
    assert.equal((await import('node:zlib')).brotliDecompressSync(brBytes).toString(), js);

    const gz = await app.request('/assets/big-1.js', { headers: { 'accept-encoding': 'gzip;q=1, br;q=0' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal((await import('node:zlib')).gunzipSync(Buffer.from(await gz.arrayBuffer())).toString(), js);
    assert.notEqual(gz.headers.get('etag'), br.headers.get('etag'), 'one ETag per encoding');

    const plain = await app.request('/assets/big-1.js');
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(plain.headers.get('vary'), 'Accept-Encoding');
    assert.equal(await plain.text(), js);

    assert.equal((await app.request('/assets/big-1.js.map')).status, 404);
    const withMaps = webStatic({ root: dir, sourceMaps: true });
    assert.equal((await withMaps.request('/assets/big-1.js.map')).status, 200);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
