/**
 * The TLS flags `homeostat server` and `homeostat start` share (docs/tls.md): `--tls-cert`, `--tls-key`, `--tls-ca`
 * become the config's `tls` section, checked by the zod config (config/server-config.ts) with the files read there,
 * so a flag and the YAML key give the same errors. The flags are merged over the YAML's and environment's `tls`
 * keys; a `--tls-key` or `--tls-ca` with no certificate anywhere is a configuration error naming what is missing,
 * never silently plain HTTP.
 */
import type { Command } from 'commander';
import type { ValidationError } from '../../contract/errors.ts';
import type { ServerConfigInput } from '../config/server-config.ts';

/** The parsed TLS flags. */
export type TlsFlags = { tlsCert?: string; tlsKey?: string; tlsCa?: string };

/** Declares the TLS options on a command. */
export function addTlsOptions(command: Command): Command {
  return command
    .option('--tls-cert <file>', 'PEM certificate (chain): HTTPS, and MQTT over TLS (with --tls-key; docs/tls.md)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--tls-ca <file>', 'PEM CA certificate agents pin (default: the top certificate of --tls-cert)');
}

/** The config overrides for the given flags: `{tls}` when any is set, else nothing (the YAML/env may set it). */
export function tlsOverrides(flags: TlsFlags): Pick<ServerConfigInput, 'tls'> {
  if (!flags.tlsCert && !flags.tlsKey && !flags.tlsCa) return {};
  // zod reports a missing cert or key by name; the partial object is what it is there to check
  const tls = { cert: flags.tlsCert, key: flags.tlsKey, ...(flags.tlsCa ? { ca: flags.tlsCa } : {}) };
  return { tls: tls as NonNullable<ServerConfigInput['tls']> };
}

/** One line per configuration problem, for a command's stderr (exit code 2). */
export function describeConfigErrors(command: string, err: ValidationError): string {
  return `${command}: ${err.issues.length} configuration error(s):\n${err.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}\n`;
}
