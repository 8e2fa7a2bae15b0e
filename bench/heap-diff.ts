/**
 * Difference between two V8 heap snapshots by node type and name (constructor, closure name, `(string)`…): count and
 * self size, largest growth first. Used with bench/broker-memory.ts --snapshots to find what one connection keeps.
 *
 *   npx tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot [--per N] [--top 40]
 *     --per N   also divide by N (e.g. the number of agents connected between the snapshots)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

/** type:name → [count, self size]. */
function aggregate(file: string): Map<string, [number, number]> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const stride = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + iType]!]!;
    let name = s.strings[s.nodes[i + iName]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '';
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const e = out.get(key) ?? [0, 0];
    e[0]++;
    e[1] += s.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '40' } },
});
const [a, b] = positionals;
if (!a || !b) throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [--per N]');
const before = aggregate(a);
const after = aggregate(b);
const per = Number(args.per);
const rows = [...new Set([...before.keys(), ...after.keys()])].map((k) => {
  const x = before.get(k) ?? [0, 0];
  const y = after.get(k) ?? [0, 0];
  return { k, count: (y[0] - x[0]) / per, bytes: (y[1] - x[1]) / per };
});
rows.sort((p, q) => q.bytes - p.bytes);
const total = rows.reduce((n, r) => n + r.bytes, 0);
console.log(`total self size growth: ${(total / 1024).toFixed(2)} KB${per > 1 ? ` per 1/${per}` : ''}`);
for (const r of rows.slice(0, Number(args.top)))
  console.log(`${r.bytes.toFixed(0).padStart(8)} B ${r.count.toFixed(2).padStart(8)}×  ${r.k}`);
