/**
 * A busy port is an operator's fix: `homeostat server` prints one line naming the port and the setting to change and
 * exits with code 3, for the HTTP, MQTT TCP and MQTT WebSocket ports alike, never a stack trace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeostat } from './harness.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

const CASES = [
  { setting: 'httpPort', flag: '--http-port', env: 'HOMEOSTAT_HTTP_PORT' },
  { setting: 'mqttPort', flag: '--mqtt-port', env: 'HOMEOSTAT_MQTT_PORT' },
  { setting: 'wsPort', flag: '--ws-port', env: 'HOMEOSTAT_WS_PORT' },
] as const;

for (const c of CASES) {
  test(`busy ${c.setting}: one error line naming the port and ${c.flag}, exit code 3`, {
    timeout: 120_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-busy-'));
    dirs.push(dataDir);
    const busy = await occupy();
    try {
      const ports = { '--http-port': '0', '--mqtt-port': '0', '--ws-port': '0', [c.flag]: String(busy.port) };
      const p = homeostat(['server', '--data-dir', dataDir, ...Object.entries(ports).flat(), '--log-level', 'warn']);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        p.exited,
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), 100_000);
        }),
      ]);
      clearTimeout(timer);
      if (code === 'timeout') await p.kill('SIGKILL');
      assert.equal(code, 3, `exit code; stderr:\n${p.stderr.join('\n')}`);
      // log records are JSON lines; everything else on stderr is meant for the operator
      const lines = p.stderr.filter((l) => l.trim() !== '' && !l.startsWith('{'));
      assert.deepEqual(lines, [
        `homeostat server: ${c.setting}: port ${busy.port} on 127.0.0.1 is already in use; ` +
          `set another port with ${c.flag}, ${c.env} or \`${c.setting}\` in the config file (0 = any free port)`,
      ]);
      assert.deepEqual(p.stdout, []);
    } finally {
      await new Promise((r) => busy.server.close(r));
    }
  });
}
