import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelCardSchema } from '../../contract/models/card.ts';
import { EngineVerdictSchema } from '../../contract/models/verdict.ts';
import { ModelManifestSchema } from '../../contract/signing/bundle.ts';
import { SignatureRefusedError, verifyEnvelope } from '../../contract/signing/signature.ts';
import type { Verdict } from '../../agent/infer/auto-engine.ts';
import { createEngine } from '../../agent/infer/engines.ts';
import { createInference, SHIPPED_MODELS } from '../../agent/infer/inference.ts';
import { JS_ENGINE_ID } from '../../agent/infer/js-engine.ts';
import { verdictPathFor } from '../../agent/infer/model-file.ts';
import { startFleet, type FleetRig } from '../../test/integration/fleet-harness.ts';
import { createModelVerifier } from './model-verifier.ts';
import { shippedVerdict } from './shipped-verdicts.ts';

const onnxPath = SHIPPED_MODELS.anomaly;
const onnx = readFileSync(onnxPath);
const card = ModelCardSchema.parse(JSON.parse(readFileSync(onnxPath.replace(/\.onnx$/, '.card.json'), 'utf8')));

async function upload(rig: FleetRig, c: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(onnx)]), 'model.onnx');
  form.set('card', JSON.stringify(c));
  const res = await fetch(`${rig.t.urls.httpUrl}/api/models`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${rig.t.adminToken}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An agent's auto engine whose verifier (the child process, when there is no usable verdict) is counted. */
function countingAgentEngine(stateDir: string) {
  const calls: number[] = [];
  const verify = async (_bytes: Uint8Array): Promise<Verdict> => {
    calls.push(1);
    return { agrees: true, note: 'verified by the test verifier' };
  };
  return { engine: createEngine('auto', { stateDir, verify }), calls };
}

describe('model verdicts: verified once on the control plane, signed, trusted by agents (real onnxruntime, real models)', () => {
  it('registration signs the verdict into the manifest; an agent given it runs the JS engine without verifying; a tampered verdict fails the signature', async () => {
    const rig = await startFleet({ modelVerifier: createModelVerifier() });
    try {
      const up = await upload(rig, card);
      assert.equal(up.status, 201);
      const verdict = EngineVerdictSchema.parse(up.body['verdict']);
      assert.deepEqual(
        { ...verdict, verifiedAt: '', reference: '' },
        {
          engine: 'js',
          engineId: JS_ENGINE_ID,
          sha256: card.sha256,
          agreed: true,
          maxAbsDiff: verdict.maxAbsDiff,
          steps: 64,
          reference: '',
          note: 'agrees with onnxruntime on 64 probe steps',
          verifiedAt: '',
        },
      );
      assert.ok(verdict.maxAbsDiff !== null && verdict.maxAbsDiff <= 1e-5);
      assert.match(verdict.reference, /^onnxruntime-node@\d+\.\d+/);

      const cmd = await rig.fleet.services.models.command(`${card.name}@${card.version}`);
      assert.equal(cmd.type, 'model');
      const envelope = (cmd as { manifest: Record<string, unknown> }).manifest;
      const payload = ModelManifestSchema.parse(
        verifyEnvelope(envelope, rig.t.cp.signingKey.publicKey, 'model-manifest'),
      );
      assert.deepEqual(payload.verdict, verdict);

      for (const tamper of [{ agreed: false }, { maxAbsDiff: 0.5 }, { engineId: 'js/999' }]) {
        const forged = structuredClone(envelope) as { payload: { verdict: Record<string, unknown> } };
        Object.assign(forged.payload.verdict, tamper);
        assert.throws(
          () => verifyEnvelope(forged, rig.t.cp.signingKey.publicKey, 'model-manifest'),
          SignatureRefusedError,
        );
      }

      // the agent side: the swap of a rolled-out model with the signed verdict spawns no verification
      const stateDir = mkdtempSync(join(tmpdir(), 'verdict-agent-'));
      const { engine, calls } = countingAgentEngine(stateDir);
      const inference = await createInference({ engine, stateDir, shipped: { disk: '/nonexistent.onnx' } });
      await inference.start();
      assert.equal(calls.length, 0, 'shipped anomaly model: its shipped verdict, no verification');
      await inference.swap('anomaly', new Uint8Array(onnx), card, payload.verdict);
      assert.equal(calls.length, 0, 'rolled-out model with a signed verdict: no verification');
      assert.equal(inference.engines()['anomaly']!.engine, 'js');
      assert.match(
        inference.engines()['anomaly']!.note!,
        new RegExp(`^agrees with onnxruntime on 64 probe steps \\(verdict of .* for ${JS_ENGINE_ID}\\)$`),
      );
      assert.equal(existsSync(join(stateDir, 'engine-verdicts.json')), false);
      // kept beside the rolled-out model: a restart runs it the same way, still without verifying
      assert.deepEqual(
        JSON.parse(readFileSync(verdictPathFor(join(stateDir, 'models', 'anomaly', 'model.onnx')), 'utf8')),
        verdict,
      );
      await inference.stop();
      const again = countingAgentEngine(stateDir);
      const restarted = await createInference({
        engine: again.engine,
        stateDir,
        shipped: { disk: '/nonexistent.onnx' },
      });
      await restarted.start();
      assert.equal(restarted.engines()['anomaly']!.engine, 'js');
      assert.equal(again.calls.length, 0);
      await restarted.stop();

      // without the verdict (or with one for other bytes), the agent verifies as before
      await inference.swap('anomaly', new Uint8Array(onnx), card, undefined);
      assert.equal(calls.length, 1);
      await inference.swap('anomaly', new Uint8Array(onnx), card, { ...verdict, sha256: 'f'.repeat(64) });
      assert.equal(calls.length, 2);
      await inference.stop();
    } finally {
      await rig.close();
    }
  });

  it('without a verifier, registration records "unverified", says so, and signs no verdict', async () => {
    const rig = await startFleet();
    try {
      const up = await upload(rig, card);
      assert.equal(up.status, 201);
      assert.equal(up.body['verdict'], undefined);
      assert.equal(up.body['unverified'], 'no model verifier on this control plane');
      const cmd = await rig.fleet.services.models.command(`${card.name}@${card.version}`);
      const payload = verifyEnvelope(
        (cmd as { manifest: Record<string, unknown> }).manifest,
        rig.t.cp.signingKey.publicKey,
        'model-manifest',
      );
      assert.equal('verdict' in payload, false);
    } finally {
      await rig.close();
    }
  });

  it("the verdicts shipped beside the agent's models are what onnxruntime says today (node --import tsx control-plane/compose/shipped-verdicts.ts rewrites them)", async () => {
    for (const path of Object.values(SHIPPED_MODELS)) {
      const shipped = EngineVerdictSchema.parse(JSON.parse(readFileSync(verdictPathFor(path), 'utf8')));
      const now = Date.parse(shipped.verifiedAt);
      assert.deepEqual(await shippedVerdict(path, () => now), shipped, `${verdictPathFor(path)} is stale`);
      assert.equal(shipped.agreed, true);
      assert.equal(shipped.engineId, JS_ENGINE_ID);
    }
  });
});
