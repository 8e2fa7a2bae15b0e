#!/usr/bin/env node
// The agent as a Debian package (dpkg-deb, from Debian's dpkg): the same layout install.sh makes, from the same
// artifact (package-agent.mjs). /opt/homeostat/agent/<version> with a `current` link, /usr/bin/homeostat-agent,
// the unit in /lib/systemd/system, /etc/homeostat/agent.yaml as a conffile (kept on removal, removed on purge),
// /var/lib/homeostat created by postinst and removed only on purge. Maintainer scripts: packaging/deb/. Beside the
// .deb: `.sha256`, `.sig` (ed25519 by the control plane's key, as the artifact) and signing-key.pub.pem; install.sh
// --artifact FILE.deb verifies both before `dpkg -i`.
//
//   node packaging/package-deb.mjs [--out DIR] [--data-dir DIR] [--version V] [--agent-dir DIR] [--quiet]
//   (npm run package:deb; default --out dist/packages)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyDataDir, packageAgent, signArtifact } from './package-agent.mjs';
import { runPackagerCli } from './packager-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };

const CONFIG = `# Homeostat agent configuration (README.md "Agent configuration" lists every key).
# Enroll once: sudo homeostat-agent enroll --server http://<control-plane>:8080 --token-file <file>
# then: sudo systemctl start homeostat-agent
stateDir: /var/lib/homeostat
`;

export async function packageDeb({ out = join(root, 'dist', 'packages'), quiet = false, ...rest } = {}) {
  const stage = mkdtempSync(join(tmpdir(), 'homeostat-deb-'));
  try {
    const a = await packageAgent({ ...rest, out: join(stage, 'artifact'), quiet: true });
    const arch = DEB_ARCH[a.platform.split('-')[1]];
    if (!arch) throw new Error(`no Debian architecture for ${a.platform}`);
    const pkg = join(stage, 'pkg');
    const opt = join(pkg, 'opt', 'homeostat', 'agent');
    mkdirSync(opt, { recursive: true });
    execFileSync('tar', ['-xzf', a.file, '-C', opt]);
    execFileSync('mv', [join(opt, `homeostat-agent-${a.version}`), join(opt, a.version)]);
    symlinkSync(a.version, join(opt, 'current'));
    mkdirSync(join(pkg, 'usr', 'bin'), { recursive: true });
    symlinkSync('/opt/homeostat/agent/current/bin/homeostat-agent', join(pkg, 'usr', 'bin', 'homeostat-agent'));
    mkdirSync(join(pkg, 'lib', 'systemd', 'system'), { recursive: true });
    copyFileSync(
      join(root, 'packaging', 'homeostat-agent.service'),
      join(pkg, 'lib/systemd/system/homeostat-agent.service'),
    );
    mkdirSync(join(pkg, 'etc', 'homeostat'), { recursive: true });
    writeFileSync(join(pkg, 'etc/homeostat/agent.yaml'), CONFIG);
    const debian = join(pkg, 'DEBIAN');
    mkdirSync(debian);
    const size = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', pkg], { encoding: 'utf8' }).split('\t')[0]);
    writeFileSync(
      join(debian, 'control'),
      [
        'Package: homeostat-agent',
        `Version: ${a.version}`,
        `Architecture: ${arch}`,
        'Maintainer: Homeostat <homeostat@localhost>',
        `Installed-Size: ${size}`,
        'Depends: libc6 (>= 2.28), libstdc++6',
        'Section: admin',
        'Priority: optional',
        'Homepage: https://github.com/homeostat/homeostat',
        'Description: Homeostat agent: host health, local models, self-healing',
        ' Collects hardware and service health, runs ONNX models locally and heals the host within a locally',
        ' allowed set of actions; reports to a Homeostat control plane. Ships its own Node.js runtime.',
        '',
      ].join('\n'),
    );
    writeFileSync(join(debian, 'conffiles'), '/etc/homeostat/agent.yaml\n');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      copyFileSync(join(root, 'packaging', 'deb', script), join(debian, script));
      chmodSync(join(debian, script), 0o755);
    }
    mkdirSync(out, { recursive: true });
    const file = join(out, `homeostat-agent_${a.version}_${arch}.deb`);
    // gzip: several times faster than dpkg-deb's default xz on a 100 MB tree, for a few MB more
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', pkg, file], { stdio: 'pipe' });
    // Signed like the artifact: dpkg checks no signature, install.sh --artifact FILE.deb does (docs/agent-install.md)
    const sha256 = signArtifact(file, keyDataDir(rest.dataDir));
    if (!quiet) process.stderr.write(`${file}\n  sha256 ${sha256}, signed: ${file}.sig\n`);
    return { file, version: a.version, arch, sha256 };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

await runPackagerCli(import.meta.url, 'package:deb', packageDeb);
