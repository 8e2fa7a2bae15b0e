/**
 * Certificate pins shared by the control plane (what it advertises) and the agent (what it checks): the SHA-256 of a
 * certificate's DER, as lowercase hex (`openssl x509 -noout -fingerprint -sha256` prints the same bytes with colons).
 */
import { X509Certificate } from 'node:crypto';

/** The PEM certificate blocks in a text (a chain file holds several), in order. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((b) => `${b}\n`) ?? [];
}

/** SHA-256 of a certificate (PEM or DER), lowercase hex without separators. */
export function certificateSha256(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256.replaceAll(':', '').toLowerCase();
}

/** A pin as given by an operator (hex, colons or not, any case) → 64 lowercase hex digits, or null when malformed. */
export function normalizeSha256(pin: string): string | null {
  const hex = pin.trim().replaceAll(':', '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}
