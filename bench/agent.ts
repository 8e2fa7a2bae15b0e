/**
 * Agent collection benchmark: `npm run bench:agent [-- --json] [--cycles N]`.
 *
 * Method: the live engine (default config, real /proc and /sys) runs N cycles (default 60) back to back with its
 * injected clock advancing 10 s per cycle, so slow collectors (services every 60 s, SMART every 600 s) run exactly
 * as often as they would at a 10 s cycle and their cost is amortized honestly. One warm-up cycle (sensor discovery,
 * JIT) is excluded. CPU = process.cpuUsage (user+sys, all threads) plus reaped children (cutime+cstime from
 * /proc/self/stat). Spawns are counted by the engine's exec port per collector; "fast path" = cadence 'cycle'.
 * Inventory (systeminformation, start + daily) is measured once and shown amortized over a day of 10 s cycles.
 * If prometheus-node-exporter is installed it is started on 127.0.0.1, scraped N times, and its CPU read from
 * /proc/<pid>/stat for comparison.
 *
 * Then the agent as deployed (bench/agent-deployed.ts): the compiled agent enrolled to a local control plane, with
 * node_exporter beside it. Run length: `--duration S` or `--minutes M` (default 2 minutes, enough while developing;
 * issue 12's figures need `--minutes 10` for CPU per cycle), `--soak S` / `--soak-minutes M` (RSS growth after the
 * first hour needs more than an hour: `--soak-minutes 90`), `--cycle-seconds N` (default 10), `--cpu-prof <dir>`
 * (the agent writes a V8 CPU profile there when it stops), `--agent-entry <file.mjs>` measures another build of the
 * agent (an earlier one copied inside the repository, so that it finds node_modules), `--no-deployed` skips it.
 * The agent runs with the Node.js options its launcher passes (agent/node-flags.json); `--no-launcher-flags` leaves
 * them out and `--agent-node-args '<flags>'` adds others (a before/after of a runtime option in the same conditions).
 * When Debian's netdata is installed it runs beside the deployed agent too, collecting at the same period
 * (bench/netdata-peer.ts; `--no-netdata` skips it).
 * Last, `homeostat --help` and `homeostat-agent --help` of the compiled programs (bench/help-time.ts).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createCollectionEngine } from '../agent/collect/engine.ts';
import { createExec } from '../agent/collect/exec.ts';
import { readCmdlines } from '../agent/heal/cmdline.ts';
import type { ProcessFact } from '../agent/heal/types.ts';
import { fileURLToPath } from 'node:url';
import { measureDeployed } from './agent-deployed.ts';
import { helpTimes } from './help-time.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const cyclesArg = args.indexOf('--cycles');
const cycles = cyclesArg >= 0 ? Number(args[cyclesArg + 1]) : 60;
const numArg = (name: string): number | null => {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const v = Number(args[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number of seconds, got '${args[i + 1] ?? ''}'`);
  return v;
};
const strArg = (name: string): string | null => {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
};
const minutes = (name: string) => {
  const m = numArg(name);
  return m === null ? null : m * 60;
};
const durationS = numArg('--duration') ?? minutes('--minutes') ?? 120;
const soakS = numArg('--soak') ?? minutes('--soak-minutes');
const cpuProfDir = strArg('--cpu-prof');
const agentEntryArg = strArg('--agent-entry');
/** Node.js options for the deployed agent (as its launcher would pass them), e.g. '--max-semi-space-size=1'. */
const agentNodeArgsArg = (() => {
  const i = args.indexOf('--agent-node-args');
  if (i < 0) return null;
  const v = args[i + 1];
  if (v === undefined) throw new Error("--agent-node-args needs a value, e.g. '--max-semi-space-size=1'");
  return v;
})();
const cycleSeconds = numArg('--cycle-seconds') ?? 10;
const deployedOn = !args.includes('--no-deployed');
const log = (s: string) => {
  if (!json) console.log(s);
};

