/** The Enrollment page's one-liner and what backs it (`GET /api/enrollment/install`); pure. */
import { createHash, createPublicKey } from 'node:crypto';
import { type InstallInfo, unreachableUrlReason } from '../../contract/api/install.ts';
import type { ServedArtifact } from './agent-artifacts.ts';

/** sha256 (hex) of a public key's SPKI DER, as install.sh computes it for --key-sha256. */
export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

export function installInfo(input: {
  advertisedUrl: string;
  fromConfig: boolean;
  publicKeyPem: string;
  artifacts: ServedArtifact[];
}): InstallInfo {
  const url = input.advertisedUrl;
  const scriptUrl = `${url}/install.sh`;
  return {
    advertisedUrl: url,
    advertisedUrlSource: input.fromConfig ? 'config' : 'listening-address',
    warning: unreachableUrlReason(url),
    command: `curl -fsSL ${scriptUrl} | sudo sh -s -- --token <TOKEN>`,
    commandWithTokenFile: `curl -fsSL ${scriptUrl} | sudo sh -s -- --token-file /root/homeostat-token`,
    scriptUrl,
    signingKeySha256: keyFingerprint(input.publicKeyPem),
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
