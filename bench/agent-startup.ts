/**
 * Start-up probe: `npx tsx bench/agent-startup.ts [--runs N] [--entry A.mjs --entry B.mjs] [--node-arg X]...
 * [--cpu-prof DIR]`. One local control plane, one enrollment; each run copies the enrolled state dir, launches the
 * compiled agent (entries interleaved), waits for the first cycle in status.json, reads /proc/<pid>/stat, SIGTERMs it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, openSync, readdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statCpuMs, memoryMb } from './proc-usage.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const all = (n: string) => args.flatMap((a, i) => (a === n ? [args[i + 1]!] : []));
const one = (n: string) => all(n)[0];
const runs = Number(one('--runs') ?? 3);
const entries = all('--entry').length ? all('--entry') : [join(ROOT, 'dist/agent/homeostat-agent.mjs')];
const nodeArgs = all('--node-arg');
const prof = one('--cpu-prof');
const waitMs = Number(one('--wait-ms') ?? 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = (f: string): unknown => {
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return null;
  }
};
async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}
function threads(pid: number): string {
  const by: Record<string, number> = {};
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    const name = t === String(pid) ? 'main' : 'other';
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    by[name] = (by[name] ?? 0) + (Number(f[11]) + Number(f[12])) * 10;
  }
  return JSON.stringify(by);
}
const dir = mkdtempSync(join(tmpdir(), 'hs-startup-'));
const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()];
const cp = spawn(
  process.execPath,
  [
    join(ROOT, 'dist/control-plane/homeostat.mjs'),
    'server',
    '--data-dir',
    join(dir, 'cp'),
    '--http-port',
    String(http),
    '--mqtt-port',
    String(mqtt),
    '--ws-port',
    String(ws),
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let out = '';
cp.stdout!.on('data', (b) => (out += b));
cp.stderr!.on('data', (b) => (out += b));
try {
  while (!out.includes('"listening"')) await sleep(100);
  const httpUrl = `http://127.0.0.1:${http}`;
  const admin = readJson(join(dir, 'cp', 'admin-credentials.json')) as { apiToken: string };
  const tok = (await (
    await fetch(`${httpUrl}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: {}, uses: 1 }),
    })
  ).json()) as { token: string };
  const tmpl = join(dir, 'tmpl');
  const e = spawnSync(
    process.execPath,
    [entries[0]!, 'enroll', '--server', httpUrl, '--token', tok.token, '--state-dir', tmpl],
    { encoding: 'utf8' },
  );
  if (e.status !== 0) throw new Error(e.stderr);
  const results: Record<string, number[][]> = {};
  for (let r = 0; r < runs; r++) {
    for (const entry of entries) {
      const sd = join(dir, `s${r}-${entries.indexOf(entry)}`);
      cpSync(tmpl, sd, { recursive: true });
      const t0 = Date.now();
      const a = spawn(
        process.execPath,
        [
          ...nodeArgs,
          ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
          entry,
          'run',
          '--state-dir',
          sd,
          '--log-level',
          'warn',
        ],
        {
          stdio: [
            'ignore',
            process.env.OUT ? openSync(`${process.env.OUT}.${r}.${entries.indexOf(entry)}`, 'w') : 'ignore',
            'inherit',
          ],
        },
      );
      console.log(`pid ${a.pid}`);
      let first: { ts: number; durationMs: number } | undefined;
      while (!(first = (readJson(join(sd, 'status.json')) as { lastCycle?: typeof first } | null)?.lastCycle))
        await sleep(10);
      const c = statCpuMs(a.pid!);
      if (process.env.THREADS) console.log(threads(a.pid!));
      const m = memoryMb(a.pid!);
      let c2 = null;
      if (waitMs) {
        await sleep(waitMs);
        c2 = statCpuMs(a.pid!);
      }
      const wall = first.ts + first.durationMs - t0;
      (results[entry] ??= []).push([c.own + c.children, c.children, wall, m.peak, c2 ? c2.own + c2.children : 0]);
      console.log(
        `${entry.split('/').slice(-3).join('/')}: startupCpuMs ${c.own + c.children} (children ${c.children}) wall ${wall} peakRss ${m.peak.toFixed(1)} ${c2 ? `cpuAfter${waitMs}ms ${c2.own + c2.children}` : ''}`,
      );
      a.kill('SIGTERM');
      await new Promise((r) => a.once('exit', r));
    }
  }
  for (const [k, v] of Object.entries(results)) {
    const med = (i: number) => {
      const s = v.map((x) => x[i]!).sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)];
    };
    console.log(
      `MEDIAN ${k}: cpu ${med(0)} children ${med(1)} wall ${med(2)} peakRss ${med(3)?.toFixed(1)} after ${med(4)}`,
    );
  }
} finally {
  cp.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
