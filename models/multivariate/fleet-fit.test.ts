import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefitDataError } from '../../contract/errors.ts';
import { seededRandom } from '../../contract/seeded-random.ts';
import { fitFleet, MIN_TRAIN_SAMPLES, type FleetSample, type FleetSampleSource } from './fleet-fit.ts';
import { fleetVersion } from './fleet-model.ts';

const NAMES = ['cpu.util_pct', 'cpu.user_pct', 'mem.used_pct', 'disk.iops', 'net.rx_bytes_per_s', 'proc.count'];

/** `hosts` hosts of `n` 5-minute samples; `factors` independent drivers spread over the features. */
function source(hosts: number, n: number, factors: number, seed = 1): FleetSampleSource & { reads: number } {
  const data = new Map<string, FleetSample[]>();
  for (let h = 0; h < hosts; h++) {
    const rnd = seededRandom(seed + h);
    const rows: FleetSample[] = [];
    for (let i = 0; i < n; i++) {
      const drivers = Array.from({ length: factors }, () => rnd() * 10);
      const features = Object.fromEntries(
        NAMES.map((name, j) => [name, 50 + 3 * drivers[j % factors]! * (1 + j / 10) + 0.05 * rnd()]),
      );
      rows.push({ ts: 1_700_000_000_000 + i * 300_000, features });
    }
    data.set(`h${h}`, rows);
  }
  const s = {
    reads: 0,
    hosts: [...data].map(([id, rows]) => ({ id, firstTs: rows[0]!.ts, lastTs: rows.at(-1)!.ts, features: NAMES })),
    async *read(id: string, since: number, until: number) {
      s.reads++;
      for (const r of data.get(id)!) if (r.ts >= since && r.ts < until) yield r;
    },
  };
  return s;
}

const window = { since: 0, until: 2e12, holdout: 0.2 };

test('components follow how many independent drivers the fleet has; z0 puts the 99.9th percentile at enter', async () => {
  const one = await fitFleet(source(2, 800, 1), window);
  const three = await fitFleet(source(2, 800, 3), window);
  assert.equal(one.params.components, 1);
  assert.equal(three.params.components, 3);
  assert.ok(one.fit.explainedShare >= 0.9 && three.fit.explainedShare >= 0.9);
  for (const f of [one, three]) {
    assert.ok(f.params.z0 >= 1 && f.params.z0 <= 10);
    assert.equal(f.data.samples, 1600);
    assert.equal(f.data.trainSamples + f.data.holdoutSamples, 1600);
    assert.ok(f.quality.fitted.alertRate <= 0.01, `held-back alert rate ${f.quality.fitted.alertRate}`);
    assert.deepEqual(f.features, NAMES);
  }
});

test('three passes over the source, one host at a time', async () => {
  const s = source(3, 700, 2);
  await fitFleet(s, window);
  assert.equal(s.reads, 9);
});

test('too few samples: says how many there are and how many are needed', async () => {
  await assert.rejects(
    fitFleet(source(1, 300, 1), window),
    (e: unknown) =>
      e instanceof RefitDataError &&
      e.reason === 'too-few-samples' &&
      e.message.includes(`at least ${MIN_TRAIN_SAMPLES} needed`) &&
      /: 2\d\d training samples/.test(e.message),
  );
  await assert.rejects(
    fitFleet({ hosts: [], read: source(1, 1, 1).read }, window),
    (e: unknown) => e instanceof RefitDataError && e.reason === 'no-samples',
  );
});

test('versions: a minor bump marked as a fleet refit, unique per second', () => {
  assert.equal(fleetVersion('5.0.0', new Date(Date.UTC(2026, 11, 4, 17, 3, 9))), '5.1.0-fleet.20261204170309');
  assert.equal(fleetVersion('7', new Date(Date.UTC(2026, 0, 1))), '7-fleet.20260101000000');
});
