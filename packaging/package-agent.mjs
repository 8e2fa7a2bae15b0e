#!/usr/bin/env node
// Builds the self-contained agent artifact for this machine's platform (linux-x64 here): a tar.gz holding a Node.js
// runtime (a copy of the running node binary, process.execPath), the compiled agent (dist/agent, built first when
// missing), its shipped models and the one native addon it loads (better-sqlite3's binding with its two loader
// packages). Nothing is downloaded. Beside it: `<artifact>.sha256` (sha256sum format), `<artifact>.sig` (raw 64-byte
// ed25519 signature of the artifact's bytes by the control plane's signing key, <data-dir>/signing-key.pem) and
// `signing-key.pub.pem`; `agent-<platform>.txt` is the manifest install.sh reads. docs/agent-install.md.
//
//   node packaging/package-agent.mjs [--out DIR] [--data-dir DIR] [--version V] [--agent-dir DIR] [--gzip-level N] [--quiet]
//   (--agent-dir: a built agent (node agent/build.mjs --outdir DIR) instead of dist/agent; --gzip-level 1..9, default
//   6: 1 packs in about a third of the time for a few MB more, for test and development builds)
//   (npm run package:agent; default --out dist/packages, --data-dir $HOMEOSTAT_DATA_DIR or ~/.homeostat)
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPackagerCli } from './packager-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What of each runtime package the agent loads (better-sqlite3's JS, its native binding, and its loader). */
export const RUNTIME_FILES = {
  'better-sqlite3': ['package.json', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'index.js'],
};

/** `linux-x64`, `linux-arm64`: how install.sh names platforms (uname -m mapped to Node's arch names). */
export function platformName(platform = process.platform, arch = process.arch) {
  return `${platform}-${arch}`;
}

/** The artifact's file name. */
export function artifactName(version, platform = platformName()) {
  return `homeostat-agent-${version}-${platform}.tar.gz`;
}

/** Node.js options the agent runs with (agent/node-flags.json says why). */
export const AGENT_NODE_FLAGS = JSON.parse(
  readFileSync(new URL('../agent/node-flags.json', import.meta.url), 'utf8'),
).flags;

/** The launcher installed as bin/homeostat-agent: the shipped node runs the shipped bundle, whatever is on PATH. */
const LAUNCHER = `#!/bin/sh
# homeostat-agent: runs the agent bundle with the Node.js runtime shipped beside it (no system Node.js needed).
# Before \`run\`, the upgrade guard (lib/agent/upgrade-guard.mjs) counts a start of a freshly switched version and,
# when that version crashed too often or missed its deadline, switches \`current\` back and names the launcher to
# run instead (exit 76): the old version then starts at once, without loading any of the new one's agent code.
here=$(dirname "$(readlink -f "$0")")
if [ "$1" = run ] && [ -f "$here/../lib/agent/upgrade-guard.mjs" ]; then
  next=$("$here/node" "$here/../lib/agent/upgrade-guard.mjs" "$@")
  if [ $? -eq 76 ] && [ -n "$next" ] && [ -x "$next" ]; then exec "$next" "$@"; fi
fi
exec "$here/node" ${AGENT_NODE_FLAGS.join(' ')} "$here/../lib/agent/homeostat-agent.mjs" "$@"
`;

/** Loads the ed25519 key the control plane signs with (`<dataDir>/signing-key.pem`), creating it as the control plane
 * does (control-plane/keys/signing-key.ts: PKCS#8 0600, SPKI beside it) when this data dir has none yet. */
