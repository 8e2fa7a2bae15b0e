#!/usr/bin/env node
// The offline bundle for air-gapped sites: one tarball holding the agent artifact (package-agent.mjs) with its
// .sha256 and .sig, the signing key, install.sh and SHA256SUMS. Unpacked on the server, `sudo ./install.sh --server URL
// --token T` installs from the files beside it and downloads nothing (docs/agent-install.md, "Offline bundle").
//
//   node packaging/package-offline.mjs [--out DIR] [--data-dir DIR] [--version V] [--agent-dir DIR] [--quiet]
//   (npm run package:offline; default --out dist/packages)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageAgent } from './package-agent.mjs';
import { runPackagerCli } from './packager-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const README = (v, platform) => `Homeostat agent ${v} (${platform}), offline bundle

  sha256sum -c SHA256SUMS
  sudo ./install.sh --server http://<control-plane>:8080 --token-file /root/homeostat-token

install.sh installs the artifact beside it (no download), after checking its sha256 and its ed25519 signature by
signing-key.pub.pem (compare that key's sha256 with the Enrollment page: sudo ./install.sh --key-sha256 <hex> ...).
The server URL is still needed: the agent enrolls there and reports to it.
`;

export async function packageOffline({ out = join(root, 'dist', 'packages'), quiet = false, ...rest } = {}) {
  const stage = mkdtempSync(join(tmpdir(), 'homeostat-offline-'));
  try {
    const a = await packageAgent({ ...rest, out: join(stage, 'artifact'), quiet: true });
    const name = `homeostat-agent-offline-${a.version}-${a.platform}`;
    const top = join(stage, name);
    mkdirSync(top);
    for (const f of readdirSync(join(stage, 'artifact'))) {
      if (!f.startsWith('agent-')) copyFileSync(join(stage, 'artifact', f), join(top, f));
    }
    copyFileSync(join(root, 'packaging', 'install.sh'), join(top, 'install.sh'));
    chmodSync(join(top, 'install.sh'), 0o755);
    writeFileSync(join(top, 'README.txt'), README(a.version, a.platform));
    const sums = readdirSync(top)
      .sort()
      .map(
        (f) =>
          `${createHash('sha256')
            .update(readFileSync(join(top, f)))
            .digest('hex')}  ${f}`,
      );
    writeFileSync(join(top, 'SHA256SUMS'), `${sums.join('\n')}\n`);
    mkdirSync(out, { recursive: true });
    const file = join(out, `${name}.tar.gz`);
    execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', stage, '-czf', file, name]);
    const size = readFileSync(file).length;
    if (!quiet) process.stderr.write(`${file}\n  ${(size / 1e6).toFixed(1)} MB\n`);
    return { file, version: a.version, platform: a.platform, size };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

await runPackagerCli(import.meta.url, 'package:offline', packageOffline);
