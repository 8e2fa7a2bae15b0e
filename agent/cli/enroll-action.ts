/** `homeostat-agent enroll`: exchanges a one-time token for this host's identity (thin shell over enroll/). */
import { readFileSync } from 'node:fs';
import { certificateSha256, pemCertificates } from '../../contract/tls/certificates.ts';
import { AGENT_VERSION } from '../agent.ts';
import { loadCredentials } from '../enroll/credentials.ts';
import { enroll } from '../enroll/enroll.ts';
import { configFor } from './load-config.ts';
import { fail, type CommonOpts } from './options.ts';

/** Options of `homeostat-agent enroll`. */
export type EnrollOpts = CommonOpts & {
  server: string;
  token?: string;
  tokenFile?: string;
  labels?: Record<string, string>;
  force?: boolean;
  caFile?: string;
  caSha256?: string;
};

/** Enrolls and prints the identity and the next command; exits 1 with one error line on failure. */
export async function enrollAction(opts: EnrollOpts): Promise<void> {
  try {
    const cfg = configFor(opts);
    const existing = loadCredentials(cfg.stateDir);
    if (existing && !opts.force) {
      throw new Error(`already enrolled as ${existing.agentId} (state dir ${cfg.stateDir}); use --force to replace`);
    }
    const token = tokenOf(opts);
    const labels = { ...cfg.labels, ...opts.labels };
    const creds = await enroll({
      server: opts.server,
      token,
      stateDir: cfg.stateDir,
      agentVersion: AGENT_VERSION,
      labels,
      ...(opts.caFile ? { ca: readCaFile(opts.caFile) } : {}),
      ...(opts.caSha256 ? { caSha256: opts.caSha256 } : {}),
      onLabelsOverridden: (overridden) => {
        for (const [key, { requested, applied }] of Object.entries(overridden))
          process.stderr.write(
            `warning: label ${key}: the enrollment token sets '${applied}', the requested '${requested}' is not applied\n`,
          );
      },
    });
    process.stdout.write(
      `enrolled as ${creds.agentId}\nstate dir: ${cfg.stateDir}\nmqtt: ${creds.mqttUrl}\n` +
        (creds.ca ? `tls: control plane CA pinned (sha256 ${certificateSha256(creds.ca)})\n` : '') +
        `run it with: homeostat-agent run --state-dir ${cfg.stateDir}\n`,
    );
  } catch (err) {
    fail(err);
  }
}

/** The CA PEM of --ca-file: must hold a certificate. */
function readCaFile(file: string): string {
  const text = readFileSync(file, 'utf8');
  const certs = pemCertificates(text);
  if (certs.length === 0) throw new Error(`--ca-file ${file} holds no PEM certificate`);
  certificateSha256(certs[0]!); // parses, or throws naming the problem
  return certs.join('');
}

/** The token from --token or --token-file (`-` = stdin; surrounding whitespace dropped); exactly one is required. */
function tokenOf(opts: EnrollOpts): string {
  if (opts.token !== undefined && opts.tokenFile !== undefined)
    throw new Error('give --token or --token-file, not both');
  if (opts.token !== undefined) return opts.token;
  if (opts.tokenFile === undefined)
    throw new Error('an enrollment token is required: --token <token> or --token-file <file>');
  const text = readFileSync(opts.tokenFile === '-' ? 0 : opts.tokenFile, 'utf8').trim();
  if (!text) throw new Error(`no token in ${opts.tokenFile === '-' ? 'stdin' : opts.tokenFile}`);
  return text;
}
