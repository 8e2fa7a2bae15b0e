/**
 * install.sh and the .deb maintainer scripts are POSIX sh: `sh -n` parses them and, when shellcheck is installed
 * (Debian's shellcheck, in CI), `shellcheck -s sh` reports nothing. install.sh's usage and its refusal of an unknown
 * option work without a control plane.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../integration/harness.ts';

const SCRIPTS = ['packaging/install.sh', 'packaging/deb/postinst', 'packaging/deb/prerm', 'packaging/deb/postrm'];
const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0;

test('the shell scripts parse as POSIX sh', () => {
  for (const s of SCRIPTS) {
    const r = spawnSync('sh', ['-n', join(ROOT, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
});

test('shellcheck -s sh finds nothing', { skip: shellcheck ? false : 'shellcheck is not installed' }, () => {
  const r = spawnSync('shellcheck', ['-s', 'sh', ...SCRIPTS.map((s) => join(ROOT, s))], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('install.sh --help prints the usage; an unknown option is refused', () => {
  const help = spawnSync('sh', [join(ROOT, 'packaging/install.sh'), '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--token-file FILE/);
  assert.match(help.stdout, /--uninstall/);
  const bad = spawnSync('sh', [join(ROOT, 'packaging/install.sh'), '--frobnicate'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown option: --frobnicate/);
});