const CLK_TCK = 100;
function childCpuMs(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK; // cutime, cstime (fields 16, 17)
}
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + childCpuMs();
}
function pidCpuMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime (fields 14, 15)
}

const exec = createExec();
const engine = await createCollectionEngine({ exec });
await engine.start();
const t0 = Date.now();
await engine.collect(t0); // warm-up
const before = cpuMs();
const wall0 = performance.now();
for (let i = 1; i <= cycles; i++) await engine.collect(t0 + i * 10_000);
const wallMs = performance.now() - wall0;
const cpuMsPerCycle = (cpuMs() - before) / cycles;
const last = await engine.collect(t0 + (cycles + 1) * 10_000);
const rssMb = process.memoryUsage().rss / 1024 / 1024;
const stats = engine.spawnStats();
const spawnsOnFastPath = stats.fastPath.reduce((s, c) => s + (stats.byCaller[c] ?? 0), 0);
await engine.stop();

// The cost of reading every process's command line (/proc/<pid>/cmdline), paid on cycles whose policy set has a
// cmdline condition (agent/heal/cmdline.ts: needsCmdline, readCmdlines), over all processes as conditions see them.
const procs = (): ProcessFact[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => ({ pid: Number(n), name: '', cpuPct: null, rssBytes: 0, runtimeS: 0 }));
const cmdlineBefore = cpuMs();
let cmdlineBytes = 0;
let cmdlineProcesses = 0;
for (let i = 0; i < cycles; i++) {
  const list = procs();
  cmdlineProcesses = list.length;
  cmdlineBytes = readCmdlines('/proc', list);
}
const cmdlineCpuMsPerCycle = (cpuMs() - cmdlineBefore) / cycles;

const invBefore = cpuMs();
await engine.inventory();
const inventoryCpuMs = cpuMs() - invBefore;

let nodeExporterCpuMsPerScrape: number | null = null;
const ne = (await exec.which('prometheus-node-exporter')) ?? (await exec.which('node_exporter'));
if (ne) nodeExporterCpuMsPerScrape = await scrapeNodeExporter(ne, cycles);
const deployed = deployedOn
  ? await measureDeployed({
      durationS,
      soakS,
      cycleSeconds,
      nodeExporter: ne,
      netdata: args.includes('--no-netdata') ? null : await exec.which('netdata'),
      log,
      agentNodeArgs: [
        ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
        ...(agentNodeArgsArg ? agentNodeArgsArg.split(/\s+/).filter(Boolean) : []),
      ],
      ...(agentEntryArg ? { agentEntry: agentEntryArg } : {}),
      noLauncherFlags: args.includes('--no-launcher-flags'),
    })
  : {};
const help = helpTimes(fileURLToPath(new URL('../', import.meta.url)));

