/**
 * Demo start-up (issue 17 item 9): runs the compiled `homeostat demo --agents N` in a fresh data dir and prints the
 * wall time until the UI first answers (the control plane is up) and until its banner (every agent enrolled and
 * streaming), the demo process's CPU time until the banner and the load average. Needs `npm run build` first.
 *
 *   npx tsx bench/demo-startup.ts [agents=50]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { statCpuMs } from './proc-usage.ts';

/** A port free right now (the demo binds it; MQTT ports stay ephemeral). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });

const agents = process.argv[2] ?? '50';
const httpPort = await freePort();
const entry = fileURLToPath(new URL('../dist/control-plane/homeostat.mjs', import.meta.url));
const args = [entry, 'demo', '--agents', agents, '--http-port', String(httpPort), '--mqtt-port', '0', '--ws-port', '0'];
const t0 = performance.now();
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let uiMs: number | null = null;
let done = false;
// Polls the UI every 100 ms until it answers (a refused connection until the control plane listens).
void (async () => {
  while (!done && uiMs === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/login`);
      await res.arrayBuffer();
      if (res.ok) uiMs = Math.round(performance.now() - t0);
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
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
  done = true;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `demo --agents ${agents}: UI answers after ${uiMs ?? '?'} ms, banner after ${wallMs} ms wall, ${cpuMs} ms CPU; load average ${load}`,
  );
  clearTimeout(deadline);
  // the demo stops on SIGTERM once its banner is out (its handler is installed right after it)
  setTimeout(() => child.kill('SIGTERM'), 500);
  out = '';
});