function signingKey(dataDir) {
  const file = join(dataDir, 'signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(join(dataDir, 'signing-key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const privateKey = createPrivateKey(readFileSync(file));
  return { privateKey, publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}

/** The data dir whose key signs: `--data-dir`, else $HOMEOSTAT_DATA_DIR, else ~/.homeostat (the control plane's). */
export function keyDataDir(dataDir) {
  return resolve(dataDir ?? process.env.HOMEOSTAT_DATA_DIR ?? join(homedir(), '.homeostat'));
}

/** Writes `<file>.sha256`, `<file>.sig` and `signing-key.pub.pem` beside `file`; returns the hex digest. */
export function signArtifact(file, dataDir) {
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = signingKey(dataDir);
  const name = file.slice(dirname(file).length + 1);
  writeFileSync(`${file}.sha256`, `${sha256}  ${name}\n`);
  writeFileSync(`${file}.sig`, sign(null, bytes, key.privateKey));
  writeFileSync(join(dirname(file), 'signing-key.pub.pem'), key.publicKeyPem);
  return sha256;
}

/** Builds the artifact into `out`; returns { file, version, platform, sha256, size }. */
export async function packageAgent({
  out = join(root, 'dist', 'packages'),
  dataDir,
  version,
  agentDir,
  gzipLevel = 6,
  quiet = false,
} = {}) {
  const log = quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
  if (process.platform !== 'linux')
    throw new Error(`the agent artifact is built on Linux (this is ${process.platform})`);
  const v = version ?? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (!/^[0-9A-Za-z][0-9A-Za-z.+~-]{0,63}$/.test(v)) throw new Error(`version ${JSON.stringify(v)} is not a version`);
  const platform = platformName();
  const agentDist = agentDir ?? join(root, 'dist', 'agent');
  if (!agentDir && !existsSync(join(agentDist, 'homeostat-agent.mjs'))) {
    log('dist/agent missing: building it (npm run build:agent)');
    const { buildAgent } = await import('../agent/build.mjs');
    await buildAgent({ quiet: true });
  }
  const stage = mkdtempSync(join(tmpdir(), 'homeostat-package-'));
  try {
    const top = join(stage, `homeostat-agent-${v}`);
    mkdirSync(join(top, 'bin'), { recursive: true });
    copyFileSync(process.execPath, join(top, 'bin', 'node'));
    chmodSync(join(top, 'bin', 'node'), 0o755);
    writeFileSync(join(top, 'bin', 'homeostat-agent'), LAUNCHER, { mode: 0o755 });
    // the bundle and its models; not the esbuild metafile (build evidence, 250 KB)
    cpSync(agentDist, join(top, 'lib', 'agent'), { recursive: true, filter: (src) => !src.endsWith('meta.json') });
    for (const [pkg, files] of Object.entries(RUNTIME_FILES)) {
      for (const f of files) {
        const target = join(top, 'lib', 'node_modules', pkg, f);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(join(root, 'node_modules', pkg, f), target, { recursive: true });
      }
    }
    cpSync(join(root, 'packaging', 'homeostat-agent.service'), join(top, 'share', 'homeostat-agent.service'));
    cpSync(join(root, 'packaging', 'verify-signature.mjs'), join(top, 'share', 'verify-signature.mjs'));
    const manifest = {
      name: 'homeostat-agent',
      version: v,
      platform,
      node: process.version,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(top, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(top, 'VERSION'), `${v}\n`);
    mkdirSync(out, { recursive: true });
    const name = artifactName(v, platform);
    const tmp = join(out, `.${name}.${process.pid}`);
    // --owner/--group: the files belong to root wherever they are unpacked; -n: gzip without a timestamp
    execFileSync('tar', [
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      stage,
      '-cf',
      `${tmp}.tar`,
      `homeostat-agent-${v}`,
    ]);
    if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9)
      throw new Error(`gzip level ${gzipLevel} is not 1..9`);
    execFileSync('gzip', ['-n', `-${gzipLevel}`, '-f', `${tmp}.tar`]);
    const file = join(out, name);
    renameSync(`${tmp}.tar.gz`, file);
    const sha256 = signArtifact(file, keyDataDir(dataDir));
    const size = readFileSync(file).length;
    writeFileSync(join(out, `agent-${platform}.txt`), `version=${v}\nfile=${name}\nsha256=${sha256}\nsize=${size}\n`);
    log(
      `${file}\n  ${(size / 1e6).toFixed(1)} MB, sha256 ${sha256}\n  signed: ${name}.sig (key ${join(out, 'signing-key.pub.pem')})`,
    );
    return { file, version: v, platform, sha256, size };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

await runPackagerCli(import.meta.url, 'package:agent', packageAgent);
