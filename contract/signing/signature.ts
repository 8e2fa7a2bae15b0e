/**
 * Signed envelopes for policy bundles and model manifests: `{ kind, payload, signature: { alg, keyId, sig } }`.
 * The ed25519 signature covers canonicalJson({ kind, payload }) — the kind is signed too, so a policy bundle can never be
 * replayed as a model manifest. `keyId` is the first 16 hex digits of sha256(raw public key); it only selects, the
 * verifier always checks against the key it pinned at enrollment.
 *
 * Shared by the control plane (signs) and the agent (agent/fleet verifies); node:crypto only.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** What a signed envelope carries. */
export type EnvelopeKind = 'policy-bundle' | 'model-manifest' | 'agent-release' | 'secret-rotation';

/** A signed envelope as sent inside the `policy` / `model` commands. */
export interface SignedEnvelope<P = Record<string, unknown>> {
  kind: EnvelopeKind;
  payload: P;
  signature: { alg: 'ed25519'; keyId: string; sig: string };
}

/** Why an envelope was refused. */
export type RefusalReason = 'unsigned' | 'malformed' | 'wrong-kind' | 'wrong-key' | 'tampered';

/** Raised by {@link verifyEnvelope}; `reason` is machine-readable, the message says what was wrong. */
export class SignatureRefusedError extends Error {
  override name = 'SignatureRefusedError';
  constructor(
    public readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`signature refused (${reason}): ${detail}`);
  }
}

/** Accepts a KeyObject, a PEM string, or base64 of the 32-byte raw ed25519 public key. */
export function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key.type === 'private' ? createPublicKey(key) : key;
  if (key.includes('BEGIN')) return createPublicKey(key);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32)
    throw new SignatureRefusedError('malformed', `public key must be 32 raw bytes, got ${raw.length}`);
  // SPKI DER prefix of an ed25519 public key.
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** Raw 32-byte public key, base64 (the form pinned by agents). */
export function rawPublicKeyBase64(key: KeyObject | string): string {
  const der = toPublicKey(key).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32)).toString('base64');
}

/** Key id: first 16 hex digits of sha256 over the raw public key. */
export function keyIdOf(key: KeyObject | string): string {
  return createHash('sha256')
    .update(Buffer.from(rawPublicKeyBase64(key), 'base64'))
    .digest('hex')
    .slice(0, 16);
}

/** Signs `payload` under `kind` with an ed25519 private key. */
export function signEnvelope<P extends Record<string, unknown>>(
  kind: EnvelopeKind,
  payload: P,
  privateKey: KeyObject,
): SignedEnvelope<P> {
  const sig = sign(null, Buffer.from(canonicalJson({ kind, payload })), privateKey).toString('base64');
  return { kind, payload, signature: { alg: 'ed25519', keyId: keyIdOf(privateKey), sig } };
}

/**
 * Verifies an untrusted envelope against the pinned key and expected kind; returns its payload.
 * Throws SignatureRefusedError: 'unsigned' (no signature), 'malformed' (shape), 'wrong-kind', 'wrong-key' (keyId is not
 * the pinned key's and the signature does not verify), 'tampered' (pinned keyId but the signature does not verify).
 */
export function verifyEnvelope(
  envelope: unknown,
  pinnedKey: KeyObject | string,
  expectedKind: EnvelopeKind,
): Record<string, unknown> {
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope))
    throw new SignatureRefusedError('malformed', 'envelope is not an object');
  const e = envelope as Record<string, unknown>;
  const payload = e['payload'];
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new SignatureRefusedError('malformed', 'payload is not an object');
  const s = e['signature'];
  if (s === undefined || s === null) throw new SignatureRefusedError('unsigned', 'envelope carries no signature');
  if (typeof s !== 'object' || Array.isArray(s))
    throw new SignatureRefusedError('malformed', 'signature is not an object');
  const { alg, keyId, sig } = s as Record<string, unknown>;
  if (alg !== 'ed25519')
    throw new SignatureRefusedError('malformed', `signature.alg must be 'ed25519', got ${JSON.stringify(alg)}`);
  if (typeof sig !== 'string' || sig.length === 0)
    throw new SignatureRefusedError('unsigned', 'signature.sig is empty');
  if (e['kind'] !== expectedKind)
    throw new SignatureRefusedError('wrong-kind', `expected kind '${expectedKind}', got ${JSON.stringify(e['kind'])}`);
  const key = toPublicKey(pinnedKey);
  let ok = false;
  try {
    ok = verify(null, Buffer.from(canonicalJson({ kind: e['kind'], payload })), key, Buffer.from(sig, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) {
    const pinnedId = keyIdOf(key);
    if (keyId !== pinnedId)
      throw new SignatureRefusedError('wrong-key', `signed by key '${String(keyId)}', pinned key is '${pinnedId}'`);
    throw new SignatureRefusedError('tampered', 'signature does not match the content');
  }
  return payload as Record<string, unknown>;
}
