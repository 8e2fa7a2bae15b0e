import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelCommand, type ModelManifestPayload } from '../../contract/signing/bundle.ts';
import { createFleetState } from './fleet-state.ts';
import { createModelUpdater, type ModelManifest } from './model-updater.ts';
import type { StateMessage } from '../../contract/protocol/index.ts';

const cp = generateKeyPairSync('ed25519');
const files = new Map<string, Buffer>([
  ['m1', Buffer.from('model-one-bytes')],
  ['m2', Buffer.from('model-two-bytes!!')],
]);

async function withServer(fn: (base: string, hits: string[]) => Promise<void>): Promise<void> {
  const hits: string[] = [];
  const srv = createServer((req, res) => {
    hits.push(`${req.url} ${req.headers.authorization}`);
    const id = req.url?.match(/^\/api\/models\/([^/]+)\/file$/)?.[1];
    if (req.headers.authorization !== `Basic ${Buffer.from('host-1:s3cret').toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    const body = id ? files.get(id) : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits);
  } finally {
    await new Promise((r) => srv.close(r));
  }
}

const manifest = (id: string, version: string, body = files.get(id)!): ModelManifestPayload => ({
  modelId: id,
  name: 'anomaly',
  version,
  sha256: createHash('sha256').update(body).digest('hex'),
  bytes: body.length,
  url: `/api/models/${id}/file`,
  featureSchemaVersion: 'hs-features/1',
  issuedAt: 1,
  card: {},
});

test('downloads with Basic auth, verifies hash and signature, swaps, remembers last good, falls back on failure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-models-'));
  try {
    await withServer(async (server, hits) => {
      const states: StateMessage[] = [];
      const swaps: string[] = [];
      let failSwapOf: string | null = null;
      const state = createFleetState({
        publish: (m) => {
          states.push(m);
        },
        now: () => 5,
      });
      const mk = () =>
        createModelUpdater({
          pinnedKey: cp.publicKey,
          server,
          agentId: 'host-1',
          secret: 's3cret',
          dir,
          state,
          report: () => {},
          swapModel: async (name: string, path: string, m: ModelManifest) => {
            swaps.push(`${name}@${m.version}:${readFileSync(path, 'utf8')}`);
            if (m.version === failSwapOf) throw new Error('session failed to load');
          },
        });
      const u = mk();
      assert.deepEqual(await u.handle(modelCommand(manifest('m1', '3'), cp.privateKey)), { applied: 'anomaly@3' });
      assert.equal(hits[0], `/api/models/m1/file Basic ${Buffer.from('host-1:s3cret').toString('base64')}`);
      assert.deepEqual(states.at(-1)!.models, { anomaly: '3' });

      // Hash mismatch: the manifest claims other bytes than the server sends. No swap, last good stays.
      const lying = manifest('m2', '4', Buffer.from('something-else-17'));
      assert.deepEqual(await u.handle(modelCommand(lying, cp.privateKey)), {
        refused: 'anomaly@4',
        reason: 'tampered',
      });
      assert.equal(swaps.length, 1);

      // The server sends more bytes than signed: refused while streaming, no partial file left.
      const short = { ...manifest('m2', '4'), bytes: 5 };
      assert.deepEqual(await u.handle(modelCommand(short, cp.privateKey)), {
        refused: 'anomaly@4',
        reason: 'tampered',
      });
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
      );

      // The swap itself fails: swapped back to the last good file.
      failSwapOf = '4';
      assert.deepEqual(await u.handle(modelCommand(manifest('m2', '4'), cp.privateKey)), {
        refused: 'anomaly@4',
        reason: 'swap-failed',
      });
      assert.deepEqual(swaps.slice(1), ['anomaly@4:model-two-bytes!!', 'anomaly@3:model-one-bytes']);
      assert.equal(states.at(-1)!.models['anomaly'], '3');
      assert.match(states.at(-1)!.errors.at(-1)!, /swap-failed/);

      // A model fitted on a feature vector this agent does not produce: refused before any download.
      const before = hits.length;
      const alien = { ...manifest('m2', '6'), featureSchemaVersion: 'hs-features/9' };
      assert.deepEqual(await u.handle(modelCommand(alien, cp.privateKey)), {
        refused: 'anomaly@6',
        reason: 'feature-schema',
      });
      assert.match(
        states.at(-1)!.errors.at(-1)!,
        /feature schema 'hs-features\/9' is not what this agent feeds any model \(hs-features\/1, univariate, disk-features\/4\)/,
      );

      // Unsigned manifest: refused before any download.
      assert.deepEqual(await u.handle({ manifest: { kind: 'model-manifest', payload: manifest('m2', '5') } }), {
        refused: 'anomaly@5',
        reason: 'unsigned',
      });
      assert.equal(hits.length, before);

      // Restart: the last good model is remembered on disk.
      assert.equal(mk().lastGood()['anomaly']!.version, '3');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
