/**
 * Two (or more) compiled agents side by side, at once, under the same load: `npx tsx bench/agent-side-by-side.ts
 * --agent 'label|dist/x/homeostat-agent.mjs|--node-flag --other|ENV=value' --agent '...' [--minutes M]`.
 *
 * One local control plane; each agent its own enrollment and state dir, the default config, the default 10 s cycle.
 * On a shared machine, sequential runs see different loads; agents run together see the same one. Per agent: the
 * start-up CPU at its first status write (as bench/agent-deployed.ts), then one window per cycle from the middle of
 * one cycle period to the middle of the next (schedstat of all live threads plus reaped children, as the deployed
 * bench's distribution), RSS and PSS at the end. Figures only for comparing builds and launch options with each other.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryMb, schedCpuMs, statCpuMs, summarize } from './proc-usage.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const all = (n: string) => args.flatMap((a, i) => (a === n ? [args[i + 1] ?? ''] : []));
const minutes = Number(all('--minutes')[0] ?? 3);
type Spec = { label: string; entry: string; nodeArgs: string[]; env: Record<string, string> };
const specs: Spec[] = all('--agent').map((s) => {
  const [label = '', entry = '', flags = '', env = ''] = s.split('|');
  return {
    label,
    entry: resolve(ROOT, entry),
    nodeArgs: flags.split(' ').filter(Boolean),
    env: Object.fromEntries(
      env
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    ),
  };
});
if (specs.length < 1) throw new Error("--agent 'label|entry.mjs|node flags|ENV=v' at least once");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const round = (x: number) => Math.round(x * 100) / 100;
function readJson(f: string): unknown {
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return null;
  }
}
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hs-side-'));
const kids: ChildProcess[] = [];
try {
  const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()];
  const cp = spawn(
    process.execPath,
    [join(ROOT, 'dist/control-plane/homeostat.mjs'), 'server', '--data-dir', join(dir, 'cp')]
      .concat(['--http-port', String(http), '--mqtt-port', String(mqtt), '--ws-port', String(ws)])
      .concat(['--log-level', 'warn']),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  kids.push(cp);
  let out = '';
  cp.stdout?.on('data', (b) => (out += b));
  cp.stderr?.on('data', (b) => (out += b));
  while (!out.includes('"listening"')) await sleep(100);
  const httpUrl = `http://127.0.0.1:${http}`;
  const admin = readJson(join(dir, 'cp', 'admin-credentials.json')) as { apiToken: string };
  const stateDirs: string[] = [];
  for (const [i, s] of specs.entries()) {
    const res = await fetch(`${httpUrl}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: {}, uses: 1 }),
    });
    const { token } = (await res.json()) as { token: string };
    const sd = join(dir, `agent-${i}`);
    const e = spawnSync(
      process.execPath,
      [s.entry, 'enroll', '--server', httpUrl, '--token', token, '--state-dir', sd],
      {
        encoding: 'utf8',
      },
    );
    if (e.status !== 0) throw new Error(`enroll ${s.label}: ${e.stderr}`);
    stateDirs.push(sd);
  }
  const results = await Promise.all(
    specs.map(async (s, i) => {
      const sd = stateDirs[i]!;
      const a = spawn(process.execPath, [...s.nodeArgs, s.entry, 'run', '--state-dir', sd, '--log-level', 'warn'], {
        env: { ...process.env, ...s.env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      kids.push(a);
      const pid = a.pid!;
      let first: { ts: number } | undefined;
      for (;;) {
        first = (readJson(join(sd, 'status.json')) as { lastCycle?: { ts: number } } | null)?.lastCycle;
        if (first) break;
        await sleep(10);
      }
      const st = statCpuMs(pid);
      const startupCpuMs = st.own + st.children;
      const period = 10_000;
      let k = Math.ceil((Date.now() - first.ts) / period) + 1;
      await sleep(first.ts + k * period + period / 2 - Date.now());
      const before = statCpuMs(pid);
      let sched = schedCpuMs(pid);
      let kidsMs = before.children;
      const win: number[] = [];
      const end = Date.now() + minutes * 60_000;
      while (Date.now() < end) {
        k += 1;
        await sleep(first.ts + k * period + period / 2 - Date.now());
        const c = schedCpuMs(pid);
        const ch = statCpuMs(pid).children;
        win.push(c - sched + ch - kidsMs);
        sched = c;
        kidsMs = ch;
      }
      const after = statCpuMs(pid);
      const mem = memoryMb(pid);
      const d = summarize(win);
      a.kill('SIGTERM');
      return {
        label: s.label,
        startupCpuMs,
        meanStat: round((after.own + after.children - before.own - before.children) / win.length),
        p50: round(d.p50),
        p95: round(d.p95),
        max: round(d.max),
        schedMean: round(d.mean),
        windows: win.length,
        perWindow: win.map((w) => Math.round(w)),
        rssMb: round(mem.rss),
        pssMb: mem.pss === null ? null : round(mem.pss),
        peakRssMb: round(mem.peak),
      };
    }),
  );
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  for (const c of kids.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
