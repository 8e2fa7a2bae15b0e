/**
 * downloadToFile over a real HTTPS server on loopback through trustingFetch (the agent's fetch with a pinned CA): a
 * 96 MiB body goes to disk with its sha256, the process growing by far less than the body; more bytes than signed stop
 * the transfer (`too-large`), a connection cut early is `truncated`, and neither leaves a file behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { trustingFetch } from '../../contract/tls/trust.ts';
import { tlsInit } from '../../control-plane/tls/tls-init.ts';
import { DownloadSizeError, downloadToFile } from './download-file.ts';

const CHUNK = Buffer.alloc(64 * 1024, 3);
const LARGE = 1536 * CHUNK.length; // 96 MiB

describe('downloadToFile over HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-download-'));
  let server: Server;
  let base = '';
  let get: typeof fetch;

  before(async () => {
    const files = tlsInit({ dir: join(dir, 'tls'), names: ['127.0.0.1'] });
    get = trustingFetch(readFileSync(files.caFile, 'utf8'));
    server = createServer(
      { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
      async (req, res) => {
        const n = req.url === '/cut' ? 8 : LARGE / CHUNK.length;
        // /chunked: no length announced, so only counting the bytes can stop it
        if (req.url === '/chunked') res.writeHead(200);
        else res.writeHead(200, { 'content-length': String(req.url === '/cut' ? LARGE : n * CHUNK.length) });
        for (let i = 0; i < n; i++) if (!res.write(CHUNK)) await new Promise((r) => res.once('drain', r));
        if (req.url === '/cut') res.socket?.destroy();
        else res.end();
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes 96 MiB to disk while hashing, without holding it in memory', { timeout: 120_000 }, async () => {
    const file = join(dir, 'large');
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const w = await downloadToFile(await get(`${base}/large`), file, LARGE).finally(() => clearInterval(sampler));
    const expected = createHash('sha256');
    for (let i = 0; i < LARGE / CHUNK.length; i++) expected.update(CHUNK);
    assert.deepEqual(w, { bytes: LARGE, sha256: expected.digest('hex') });
    assert.equal(statSync(file).size, LARGE);
    const grewMiB = (peak - rss0) / 2 ** 20;
    // buffered, the body alone would be 96 MiB; the server's TLS buffers and GC lag are in this process too
    assert.ok(grewMiB < 64, `RSS grew by ${grewMiB.toFixed(1)} MiB while writing 96 MiB`);
    process.stdout.write(`# downloadToFile 96 MiB over HTTPS: RSS +${grewMiB.toFixed(1)} MiB\n`);
  });

  it('stops at the signed size (too-large) and leaves no file', async () => {
    const file = join(dir, 'big');
    const res = await get(`${base}/large`);
    // the server announces more than signed: refused before the body is read
    await assert.rejects(
      downloadToFile(res, file, 1024),
      (e) => e instanceof DownloadSizeError && e.reason === 'too-large',
    );
    await res.body?.cancel();
    assert.equal(existsSync(file), false);
    // nothing announced: stopped once the bytes pass the signed size
    await assert.rejects(
      downloadToFile(await get(`${base}/chunked`), file, 1024 * 1024),
      (e) => e instanceof DownloadSizeError && e.reason === 'too-large',
    );
    assert.equal(existsSync(file), false);
  });

  it('reports a connection cut before the end as truncated and leaves no file', async () => {
    const file = join(dir, 'cut');
    await assert.rejects(
      downloadToFile(await get(`${base}/cut`), file, LARGE),
      (e) => e instanceof DownloadSizeError && e.reason === 'truncated',
    );
    assert.equal(existsSync(file), false);
  });
});
