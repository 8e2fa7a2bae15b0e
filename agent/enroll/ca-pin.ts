/**
 * `enroll --ca-sha256 HEX`: find the certificate with that sha256 in the chain the control plane presents, to pin it
 * as the CA for everything after (docs/tls.md). The handshake here verifies nothing by itself: only a certificate
 * whose hash the operator gave is taken, and the enrollment request then verifies the server against it.
 */
import { X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { normalizeSha256 } from '../../contract/tls/certificates.ts';

/** The PEM of the presented certificate with sha256 `pin` (the server's own or a CA it sends); throws otherwise. */
export async function pinnedCaFromServer(server: string, pin: string, timeoutMs = 15_000): Promise<string> {
  const want = normalizeSha256(pin);
  if (!want) throw new Error(`--ca-sha256 must be 64 hex digits (colons allowed), got '${pin}'`);
  const url = new URL(server);
  if (url.protocol !== 'https:') throw new Error(`--ca-sha256 needs an https:// server, got ${url.protocol}//`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const chain = await new Promise<DetailedPeerCertificate[]>((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      rejectUnauthorized: false,
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no TLS handshake with ${url.host} in ${timeoutMs} ms`)),
    );
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const out: DetailedPeerCertificate[] = [];
      let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (c?.raw && !out.some((x) => x.fingerprint256 === c!.fingerprint256)) {
        out.push(c);
        c = c.issuerCertificate;
      }
      socket.end();
      resolve(out);
    });
  });
  for (const c of chain) {
    const cert = new X509Certificate(c.raw);
    if (cert.fingerprint256.replaceAll(':', '').toLowerCase() === want) return cert.toString();
  }
  const seen = chain.map((c) => `${c.subject?.CN ?? '?'} ${c.fingerprint256.replaceAll(':', '').toLowerCase()}`);
  throw new Error(
    `no certificate with sha256 ${want} in the chain ${url.host} presents (${seen.join(', ') || 'none'}): wrong --ca-sha256, or not the right server`,
  );
}
