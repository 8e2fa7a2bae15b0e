import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { signEnvelope, verifyEnvelope, rawPublicKeyBase64, SignatureRefusedError, keyIdOf } from './signature.ts';
import { ValidationError } from '../errors.ts';
import { AgentReleaseSchema } from './bundle.ts';

const cp = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

test('canonical JSON sorts keys at every depth and drops undefined members', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, é: 'x' }),
    '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"é":"x"}',
  );
});

test('canonical JSON refuses non-finite numbers naming the path', () => {
  assert.throws(
    () => canonicalJson({ a: { b: [1, Number.NaN] } }),
    (e: unknown) => e instanceof ValidationError && /a\.b\[1\]: non-finite number NaN/.test(e.message),
  );
});

test('a signed envelope verifies against the pinned raw key and returns the payload', () => {
  const env = signEnvelope('policy-bundle', { version: 'p1@2', document: { rules: [] } }, cp.privateKey);
  assert.equal(env.signature.keyId, keyIdOf(cp.publicKey));
  const payload = verifyEnvelope(JSON.parse(JSON.stringify(env)), rawPublicKeyBase64(cp.publicKey), 'policy-bundle');
  assert.deepEqual(payload, { version: 'p1@2', document: { rules: [] } });
});

function refusal(fn: () => unknown, reason: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SignatureRefusedError && e.reason === reason);
}

test('tampered, wrong-key, unsigned and wrong-kind envelopes are refused with their reason', () => {
  const env = signEnvelope('policy-bundle', { version: 'p1@2', document: { maxRestarts: 3 } }, cp.privateKey);
  const tampered = structuredClone(env);
  (tampered.payload.document as { maxRestarts: number }).maxRestarts = 99;
  refusal(() => verifyEnvelope(tampered, cp.publicKey, 'policy-bundle'), 'tampered');
  refusal(
    () => verifyEnvelope(signEnvelope('policy-bundle', env.payload, other.privateKey), cp.publicKey, 'policy-bundle'),
    'wrong-key',
  );
  refusal(
    () => verifyEnvelope({ kind: 'policy-bundle', payload: env.payload }, cp.publicKey, 'policy-bundle'),
    'unsigned',
  );
  refusal(
    () => verifyEnvelope({ ...env, signature: { ...env.signature, sig: '' } }, cp.publicKey, 'policy-bundle'),
    'unsigned',
  );
  refusal(() => verifyEnvelope(env, cp.publicKey, 'model-manifest'), 'wrong-kind');
  refusal(() => verifyEnvelope('nope', cp.publicKey, 'policy-bundle'), 'malformed');
});

test('an agent release may not be named after the install root links current or previous', () => {
  const release = {
    platform: 'linux-x64',
    sha256: 'a'.repeat(64),
    size: 1,
    url: '/downloads/x.tar.gz',
    signature: 'c2ln',
    issuedAt: 1,
  };
  assert.equal(AgentReleaseSchema.safeParse({ ...release, version: '1.2.3' }).success, true);
  for (const version of ['current', 'previous']) {
    const r = AgentReleaseSchema.safeParse({ ...release, version });
    assert.equal(r.success, false, version);
    assert.match(r.error!.issues[0]!.message, /must not be "current" or "previous"/);
  }
});
