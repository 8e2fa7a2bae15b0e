/** `homeostat tls init`: a self-signed CA and a server certificate for HTTPS and MQTT over TLS (docs/tls.md). */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { tlsInit } from '../tls/tls-init.ts';

type Flags = { dir?: string; dataDir?: string; name?: string[]; force?: boolean; days?: string };

export function register(program: Command): void {
  const tls = program.command('tls').description('TLS certificates for HTTPS and MQTT over TLS');
  tls
    .command('init')
    .description('write a private CA and a server certificate signed by it (openssl), and print the config to use')
    .option('-d, --data-dir <dir>', 'data directory; the files go to <data-dir>/tls (default: ~/.homeostat)')
    .option('--dir <dir>', 'write the files here instead of <data-dir>/tls')
    .option(
      '--name <host-or-ip>',
      'a name agents reach the control plane by, repeatable (default: this host name, localhost, 127.0.0.1, ::1)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--days <n>', 'server certificate validity in days (default: 825)')
    .option('--force', 'replace existing files')
    .action((flags: Flags) => {
      const dir = resolve(flags.dir ?? join(flags.dataDir ?? join(homedir(), '.homeostat'), 'tls'));
      try {
        const days = flags.days === undefined ? undefined : Number(flags.days);
        if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650))
          throw new Error(`--days must be an integer 1..3650, got ${flags.days}`);
        const r = tlsInit({
          dir,
          names: flags.name ?? [hostname(), 'localhost', '127.0.0.1', '::1'],
          ...(flags.force ? { force: true } : {}),
          ...(days ? { days } : {}),
        });
        process.stdout.write(
          `wrote ${r.caFile} (CA), ${r.caKeyFile} (CA key: keep it offline), ${r.certFile} and ${r.keyFile}\n` +
            `CA sha256: ${r.caSha256}\n\nserve HTTPS and MQTT over TLS with (config file):\n` +
            `tls: { cert: ${r.certFile}, key: ${r.keyFile}, ca: ${r.caFile} }\n` +
            `or: homeostat server --tls-cert ${r.certFile} --tls-key ${r.keyFile} --tls-ca ${r.caFile}\n\n` +
            `agents pin the CA at enrollment: homeostat-agent enroll --server https://… --token … --ca-sha256 ${r.caSha256}\n`,
        );
      } catch (err) {
        process.stderr.write(`homeostat tls init: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
}
