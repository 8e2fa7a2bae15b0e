/**
 * `homeostat tls init`: a private CA and a server certificate signed by it, with openssl (Debian's `openssl`
 * package; node:crypto cannot issue certificates). The CA key stays in the directory to issue the next server
 * certificate; agents pin the CA (docs/tls.md).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { certificateSha256 } from '../../contract/tls/certificates.ts';

export type TlsInitOptions = {
  dir: string;
  /** Host names and IP addresses the server certificate is valid for (at least one). */
  names: string[];
  /** Replace existing files (default: refuse). */
  force?: boolean;
  days?: number;
  openssl?: string;
};

export type TlsInitResult = {
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
  caSha256: string;
};

/** The subjectAltName value for the names: `DNS:` for host names, `IP:` for addresses. */
export function subjectAltName(names: string[]): string {
  return names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

/** Writes ca.pem, ca.key, server.pem (the server certificate followed by the CA) and server.key (keys 0600). */
export function tlsInit(o: TlsInitOptions): TlsInitResult {
  const names = [...new Set(o.names.map((n) => n.trim()).filter(Boolean))];
  if (names.length === 0) throw new Error('tls init needs at least one --name (a host name or IP address)');
  for (const n of names)
    if (!isIP(n) && !/^[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(n))
      throw new Error(`--name ${JSON.stringify(n)} is neither a host name nor an IP address`);
  const r: TlsInitResult = {
    caFile: join(o.dir, 'ca.pem'),
    caKeyFile: join(o.dir, 'ca.key'),
    certFile: join(o.dir, 'server.pem'),
    keyFile: join(o.dir, 'server.key'),
    caSha256: '',
  };
  const existing = [r.caFile, r.caKeyFile, r.certFile, r.keyFile].filter((f) => existsSync(f));
  if (existing.length && !o.force) throw new Error(`${existing.join(', ')} exist; use --force to replace them`);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const openssl = o.openssl ?? 'openssl';
  const days = String(o.days ?? 825);
  const run = (args: string[]) => {
    try {
      execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new Error(`${openssl} is not installed (Debian: apt-get install openssl)`);
      throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    '-new',
    ...ec,
    '-keyout',
    r.caKeyFile,
    '-out',
    r.caFile,
    '-days',
    '3650',
    '-subj',
    '/CN=Homeostat CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const csr = join(o.dir, 'server.csr');
  const ext = join(o.dir, 'server.ext');
  const leaf = join(o.dir, 'server.crt');
  run(['req', '-new', ...ec, '-keyout', r.keyFile, '-out', csr, '-subj', `/CN=${names[0]}`]);
  writeFileSync(
    ext,
    `subjectAltName=${subjectAltName(names)}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    r.caFile,
    '-CAkey',
    r.caKeyFile,
    '-CAcreateserial',
    '-out',
    leaf,
    '-days',
    days,
    '-extfile',
    ext,
  ]);
  const caPem = readFileSync(r.caFile, 'utf8');
  writeFileSync(r.certFile, readFileSync(leaf, 'utf8') + caPem);
  for (const f of [csr, ext, leaf, join(o.dir, 'ca.srl')]) rmSync(f, { force: true });
  for (const f of [r.caKeyFile, r.keyFile]) chmodSync(f, 0o600);
  r.caSha256 = certificateSha256(caPem);
  return r;
}
