/**
 * The control plane's ed25519 signing key (signs policy and model bundles). Created at first start in the data dir as
 * `signing-key.pem` (PKCS#8, mode 0600) with `signing-key.pub.pem` (SPKI) beside it.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type SigningKey = {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key (what agents receive at enrollment). */
  publicKeyPem: string;
  /** Signs bytes; returns the 64-byte ed25519 signature. */
  sign(bytes: Uint8Array): Buffer;
  /** Verifies a signature made by this key. */
  verify(bytes: Uint8Array, signature: Uint8Array): boolean;
};

/** Loads `<dataDir>/signing-key.pem`, creating the key pair (0600) on first use. */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'signing-key.pem');
  if (!existsSync(file)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // wx: never overwrite a key another process just created.
    try {
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      writeFileSync(join(dataDir, 'signing-key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }), {
        mode: 0o644,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(file, 0o600);
  const privateKey = createPrivateKey(readFileSync(file));
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKey,
    publicKey,
    publicKeyPem,
    sign: (bytes) => sign(privateKey, bytes),
    verify: (bytes, signature) => verify(publicKey, bytes, signature),
  };
}

/** ed25519 signature of bytes. */
export function sign(privateKey: KeyObject, bytes: Uint8Array): Buffer {
  return cryptoSign(null, bytes, privateKey);
}

/** Verifies an ed25519 signature; the key may be a KeyObject or a PEM (SPKI) string. Never throws on bad input. */
export function verify(publicKey: KeyObject | string, bytes: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return cryptoVerify(null, bytes, key, signature);
  } catch {
    return false;
  }
}
