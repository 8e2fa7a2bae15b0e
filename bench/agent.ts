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
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createCollectionEngine } from '../agent/collect/engine.ts';
import { createExec } from '../agent/collect/exec.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const cyclesArg = args.indexOf('--cycles');
const cycles = cyclesArg >= 0 ? Number(args[cyclesArg + 1]) : 60;
const log = (s: string) => { if (!json) console.log(s); };

const CLK_TCK = 100;
function childCpuMs(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK; // cutime, cstime (fields 16, 17)
}
function cpuMs(): number { const u = process.cpuUsage(); return (u.user + u.system) / 1000 + childCpuMs(); }
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

const invBefore = cpuMs();
await engine.inventory();
const inventoryCpuMs = cpuMs() - invBefore;

let nodeExporterCpuMsPerScrape: number | null = null;
const ne = await exec.which('prometheus-node-exporter') ?? await exec.which('node_exporter');
if (ne) nodeExporterCpuMsPerScrape = await scrapeNodeExporter(ne, cycles);

if (json) {
  console.log(JSON.stringify({ cycles, cpuMsPerCycle: round(cpuMsPerCycle), rssMb: round(rssMb), spawnsOnFastPath, nodeExporterCpuMsPerScrape: nodeExporterCpuMsPerScrape === null ? null : round(nodeExporterCpuMsPerScrape) }));
} else {
  log(`cycles: ${cycles} (simulated 10 s apart; ${round(wallMs / cycles)} ms wall each)`);
  log(`agent collection CPU: ${round(cpuMsPerCycle)} ms per cycle = ${round(cpuMsPerCycle / 100)} % of one core at a 10 s cycle (target <= 15 ms)`);
  log(`rss: ${round(rssMb)} MB (whole process incl. tsx)`);
  log(`features per cycle: ${Object.keys(last.features).length}; collectors: ${Object.entries(last.collectors).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  log(`spawns by collector: ${JSON.stringify(stats.byCaller)}; fast path (${stats.fastPath.join(', ')}): ${spawnsOnFastPath}`);
  log(`inventory (systeminformation, start + daily): ${round(inventoryCpuMs)} ms CPU once = ${round(inventoryCpuMs / 8640, 3)} ms per cycle amortized over a day`);
  log(nodeExporterCpuMsPerScrape === null ? 'prometheus-node-exporter: not installed (skipped)'
    : `prometheus-node-exporter: ${round(nodeExporterCpuMsPerScrape)} ms CPU per scrape; agent/node-exporter = ${round(cpuMsPerCycle / nodeExporterCpuMsPerScrape)}`);
}

function round(x: number, d = 2) { const f = 10 ** d; return Math.round(x * f) / f; }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address(); const p = typeof a === 'object' && a ? a.port : 0; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function scrapeNodeExporter(bin: string, n: number): Promise<number> {
  const port = await freePort();
  const child = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    for (let i = 0; i < 100; i++) { // bounded wait for readiness
      try { await (await fetch(url)).text(); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    await (await fetch(url)).text(); // warm-up scrape
    const start = pidCpuMs(child.pid!);
    for (let i = 0; i < n; i++) await (await fetch(url)).text();
    return (pidCpuMs(child.pid!) - start) / n;
  } finally {
    child.kill('SIGTERM');
  }
}
