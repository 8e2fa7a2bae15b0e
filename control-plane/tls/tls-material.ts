/**
 * The control plane's TLS files, read and checked once at configuration time (config/server-config.ts): every problem
 * with `tls.cert`, `tls.key` and `tls.ca` is reported at once, naming the key and the file. The result carries the
 * PEM text the HTTPS and MQTT listeners serve and the CA agents pin at enrollment (docs/tls.md).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateSha256, pemCertificates } from '../../contract/tls/certificates.ts';

export type TlsFiles = { cert: string; key: string; ca?: string | undefined };

/** What the listeners serve and what agents pin: `caPem` is `tls.ca`, else the top certificate of `tls.cert`. */
export type TlsMaterial = { certPem: string; keyPem: string; caPem: string; caSha256: string };

type Issue = { path: string; message: string };

function read(path: string, key: string, issues: Issue[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    issues.push({
      path: key,
      message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    return null;
  }
}

function certificates(text: string, path: string, key: string, issues: Issue[]): X509Certificate[] {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) {
    issues.push({ path: key, message: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
    return [];
  }
  const out: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    try {
      out.push(new X509Certificate(b));
    } catch (err) {
      issues.push({ path: key, message: `${path}: certificate ${i + 1} does not parse: ${(err as Error).message}` });
    }
  }
  return out;
}

/** Reads and checks the files; returns the material, or the issues (never throws). */
export function loadTlsMaterial(files: TlsFiles, now = new Date()): { material: TlsMaterial } | { issues: Issue[] } {
  const issues: Issue[] = [];
  const certText = read(files.cert, 'tls.cert', issues);
  const keyText = read(files.key, 'tls.key', issues);
  const caText = files.ca ? read(files.ca, 'tls.ca', issues) : null;
  const chain = certText === null ? [] : certificates(certText, files.cert, 'tls.cert', issues);
  const leaf = chain[0];
  if (leaf) {
    if (new Date(leaf.validTo) < now)
      issues.push({ path: 'tls.cert', message: `${files.cert} expired on ${leaf.validTo}` });
    if (new Date(leaf.validFrom) > now)
      issues.push({ path: 'tls.cert', message: `${files.cert} is not valid before ${leaf.validFrom}` });
  }
  if (keyText !== null) {
    try {
      const key = createPrivateKey(keyText);
      if (leaf && !leaf.checkPrivateKey(key))
        issues.push({
          path: 'tls.key',
          message: `${files.key} is not the private key of the certificate in ${files.cert}`,
        });
    } catch (err) {
      issues.push({ path: 'tls.key', message: `${files.key} is not a PEM private key: ${(err as Error).message}` });
    }
  }
  let ca: X509Certificate | undefined = chain.at(-1);
  if (caText !== null && files.ca) {
    const cas = certificates(caText, files.ca, 'tls.ca', issues);
    ca = cas[0];
    if (ca && leaf && !chain.some((c) => c.checkIssued(ca!) || c.fingerprint256 === ca!.fingerprint256))
      issues.push({ path: 'tls.ca', message: `${files.ca} did not issue any certificate in ${files.cert}` });
  }
  if (issues.length > 0 || !ca || certText === null || keyText === null) return { issues };
  return {
    material: { certPem: certText, keyPem: keyText, caPem: ca.toString(), caSha256: certificateSha256(ca.raw) },
  };
}
