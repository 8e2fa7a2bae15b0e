/** The Enrollment page's one-liner and what backs it (`GET /api/enrollment/install`); pure. */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { type InstallInfo, unreachableUrlReason } from '../../contract/api/install.ts';
import type { ServedArtifact } from './agent-artifacts.ts';

/** sha256 (hex) of a public key's SPKI DER, as install.sh computes it for --key-sha256. */
export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** sha256 (hex) of the SPKI DER of the first certificate's public key, as curl --pinnedpubkey sha256// takes it. */
function serverKeyPin(certPem: string): string {
  return keyFingerprint(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString());
}

export function installInfo(input: {
  advertisedUrl: string;
  fromConfig: boolean;
  publicKeyPem: string;
  artifacts: ServedArtifact[];
  /** HTTPS on: the served certificate and the pinned CA. */
  tls?: { certPem: string; caSha256: string };
}): InstallInfo {
  const url = input.advertisedUrl;
  const scriptUrl = `${url}/install.sh`;
  // HTTPS with a certificate the host may not trust yet: curl pins the server's public key (so -k is safe), the
  // script pins the CA for its downloads and the agent (docs/tls.md).
  const serverKeySha256 = input.tls ? serverKeyPin(input.tls.certPem) : null;
  const curl = serverKeySha256
    ? `curl -fsSLk --pinnedpubkey 'sha256//${Buffer.from(serverKeySha256, 'hex').toString('base64')}'`
    : 'curl -fsSL';
  const pin = input.tls ? ` --ca-sha256 ${input.tls.caSha256}` : '';
  return {
    advertisedUrl: url,
    advertisedUrlSource: input.fromConfig ? 'config' : 'listening-address',
    warning: unreachableUrlReason(url),
    command: `${curl} ${scriptUrl} | sudo sh -s -- --token <TOKEN>${pin}`,
    commandWithTokenFile: `${curl} ${scriptUrl} | sudo sh -s -- --token-file /root/homeostat-token${pin}`,
    scriptUrl,
    signingKeySha256: keyFingerprint(input.publicKeyPem),
    ...(input.tls && serverKeySha256 ? { tls: { caSha256: input.tls.caSha256, serverKeySha256 } } : {}),
    artifacts: input.artifacts.map((a) => ({
      platform: a.platform,
      version: a.version,
      file: a.file,
      url: `${url}/downloads/${a.file}`,
      sha256: a.sha256,
      size: a.size,
    })),
  };
}
