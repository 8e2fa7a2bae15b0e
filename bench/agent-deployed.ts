/**
 * The agent as deployed: the compiled `homeostat-agent` (dist/agent, built if missing) enrolled to a local control
 * plane (its own process, SQLite, temp dirs, loopback ports) and run with the default config (both models, default
 * engine) at the default 10 s cycle, node_exporter beside it when installed (scraped by us every cycle period), and
 * netdata when installed (collecting at the same period, its whole process tree measured: bench/netdata-peer.ts).
 *
 * CPU per cycle: one window per cycle, from the middle of one cycle period to the middle of the next (so a window
 * holds exactly one cycle with its ack and status write). The mean is the /proc/<pid>/stat delta (own + reaped
 * children) over all windows divided by their count; the distribution (p50/p95/max) comes from the threads'
 * schedstat (ns resolution) plus each window's reaped-children delta. node_exporter is measured the same way around
 * each scrape. Start-up: wall and CPU from launch to the end of the first cycle (the status file's lastCycle).
 * RSS growth: least-squares slope of VmRSS sampled every window, after the first hour (or after the first third of
 * a shorter run, which the output says).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNetdata, type NetdataPeer } from './netdata-peer.ts';
import { memoryMb, schedCpuMs, slope, statCpuMs, summarize } from './proc-usage.ts';
import { runtimeDeps } from './runtime-deps.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export type DeployedOptions = {
  durationS: number;
  soakS: number | null;
  cycleSeconds: number;
  nodeExporter: string | null;
  /** Debian's netdata, measured as a second peer in the same windows (bench/netdata-peer.ts); null skips it. */
  netdata?: string | null;
  log: (s: string) => void;
  /** Extra Node.js flags for the agent process, e.g. `--cpu-prof --cpu-prof-dir=<dir>` (written when it exits). */
  agentNodeArgs?: string[];
  /** Leave out the flags the agent's launcher passes (agent/node-flags.json), to measure without them. */
  noLauncherFlags?: boolean;
  /** Another compiled agent to measure (e.g. an earlier build, for a before/after in the same run conditions). */
  agentEntry?: string;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as { port: number };
      s.close(() => resolve(a.port));
    });
  });
}

