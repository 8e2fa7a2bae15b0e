/**
 * Demo start-up (issue 17 item 9): runs the compiled `homeostat demo --agents N` on ephemeral ports in a fresh data
 * dir and prints the wall time until its banner (every agent enrolled and streaming), the demo process's CPU time
 * until then and the load average. Needs `npm run build` first.
 *
 *   npx tsx bench/demo-startup.ts [agents=50]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { statCpuMs } from './proc-usage.ts';

const agents = process.argv[2] ?? '50';
const entry = fileURLToPath(new URL('../dist/control-plane/homeostat.mjs', import.meta.url));
const args = [entry, 'demo', '--agents', agents, '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0'];
const t0 = performance.now();
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const deadline = setTimeout(() => {
  console.error('no banner after 5 minutes');
  child.kill('SIGKILL');
  process.exitCode = 1;
}, 300_000);
child.stdout.on('data', (d: Buffer) => {
  out += d.toString();
  if (!out.includes('Open:') || !child.pid) return;
  const wallMs = Math.round(performance.now() - t0);
  const cpuMs = Math.round(statCpuMs(child.pid).own);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`demo --agents ${agents}: banner after ${wallMs} ms wall, ${cpuMs} ms CPU; load average ${load}`);
  clearTimeout(deadline);
  // the demo stops on SIGTERM once its banner is out (its handler is installed right after it)
  setTimeout(() => child.kill('SIGTERM'), 500);
  out = '';
});
