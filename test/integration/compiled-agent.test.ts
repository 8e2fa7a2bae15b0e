/**
 * The compiled `homeostat-agent` runs on a host that has only its own runtime files: the bundle is built into a temp
 * directory outside the repository (agent/build.mjs, so never a stale dist/), next to a node_modules holding only the
 * external runtime modules (better-sqlite3's loader and native binding, bindings, file-uri-to-path; not
 * onnxruntime-node, which is optional), where tsx cannot be resolved. It enrolls at a real control plane and its
 * samples get stored. The size of that directory is the agent's runtime footprint on disk (printed).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  adminToken,
  api,
  createEnrollmentToken,
  poll,
  ROOT,
  spawnNode,
  startServer,
  type Proc,
  type ServerInfo,
} from './harness.ts';

const execFileP = promisify(execFile);

/** What of each external runtime module the agent needs (its loader and, for better-sqlite3, the binding). */
const RUNTIME_FILES: Record<string, string[]> = {
  'better-sqlite3': ['package.json', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'index.js'],
};

function sizeOf(path: string): number {
  const st = statSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0) : st.size;
}

describe('compiled homeostat-agent without tsx', () => {
  const host = mkdtempSync(join(tmpdir(), 'homeostat-compiled-agent-'));
  const dataDir = join(host, 'cp-data');
  const stateDir = join(host, 'state');
  const bin = join(host, 'agent', 'homeostat-agent.mjs');
  let server: { proc: Proc; info: ServerInfo };
  let agent: Proc | undefined;
  // No tsx loader and no inherited module path may reach the child.
  const env = { NODE_OPTIONS: '', NODE_PATH: '' };
  const agentCmd = (args: string[]) => spawnNode([bin, ...args], env);

  before(async () => {
    await execFileP(process.execPath, [join(ROOT, 'agent/build.mjs'), '--outdir', join(host, 'agent'), '--quiet'], {
      cwd: ROOT,
      timeout: 240_000,
    });
    for (const [pkg, files] of Object.entries(RUNTIME_FILES)) {
      for (const f of files) {
        const target = join(host, 'node_modules', pkg, f);
        mkdirSync(join(target, '..'), { recursive: true });
        cpSync(join(ROOT, 'node_modules', pkg, f), target, { recursive: true });
      }
    }
    server = await startServer(dataDir);
  });

  after(async () => {
    await agent?.kill('SIGKILL');
    await server?.proc.kill();
    rmSync(host, { recursive: true, force: true });
  });

  it('has no tsx within reach', () => {
    const req = createRequire(join(host, 'agent', 'x.js'));
    assert.throws(() => req.resolve('tsx'), /Cannot find module 'tsx'/);
    assert.throws(() => req.resolve('onnxruntime-node'), /Cannot find module/);
    assert.ok(req.resolve('better-sqlite3'));
    const mb = (p: string) => sizeOf(join(host, p)) / 1e6;
    const total = mb('agent') + mb('node_modules');
    console.log(
      `agent runtime on disk: ${total.toFixed(1)} MB (bundle and models ${mb('agent').toFixed(1)} MB, ` +
        `node_modules ${mb('node_modules').toFixed(1)} MB)`,
    );
  });

  it('enrolls, runs and gets its samples stored', async () => {
    const token = await adminToken(dataDir);
    const enrollToken = await createEnrollmentToken(server.info.httpUrl, token);
    const enroll = agentCmd([
      'enroll',
      '--server',
      server.info.httpUrl,
      '--token',
      enrollToken,
      '--state-dir',
      stateDir,
    ]);
    const code = await Promise.race([enroll.exited, new Promise((r) => setTimeout(r, 120_000, 'timeout').unref())]);
    assert.equal(code, 0, `enroll: ${enroll.stderr.join('\n')}`);
    const agentId = /enrolled as (\S+)/.exec(enroll.stdout.join('\n'))?.[1];
    assert.ok(agentId, enroll.stdout.join('\n'));

    agent = agentCmd(['run', '--state-dir', stateDir, '--cycle-seconds', '0.5', '--log-level', 'warn']);
    await poll(
      async () => {
        if (agent!.child.exitCode !== null) throw new Error(`agent exited: ${agent!.stderr.slice(-10).join('\n')}`);
        const r = await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/samples?limit=100`);
        return r.status === 200 && r.body.samples.length >= 3;
      },
      180_000,
      'three samples stored from the compiled agent',
    );

    const exit = await agent.kill('SIGTERM');
    assert.equal(exit, 0, agent.stderr.slice(-10).join('\n'));
  });
});