/** The compiled agent entry; runs `npm run build:agent` when it is missing. */
export function agentEntry(): string {
  const entry = join(ROOT, 'dist/agent/homeostat-agent.mjs');
  if (!existsSync(entry)) {
    const r = spawnSync(process.execPath, [join(ROOT, 'agent/build.mjs'), '--quiet'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(entry))
      throw new Error('npm run build:agent failed; the deployed figures need dist/agent');
  }
  return entry;
}

/** The control plane's command: the compiled one when built, else the development launcher (tsx). */
function serverEntry(): string {
  const built = join(ROOT, 'dist/control-plane/homeostat.mjs');
  return existsSync(built) ? built : join(ROOT, 'control-plane/cli/homeostat.mjs');
}

function spawnLogged(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: string[] } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const keep = (b: Buffer) => {
    out.push(...b.toString().split('\n').filter(Boolean));
    if (out.length > 400) out.splice(0, out.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, out };
}

async function until<T>(fn: () => T | null | undefined, ms: number, what: string, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const readJson = (file: string): any => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};

/** The Node.js options the agent's launcher passes (packaging/package-agent.mjs), so the agent runs as deployed. */
export function launcherNodeFlags(): string[] {
  const parsed: unknown = JSON.parse(readFileSync(join(ROOT, 'agent/node-flags.json'), 'utf8'));
  const flags = (parsed as { flags?: unknown }).flags;
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string'))
    throw new Error('agent/node-flags.json: "flags" must be an array of strings');
  return flags;
}

/** Runs the deployed measurement; returns the figures for the bench's JSON object. */
export async function measureDeployed(o: DeployedOptions): Promise<Record<string, unknown>> {
  const entry = o.agentEntry ?? agentEntry();
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-agent-'));
  const kids: ChildProcess[] = [];
  try {
    const [http, mqtt, ws] = [await freePort(), await freePort(), await freePort()];
    const cp = spawnLogged([
      serverEntry(),
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
    ]);
    kids.push(cp.child);
    const listening = await until(
      () => cp.out.find((l) => l.includes('"listening"')),
      120_000,
      'control plane listening',
      100,
    );
    const httpUrl = (JSON.parse(listening) as { httpUrl: string }).httpUrl;
    const admin = readJson(join(dir, 'cp', 'admin-credentials.json')) as { apiToken: string };
    const res = await fetch(`${httpUrl}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: {}, uses: 1 }),
    });
    const token = ((await res.json()) as { token: string }).token;
    const stateDir = join(dir, 'agent');
    const enroll = spawnSync(
      process.execPath,
      [entry, 'enroll', '--server', httpUrl, '--token', token, '--state-dir', stateDir],
      { encoding: 'utf8' },
    );
    if (enroll.status !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);

    const nodeFlags = [...(o.noLauncherFlags ? [] : launcherNodeFlags()), ...(o.agentNodeArgs ?? [])];
    o.log(
      `deployed: node ${[...nodeFlags, entry].join(' ')} enrolled to ${httpUrl}; ` +
        `${o.cycleSeconds} s cycle for ${o.soakS ?? o.durationS} s`,
    );
    const launchedAt = Date.now();
    const agent = spawnLogged([
      ...nodeFlags,
      entry,
      'run',
      '--state-dir',
      stateDir,
      '--cycle-seconds',
      String(o.cycleSeconds),
      '--log-level',
      'info',
    ]);
    kids.push(agent.child);
    const pid = agent.child.pid!;
    const first = await until(
      () => readJson(join(stateDir, 'status.json'))?.lastCycle as { ts: number; durationMs: number } | undefined,
      120_000,
      'first cycle',
      20,
    );
    const startupCpu = statCpuMs(pid);
    const startupMs = first.ts + first.durationMs - launchedAt;
    const loaded = agent.out.map((l) => readJsonLine(l)).find((l) => l?.msg === 'models loaded');

    let ne: { child: ChildProcess; url: string } | null = null;
    if (o.nodeExporter) {
      const port = await freePort();
      const child = spawn(o.nodeExporter, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
      kids.push(child);
      ne = { child, url: `http://127.0.0.1:${port}/metrics` };
      await until(() => (child.pid && existsSync(`/proc/${child.pid}`) ? true : null), 5000, 'node_exporter');
      for (let i = 0; i < 100; i++) {
        try {
          await (await fetch(ne.url)).text();
          break;
        } catch {
          await sleep(100);
        }
      }
    }

    let nd: NetdataPeer | null = null;
    if (o.netdata) {
      nd = startNetdata(o.netdata, join(dir, 'netdata'), await freePort(), o.cycleSeconds);
      kids.push(nd.child);
      await nd.ready(60_000);
      await sleep(o.cycleSeconds * 1000); // its plugins start and run their first collection outside the windows
    }

    // Windows: from mid-period to mid-period of the agent's drift-free schedule (first.ts + k·period).
    const period = o.cycleSeconds * 1000;
    const total = (o.soakS ?? o.durationS) * 1000;
    const agentWin: number[] = [];
    const neWin: number[] = [];
    const rss: { t: number; y: number }[] = [];
    let k = Math.ceil((Date.now() - first.ts) / period) + 1; // skip the cycle in progress
    await sleep(first.ts + k * period + period / 2 - Date.now());
    let aStat = statCpuMs(pid),
      aSched = schedCpuMs(pid);
    const aStart = aStat;
    const nePid = ne?.child.pid ?? 0;
    let nStat = nePid ? statCpuMs(nePid) : null,
      nSched = nePid ? schedCpuMs(nePid) : 0;
    const nStart = nStat;
    const ndStart = nd?.cpuMs() ?? 0;
    const ndRss: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < total) {
      if (ne) await (await fetch(ne.url)).text(); // one scrape per window, as Prometheus would every 10 s
      k += 1;
      await sleep(first.ts + k * period + period / 2 - Date.now());
      if (agent.child.exitCode !== null)
        throw new Error(`agent exited (${agent.child.exitCode}): ${agent.out.slice(-5).join('\n')}`);
      const s = statCpuMs(pid),
        c = schedCpuMs(pid);
      agentWin.push(c - aSched + (s.children - aStat.children));
      aStat = s;
      aSched = c;
      rss.push({ t: (Date.now() - t0) / 3_600_000, y: memoryMb(pid).rss });
      if (nd) ndRss.push(nd.memory().rssMb);
      if (nePid) {
        const ns = statCpuMs(nePid),
          nc = schedCpuMs(nePid);
        neWin.push(nc - nSched);
        nStat = ns;
        nSched = nc;
      }
    }
    const windows = agentWin.length;
    const mem = memoryMb(pid);
    const dist = summarize(agentWin);
    const meanStat = (aStat.own + aStat.children - aStart.own - aStart.children) / windows;
    const soakH = total / 3_600_000;
    const after = soakH > 1 ? rss.filter((p) => p.t >= 1) : rss.filter((p) => p.t >= soakH / 3);
    const growth = slope(after);
    const neDist = neWin.length ? summarize(neWin) : null;
    const neMean = nStat && nStart ? (nStat.own - nStart.own) / neWin.length : null;
    const ndMean = nd ? (nd.cpuMs() - ndStart) / windows : null;
    const ndMem = nd?.memory() ?? null;
    // agent/build.mjs is plain JS without declarations: imported by URL, its one export typed here.
    const buildUrl = new URL('../agent/build.mjs', import.meta.url).href;
    const { AGENT_EXTERNALS } = (await import(buildUrl)) as { AGENT_EXTERNALS: string[] };
    const deps = runtimeDeps(
      join(ROOT, 'dist/agent'),
      join(ROOT, 'node_modules'),
      ['onnxruntime-node'],
      AGENT_EXTERNALS,
    );
    agent.child.kill('SIGTERM');
    await new Promise((r) => agent.child.once('exit', r));
    return {
      deployedRssMb: round(summarize(rss.slice(Math.floor(rss.length / 3)).map((p) => p.y)).mean),
      deployedPssMb: mem.pss === null ? null : round(mem.pss),
      deployedPeakRssMb: round(mem.peak),
      startupMs: Math.round(startupMs),
      startupCpuMs: Math.round(startupCpu.own + startupCpu.children),
      startupChildCpuMs: Math.round(startupCpu.children),
      // Everything before the measured windows: start-up, the first cycles and the inventory read after cycle 1.
      cpuMsBeforeWindows: Math.round(aStart.own + aStart.children),
      runtimeDepsMb: deps.totalMb,
      runtimeDeps: deps,
      agentNodeFlags: nodeFlags,
      deployedCpuMsPerCycle: {
        mean: round(meanStat),
        p50: round(dist.p50),
        p95: round(dist.p95),
        max: round(dist.max),
        schedMean: round(dist.mean),
        windows,
        cycleSeconds: o.cycleSeconds,
      },
      rssGrowthMbPerHour: round(growth, 3),
      rssGrowthWindow:
        soakH > 1
          ? `after the first hour of ${round(soakH, 2)} h`
          : `after the first third of ${round(soakH * 60, 1)} min (shorter than the hour the target needs)`,
      engines: loaded?.engines ?? null,
      ...(neDist && neMean !== null
        ? {
            nodeExporter: {
              cpuMsPerScrape: round(neMean),
              p50: round(neDist.p50),
              p95: round(neDist.p95),
              schedMean: round(neDist.mean),
              scrapes: neWin.length,
            },
          }
        : {}),
      ratio: neDist && neMean ? round(meanStat / neMean) : null,
      ...(ndMean !== null && ndMem
        ? {
            netdata: {
              cpuMsPerCycle: round(ndMean),
              rssMb: round(summarize(ndRss.slice(Math.floor(ndRss.length / 3))).mean),
              pssMb: ndMem.pssMb === null ? null : round(ndMem.pssMb),
              processes: ndMem.processes,
              updateEverySeconds: o.cycleSeconds,
            },
            netdataRatio: ndMean > 0 ? round(meanStat / ndMean) : null,
          }
        : {}),
    };
  } finally {
    for (const c of kids.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }
}

function readJsonLine(line: string): any {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
