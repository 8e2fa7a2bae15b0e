import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMemoryOutbox } from './memory-store.ts';
import { openSqliteOutbox } from './sqlite-store.ts';
import { outboxContract } from './store.contract.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

outboxContract('memory', () => ({ open: (limits) => createMemoryOutbox(limits) }));
outboxContract('sqlite', () => {
  const file = join(tempDir(), 'outbox.db');
  return { open: (limits) => openSqliteOutbox(file, limits), reopen: (limits) => openSqliteOutbox(file, limits) };
});

describe('SQLite outbox under kill -9', () => {
  it('keeps every record whose append returned, and never reissues a seq', async () => {
    const file = join(tempDir(), 'outbox.db');
    const script = `
      import { openSqliteOutbox } from ${JSON.stringify(new URL('./sqlite-store.ts', import.meta.url).pathname)};
      const s = openSqliteOutbox(${JSON.stringify(file)}, { maxBytes: 1e8, maxRecords: 1e6 });
      for (let i = 0; ; i++) { const r = s.append('telemetry', { ts: i, schema: 'v1', features: {} }); process.stdout.write(r.seq + '\\n'); }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    let last = 0;
    for await (const line of lines) {
      last = Number(line);
      if (last >= 300) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const s = openSqliteOutbox(file, { maxBytes: 1e8, maxRecords: 1e6 });
    const seqs = s.peek(1_000_000).map((r) => r.seq);
    assert.ok(seqs.length >= last, `${seqs.length} stored, ${last} reported`);
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i + 1),
    );
    assert.equal(s.append('telemetry', { ts: 0 }).seq, seqs.length + 1);
    s.close();
  });
});
