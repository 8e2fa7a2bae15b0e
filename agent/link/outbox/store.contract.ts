/**
 * The one contract every {@link OutboxStore} implementation passes. Run by store.test.ts against memory and SQLite.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboxLimits } from './record.ts';
import { DROPPED_EVENT_TYPE, type OutboxRecord, withSeq } from './record.ts';
import { seededRandom } from '../../../contract/seeded-random.ts';
import type { OutboxStore } from './store.ts';

/** Opens a store; `reopen` (durable stores only) opens the same storage again after the first was closed. */
export type OutboxFactory = { open(limits: OutboxLimits): OutboxStore; reopen?: (limits: OutboxLimits) => OutboxStore };

const roomy: OutboxLimits = { maxBytes: 10_000_000, maxRecords: 100_000 };
const sample = (i: number) => ({ ts: 1_700_000_000_000 + i, schema: 'v1', features: { 'cpu.util': i / 100 } });

export function outboxContract(name: string, makeFactory: () => OutboxFactory): void {
  describe(`OutboxStore contract: ${name}`, () => {
    it('issues seqs 1..n in append order and peeks them in seq order', () => {
      const s = makeFactory().open(roomy);
      const seqs = [
        s.append('telemetry', sample(1)).seq,
        s.append('event', { ts: 5, type: 'heal.executed', data: {} }).seq,
        s.append('telemetry', sample(2)).seq,
      ];
      assert.deepEqual(seqs, [1, 2, 3]);
      assert.deepEqual(
        s.peek(10).map((r) => [r.seq, r.kind]),
        [
          [1, 'telemetry'],
          [2, 'event'],
          [3, 'telemetry'],
        ],
      );
      assert.deepEqual(
        s.peek(1, 1).map((r) => r.seq),
        [2],
      );
      assert.deepEqual(JSON.parse(withSeq(s.peek(1)[0]!)), { seq: 1, ...sample(1) });
      s.close();
    });

    it('ack removes exactly the acknowledged ranges and ignores unknown seqs', () => {
      const s = makeFactory().open(roomy);
      for (let i = 1; i <= 10; i++) s.append('telemetry', sample(i));
      assert.equal(
        s.ack([
          [2, 4],
          [7, 7],
          [50, 60],
        ]),
        4,
      );
      assert.deepEqual(
        s.peek(100).map((r) => r.seq),
        [1, 5, 6, 8, 9, 10],
      );
      assert.equal(s.stats().depth, 6);
      assert.equal(
        s.stats().bytes,
        s.peek(100).reduce((n, r) => n + r.bytes, 0),
      );
      assert.equal(s.ack([[2, 4]]), 0);
      s.close();
    });

    it('never repeats a seq after everything was acked', () => {
      const s = makeFactory().open(roomy);
      s.append('telemetry', sample(1));
      s.append('telemetry', sample(2));
      s.ack([[1, 2]]);
      assert.equal(s.stats().depth, 0);
      assert.equal(s.append('telemetry', sample(3)).seq, 3);
      assert.equal(s.stats().lastSeq, 3);
      s.close();
    });

    it('drops the oldest records when over maxRecords and appends an outbox.dropped event with count and range', () => {
      const s = makeFactory().open({ maxBytes: 10_000_000, maxRecords: 10 });
      for (let i = 1; i <= 11; i++) s.append('telemetry', sample(i));
      const rows = s.peek(100);
      assert.ok(rows.length <= 10, `depth ${rows.length}`);
      const drop = rows.find((r) => r.kind === 'event')!;
      const ev = JSON.parse(withSeq(drop));
      assert.equal(ev.type, DROPPED_EVENT_TYPE);
      assert.equal(ev.severity, 'warning');
      const kept = rows.filter((r) => r.kind === 'telemetry').map((r) => r.seq);
      assert.equal(ev.data.count, 11 - kept.length);
      assert.equal(ev.data.fromSeq, 1);
      assert.equal(ev.data.toSeq, ev.data.count);
      assert.equal(kept[0], ev.data.toSeq + 1);
      assert.equal(drop.seq, 12, 'the drop event takes the next seq');
      assert.equal(s.stats().droppedTotal, ev.data.count);
      s.close();
    });

    it('keeps complete drop accounting under a sustained overflow (earlier drop events are folded, not lost)', () => {
      const s = makeFactory().open({ maxBytes: 10_000_000, maxRecords: 20 });
      const n = 500;
      for (let i = 1; i <= n; i++) s.append('telemetry', sample(i));
      const rows = s.peek(1000);
      assert.ok(rows.length <= 20);
      const keptTelemetry = rows.filter((r) => r.kind === 'telemetry').length;
      const drops = rows.filter((r) => r.kind === 'event').map((r) => JSON.parse(r.json).data as { count: number });
      assert.equal(keptTelemetry + drops.reduce((a, d) => a + d.count, 0), n);
      assert.equal(s.stats().droppedTotal, n - keptTelemetry);
      const seqs = rows.map((r) => r.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      assert.equal(new Set(seqs).size, seqs.length);
      s.close();
    });

    it('D1: drop events carry exact disjoint ranges; over every delivered drop event they add up to the lost seqs', () => {
      const s = makeFactory().open({ maxBytes: 10_000_000, maxRecords: 30 });
      const rnd = seededRandom(13);
      const delivered = new Set<number>();
      const reported = new Set<number>();
      let reportedCount = 0;
      const appended = new Map<number, 'telemetry' | 'event'>();
      const deliver = (rows: OutboxRecord[]) => {
        for (const r of rows) {
          delivered.add(r.seq);
          if (r.kind !== 'event') continue;
          const ev = JSON.parse(withSeq(r));
          if (ev.type !== DROPPED_EVENT_TYPE) continue;
          const ranges = ev.data.ranges as [number, number][];
          // sorted, disjoint, not even adjacent (merged)
          for (let i = 1; i < ranges.length; i++)
            assert.ok(ranges[i]![0] > ranges[i - 1]![1] + 1, JSON.stringify(ranges));
          for (const [a, b] of ranges) for (let q = a; q <= b; q++) reported.add(q);
          reportedCount += ev.data.count;
        }
        s.ack(rows.map((r) => [r.seq, r.seq] as const));
      };
      // a partition with a tiny outbox: long stretches without acks, and now and then a few random records acked
      for (let i = 1; i <= 2_000; i++) {
        const kind = rnd() < 0.1 ? 'event' : 'telemetry';
        const r =
          kind === 'event'
            ? s.append('event', { ts: i, type: 'heal.executed', data: {} })
            : s.append('telemetry', sample(i));
        appended.set(r.seq, kind);
        if (rnd() < 0.05) deliver(s.peek(30).filter(() => rnd() < 0.3));
      }
      deliver(s.peek(1_000)); // the partition heals: everything left arrives
      const lastSeq = s.stats().lastSeq;
      const lost = new Set<number>();
      for (let q = 1; q <= lastSeq; q++) if (!delivered.has(q)) lost.add(q);
      // the control plane's reconciliation: union of reported ranges minus what it stored == what it never got
      assert.deepEqual(
        [...reported].filter((q) => !delivered.has(q)).sort((a, b) => a - b),
        [...lost].sort((a, b) => a - b),
      );
      // counts: every lost record (not a drop event itself) is counted once, by exactly one delivered drop event
      const lostRecords = [...lost].filter((q) => appended.has(q)).length;
      assert.equal(reportedCount, lostRecords);
      assert.equal(s.stats().droppedTotal, lostRecords);
      assert.ok(lost.size > 1_000, `a real overflow: ${lost.size} lost`);
      s.close();
    });

    it('D1: a published drop event is never folded, so a late delivery of it keeps the reported ranges disjoint', () => {
      const s = makeFactory().open({ maxBytes: 10_000_000, maxRecords: 10 });
      const dropsIn = (rows: OutboxRecord[]) =>
        rows.filter((r) => r.kind === 'event' && JSON.parse(r.json).type === DROPPED_EVENT_TYPE);
      for (let i = 1; i <= 11; i++) s.append('telemetry', sample(i));
      const first = dropsIn(s.peek(100))[0]!;
      // the link publishes everything so far (the connection looks alive but is cut): nothing is acked
      s.markSent(s.stats().lastSeq);
      for (let i = 12; i <= 200; i++) s.append('telemetry', sample(i));
      const rows = s.peek(1000);
      assert.ok(
        rows.some((r) => r.seq === first.seq),
        'the published drop event is still in the outbox',
      );
      assert.ok(rows.length <= 11, `bounded (${rows.length})`);
      // everything delivered now, the first drop event included (late, from the old connection)
      const reported = new Map<number, number>();
      for (const r of dropsIn(rows)) {
        const ev = JSON.parse(withSeq(r));
        for (const [a, b] of ev.data.ranges as [number, number][])
          for (let q = a; q <= b; q++) {
            assert.ok(!reported.has(q), `seq ${q} reported by drop events ${reported.get(q)} and ${r.seq}`);
            reported.set(q, r.seq);
          }
      }
      const delivered = new Set(rows.map((r) => r.seq));
      for (let q = 1; q <= s.stats().lastSeq; q++) assert.ok(delivered.has(q) !== reported.has(q), `seq ${q}`);
      s.close();
    });

    it('bounds bytes as well as records', () => {
      const s = makeFactory().open({ maxBytes: 4096, maxRecords: 100_000 });
      const big = (i: number) => ({ ts: i, schema: 'v1', features: {}, collectors: { note: 'x'.repeat(200) } });
      for (let i = 1; i <= 100; i++) s.append('telemetry', big(i));
      assert.ok(s.stats().bytes <= 4096, `bytes ${s.stats().bytes}`);
      assert.ok(s.stats().droppedTotal > 0);
      s.close();
    });

    it('keeps seq and records across reopen (durable stores)', (t) => {
      const f = makeFactory();
      if (!f.reopen) return t.skip('not durable');
      const s = f.open(roomy);
      for (let i = 1; i <= 5; i++) s.append('telemetry', sample(i));
      s.ack([[1, 5]]);
      s.append('event', { ts: 1, type: 'agent.started', data: {} });
      s.close();
      const again = f.reopen(roomy);
      assert.deepEqual(
        again.peek(10).map((r) => r.seq),
        [6],
      );
      assert.equal(again.append('telemetry', sample(7)).seq, 7);
      again.close();
    });

    it('keeps the high-water mark across reopen when every record was acked, and when none was', (t) => {
      const f = makeFactory();
      if (!f.reopen) return t.skip('not durable');
      const s = f.open(roomy);
      for (let i = 1; i <= 3; i++) s.append('telemetry', sample(i));
      s.ack([[1, 3]]); // the newest record is gone: only the meta counter remembers seq 3
      s.close();
      const again = f.reopen(roomy);
      assert.equal(again.stats().lastSeq, 3);
      assert.equal(again.append('telemetry', sample(4)).seq, 4);
      again.append('telemetry', sample(5)); // appended without a transaction: the stored seq is the mark
      again.close();
      const third = f.reopen(roomy);
      assert.equal(third.stats().lastSeq, 5);
      assert.deepEqual(
        third.peek(10).map((r) => r.seq),
        [4, 5],
      );
      third.close();
    });
  });
}
