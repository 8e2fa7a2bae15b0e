/**
 * H1 (issue 13): which route gets which body limit, through the real middleware on a Hono app. Small limits stand in
 * for the defaults so the bodies stay small; test/adversarial/http-limits.test.ts covers the defaults end to end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { bodyLimitFor, createBodyLimit, DEFAULT_BODY_LIMITS } from './body-limits.ts';

const limits = { unauthenticated: 100, default: 1000, modelUpload: 5000, agentUpload: 9000 };
const app = new Hono()
  .use('*', createBodyLimit(limits))
  .all('*', async (c) => c.json({ read: (await c.req.arrayBuffer()).byteLength }));

const send = async (method: string, path: string, bytes: number, chunked = false) => {
  const body = new Uint8Array(bytes).fill(120);
  // a streamed body needs `duplex` (undici), which the DOM RequestInit type does not declare yet
  const streamed: RequestInit & { duplex: 'half' } = {
    method,
    body: new ReadableStream({
      start(c) {
        // several chunks and no Content-Length: counted as it streams
        for (let i = 0; i < bytes; i += 64) c.enqueue(body.subarray(i, i + 64));
        c.close();
      },
    }),
    duplex: 'half',
  };
  const res = await app.request(
    `http://cp${path}`,
    chunked ? streamed : { method, body, headers: { 'content-length': String(bytes) } },
  );
  return { status: res.status, body: (await res.json()) as { read?: number; limit?: number; message?: string } };
};

describe('H1: body limits per route', () => {
  it('the defaults: 64 KiB unauthenticated, 2 MiB elsewhere, large only for uploads', () => {
    assert.deepEqual(bodyLimitFor('POST', '/api/auth/login'), { bytes: 64 * 1024, kind: 'unauthenticated' });
    assert.deepEqual(bodyLimitFor('POST', '/api/enroll/'), { bytes: 64 * 1024, kind: 'unauthenticated' });
    assert.equal(bodyLimitFor('POST', '/api/policies').bytes, DEFAULT_BODY_LIMITS.default);
    assert.equal(bodyLimitFor('POST', '/api/models').kind, 'modelUpload');
    assert.equal(bodyLimitFor('PUT', '/api/models').kind, 'default', 'only the upload itself');
    assert.equal(bodyLimitFor('POST', '/api/agent-versions').kind, 'agentUpload');
    assert.equal(bodyLimitFor('POST', '/api/agent-versions/1.2.3/publish').kind, 'default');
  });

  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with Content-Length';
    it(`unauthenticated routes refuse beyond their small limit with 413 naming it (${how})`, async () => {
      for (const path of ['/api/auth/login', '/api/enroll', '/api/enroll/', '/api/session']) {
        const r = await send('POST', path, 101, chunked);
        assert.equal(r.status, 413, path);
        assert.equal(r.body.limit, 100);
        assert.match(r.body.message ?? '', /larger than 100 bytes/);
      }
      assert.deepEqual((await send('POST', '/api/auth/login', 100, chunked)).body, { read: 100 });
    });

    it(`uploads get their larger limits, other writes the default (${how})`, async () => {
      assert.deepEqual((await send('POST', '/api/models', 4000, chunked)).body, { read: 4000 });
      assert.equal((await send('POST', '/api/models', 5001, chunked)).status, 413);
      assert.deepEqual((await send('POST', '/api/agent-versions', 8000, chunked)).body, { read: 8000 });
      assert.equal((await send('POST', '/api/policies', 4000, chunked)).status, 413);
      assert.equal((await send('PATCH', '/api/users/u1', 1001, chunked)).status, 413);
      assert.equal((await send('POST', '/api/agent-versions/1.2.3/publish', 4000, chunked)).status, 413);
    });
  }
});
