/**
 * Minimal Chrome DevTools Protocol client over a Node inspector's WebSocket, for benchmarks that measure a child
 * process's memory after a full GC (started with `--inspect=127.0.0.1:0`; `inspectorUrl` reads its address).
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

export type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };

/** The inspector's WebSocket address, from the child's stderr ("Debugger listening on ws://…"). */
export function inspectorUrl(stderr: Readable): Promise<string> {
  return new Promise((resolve) => {
    createInterface({ input: stderr }).on('line', (l) => {
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
  });
}

/** Connects to the inspector at `url`. */
export async function inspector(url: string) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const n = ++id;
      pending.set(n, (r) => {
        pending.delete(n);
        if (r.error) reject(new Error(`${method}: ${JSON.stringify(r.error)}`));
        else resolve(r.result);
      });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  const evaluate = async (expression: string): Promise<unknown> => {
    const r = (await call('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
      includeCommandLineAPI: true,
    })) as { result: { value: unknown }; exceptionDetails?: unknown };
    if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
  return {
    async memory(): Promise<Memory & { rssBeforeGc: number }> {
      const rssBeforeGc = Number(await evaluate('process.memoryUsage.rss()'));
      // Two full collections: the first may only schedule finalizers (sockets, buffers) that the second frees.
      await call('HeapProfiler.collectGarbage');
      await new Promise((r) => setTimeout(r, 200));
      await call('HeapProfiler.collectGarbage');
      const m = JSON.parse(String(await evaluate('JSON.stringify(process.memoryUsage())'))) as Memory;
      return { ...m, rssBeforeGc };
    },
    snapshot: (file: string) => evaluate(`require('node:v8').writeHeapSnapshot(${JSON.stringify(file)})`),
    close: () => ws.close(),
  };
}
