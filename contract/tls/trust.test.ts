/**
 * trustingFetch against a real HTTPS server on loopback (a CA and server certificate from `homeostat tls init`'s
 * openssl): the response resolves at the headers and the body streams chunk by chunk (the server holds the rest back
 * until the client has read the first chunk), a large body passes without the process growing by its size, and a
 * connection cut mid-body errors the read instead of looking complete.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tlsInit } from '../../control-plane/tls/tls-init.ts';
import { trustingFetch } from './trust.ts';

const CHUNK = Buffer.alloc(64 * 1024, 7);
const LARGE = 2048 * CHUNK.length; // 128 MiB

describe('trustingFetch streams response bodies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-trust-'));
  let server: Server;
  let base = '';
  let ca = '';
  /** Resolves the streaming test's gate: the client has read its first chunk. */
  let firstRead: () => void = () => {};
  let served = 0;

  before(async () => {
    const files = tlsInit({ dir, names: ['127.0.0.1'] });
    ca = readFileSync(files.caFile, 'utf8');
    server = createServer(
      { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
      async (req, res) => {
        if (req.url === '/gated') {
          res.writeHead(200, { 'content-length': String(2 * CHUNK.length) });
          res.write(CHUNK);
          served = CHUNK.length;
          await new Promise<void>((r) => {
            firstRead = r;
          });
          served += CHUNK.length;
          res.end(CHUNK);
        } else if (req.url === '/large') {
          res.writeHead(200, { 'content-length': String(LARGE) });
          for (let sent = 0; sent < LARGE; sent += CHUNK.length)
            if (!res.write(CHUNK)) await new Promise((r) => res.once('drain', r));
          res.end();
        } else if (req.url === '/cut') {
          res.writeHead(200, { 'content-length': String(4 * CHUNK.length) });
          res.write(CHUNK, () => res.socket?.destroy());
        } else {
          res.writeHead(204).end();
        }
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

  it('resolves at the headers and hands out the first chunk before the server sent the rest', {
    timeout: 30_000,
  }, async () => {
    const res = await trustingFetch(ca)(`${base}/gated`);
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0);
    assert.equal(served, CHUNK.length, 'the server has sent only its first chunk');
    firstRead();
    let total = first.value.length;
    for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
    assert.equal(total, 2 * CHUNK.length);
  });

  it('passes a 128 MiB body without the process growing by its size', { timeout: 120_000 }, async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const res = await trustingFetch(ca)(`${base}/large`);
    assert.ok(res.body);
    const hash = createHash('sha256');
    let total = 0;
    let chunks = 0;
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const chunk = r.value;
      hash.update(chunk);
      total += chunk.length;
      if (++chunks % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.equal(total, LARGE);
    const expected = createHash('sha256');
    for (let i = 0; i < LARGE / CHUNK.length; i++) expected.update(CHUNK);
    assert.equal(hash.digest('hex'), expected.digest('hex'));
    const grewMiB = (peak - rss0) / 2 ** 20;
    // Buffered, the body alone would be 128 MiB (and twice that while concatenated).
    assert.ok(grewMiB < 64, `RSS grew by ${grewMiB.toFixed(1)} MiB while reading 128 MiB`);
    process.stdout.write(`# trustingFetch 128 MiB: ${chunks} chunks, RSS +${grewMiB.toFixed(1)} MiB\n`);
  });

  it('errors the body when the connection is cut before its end', async () => {
    const res = await trustingFetch(ca)(`${base}/cut`);
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer());
  });

  it('gives no body for 204', async () => {
    const res = await trustingFetch(ca)(`${base}/none`);
    assert.equal(res.status, 204);
    assert.equal(res.body, null);
  });
});