if (json) {
  console.log(
    JSON.stringify({
      cycles,
      cpuMsPerCycle: round(cpuMsPerCycle),
      rssMb: round(rssMb),
      spawnsOnFastPath,
      cmdline: { cpuMsPerCycle: round(cmdlineCpuMsPerCycle), processes: cmdlineProcesses, bytes: cmdlineBytes },
      nodeExporterCpuMsPerScrape: nodeExporterCpuMsPerScrape === null ? null : round(nodeExporterCpuMsPerScrape),
      ...deployed,
      helpMs: help,
    }),
  );
} else {
  if (deployedOn) printDeployed(deployed);
  for (const [name, h] of Object.entries({ homeostat: help.homeostat, 'homeostat-agent': help.homeostatAgent }))
    log(
      h
        ? `${name} --help: ${h.wallMs} ms wall, ${h.cpuMs} ms CPU (median of ${h.runs}; target 300 ms wall on a quiet machine)`
        : `${name} --help: not built (npm run build)`,
    );
  log(`cycles: ${cycles} (simulated 10 s apart; ${round(wallMs / cycles)} ms wall each)`);
  log(
    `agent collection CPU: ${round(cpuMsPerCycle)} ms per cycle = ${round(cpuMsPerCycle / 100)} % of one core at a 10 s cycle (target <= 15 ms)`,
  );
  log(`rss: ${round(rssMb)} MB (whole process incl. tsx)`);
  log(
    `features per cycle: ${Object.keys(last.features).length}; collectors: ${Object.entries(last.collectors)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  log(
    `spawns by collector: ${JSON.stringify(stats.byCaller)}; fast path (${stats.fastPath.join(', ')}): ${spawnsOnFastPath}`,
  );
  log(
    `cmdline of every process (${cmdlineProcesses}, ${cmdlineBytes} B): ${round(cmdlineCpuMsPerCycle)} ms CPU per cycle, paid only when a policy has a cmdline condition`,
  );
  log(
    `inventory (systeminformation, start + daily): ${round(inventoryCpuMs)} ms CPU once = ${round(inventoryCpuMs / 8640, 3)} ms per cycle amortized over a day`,
  );
  log(
    nodeExporterCpuMsPerScrape === null
      ? 'prometheus-node-exporter: not installed (skipped)'
      : `prometheus-node-exporter: ${round(nodeExporterCpuMsPerScrape)} ms CPU per scrape; agent/node-exporter = ${round(cpuMsPerCycle / nodeExporterCpuMsPerScrape)}`,
  );
}

function printDeployed(d: Record<string, any>): void {
  const c = d.deployedCpuMsPerCycle;
  log(`deployed agent (${c.windows} cycles of ${c.cycleSeconds} s; engines ${JSON.stringify(d.engines)}):`);
  log(
    `  CPU per cycle: mean ${c.mean} ms (/proc stat), p50 ${c.p50}, p95 ${c.p95}, max ${c.max} ms (schedstat) (target <= 8)`,
  );
  if (d.nodeExporter)
    log(
      `  node_exporter per scrape: mean ${d.nodeExporter.cpuMsPerScrape} ms, p95 ${d.nodeExporter.p95} ms; agent/node_exporter = ${d.ratio}`,
    );
  if (d.netdata)
    log(
      `  netdata (update every ${d.netdata.updateEverySeconds} s, ${d.netdata.processes} processes): ${d.netdata.cpuMsPerCycle} ms CPU per period, RSS ${d.netdata.rssMb} MB (PSS ${d.netdata.pssMb}); agent/netdata = ${d.netdataRatio}`,
    );
  log(
    `  RSS steady ${d.deployedRssMb} MB (PSS ${d.deployedPssMb}), peak ${d.deployedPeakRssMb} MB (target <= 80); growth ${d.rssGrowthMbPerHour} MB/h ${d.rssGrowthWindow}`,
  );
  log(
    `  start-up: first sample after ${d.startupMs} ms, ${d.startupCpuMs} ms CPU (${d.startupChildCpuMs} in children) (target <= 500); ${d.cpuMsBeforeWindows} ms CPU until the first measured cycle (inventory included)`,
  );
  log(
    `  runtime deps on disk: ${d.runtimeDepsMb} MB (dist ${d.runtimeDeps.distMb} MB + ${JSON.stringify(d.runtimeDeps.packages)}; optional ${JSON.stringify(d.runtimeDeps.optionalMb)}) (target <= 60)`,
  );
}

function round(x: number, d = 2) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function scrapeNodeExporter(bin: string, n: number): Promise<number> {
  const port = await freePort();
  const child = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    for (let i = 0; i < 100; i++) {
      // bounded wait for readiness
      try {
        await (await fetch(url)).text();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await (await fetch(url)).text(); // warm-up scrape
    const start = pidCpuMs(child.pid!);
    for (let i = 0; i < n; i++) await (await fetch(url)).text();
    return (pidCpuMs(child.pid!) - start) / n;
  } finally {
    child.kill('SIGTERM');
  }
}
