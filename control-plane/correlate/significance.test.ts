import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestPossibleScore, isCause, taroneCorrection, testValue } from './significance.ts';
import {
  bestCause,
  bestExplaining,
  commonValues,
  onsetHazard,
  beforeOnset,
  onsetOver,
  pairCorrection,
  type SearchContext,
} from './cause-search.ts';
import { lift } from './fisher.ts';
import { createPopulation } from './population.ts';

const TH = { minHosts: 3, minScore: 5.5, minRiskRatio: 3 };

test('a value a third of the fleet holds can be a cause: the risk ratio is not capped by its share, the lift is', () => {
  // 300 of 1,600 hosts are sick, 280 of them on a kernel 533 hosts run.
  const t = testValue(280, 300, 533, 1600);
  assert.ok(lift(280, 300, 533, 1600) < 3, 'lift ≤ 1 / share = 3');
  assert.ok(t.riskRatio > 25, `risk ratio ${t.riskRatio}`);
  assert.ok(t.score > 100, `score ${t.score}`);
  assert.ok(Math.abs(t.rateWith - 280 / 533) < 1e-12);
  assert.ok(Math.abs(t.rateWithout - 20 / 1067) < 1e-12);
  assert.ok(isCause(t, 0, TH));
  // Even 60 % of the fleet, when its hosts fail six times as often.
  assert.ok(isCause(testValue(180, 200, 960, 1600), Math.log10(10), TH));
});

test('the fleet size is in the significance: 5 of 5 on a third of the fleet is not enough, 5 of 5 in a rack is', () => {
  assert.ok(testValue(5, 5, 533, 1600).score < 3);
  assert.ok(testValue(5, 5, 20, 1600).score > 9);
  // A value every host holds can never be a cause.
  assert.equal(bestPossibleScore(50, 1600, 1600), 0);
  assert.ok(!isCause(testValue(50, 50, 1600, 1600), 0, TH));
});

test('effect size: a significant but slight excess on a common value is not a cause', () => {
  // 700 of 1,000 sick hosts in a datacenter of 800 of 1,600: p tiny, but only 2.3× the rate elsewhere.
  const t = testValue(700, 1000, 800, 1600);
  assert.ok(t.score > 30);
  assert.ok(t.riskRatio < 3);
  assert.ok(!isCause(t, 0, TH));
});

test("Tarone's correction counts only the keys that could pass", () => {
  assert.equal(taroneCorrection([], 5.5), 0);
  assert.equal(taroneCorrection([1, 2, 3], 5.5), 0, 'no key can pass: no correction');
  assert.equal(taroneCorrection([9, 1, 2], 5.5), 0, 'one testable key: tested alone');
  assert.ok(Math.abs(taroneCorrection([9, 9, 9, 0, 0, 0, 0, 0], 5.5) - Math.log10(3)) < 1e-12);
});

function ctx(hosts: [string, Record<string, string>][]): SearchContext {
  const population = createPopulation(hosts);
  return { population, attrsOf: (h) => population.attributes(h) ?? {}, ignore: new Set(['host']), thresholds: TH };
}

/** 1,600 hosts in 80 racks; kernel k1 on every third host; model m1 on 90 % of the k1 hosts and 10 % of the others. */
function fleet(): [string, Record<string, string>][] {
  return Array.from({ length: 1600 }, (_, i) => {
    const k1 = i % 3 === 0;
    const m1 = k1 ? i % 10 !== 0 : i % 10 === 1;
    return [`h${i}`, { rack: `r${Math.floor(i / 20)}`, kernel: k1 ? 'k1' : 'k2', model: m1 ? 'm1' : 'm2' }];
  });
}

test('the best cause: the kernel over its look-alike server model, once enough hosts show it', () => {
  const c = ctx(fleet());
  const sick = fleet()
    .filter(([, a]) => a['kernel'] === 'k1')
    .map(([h]) => h)
    .filter((_, i) => i % 2 === 0); // half the kernel's hosts
  const best = bestCause(
    [
      ['kernel', 'k1'],
      ['model', 'm1'],
      ['rack', 'r0'],
    ],
    sick,
    c,
  );
  assert.equal(`${best?.key}=${best?.value}`, 'kernel=k1');
  assert.deepEqual(commonValues(sick, c).sort(), [
    ['kernel', 'k1'],
    ['model', 'm1'],
  ]);
});

test("Tarone's correction counts the fleet's testable (key, value) pairs, not its keys", () => {
  const c = ctx(fleet());
  // 80 racks of 20, kernels k1/k2, models m1/m2: 10 sick hosts could single out any rack (84 pairs, 3 keys).
  const m = 10 ** pairCorrection(10, 1600, new Map(), c);
  assert.ok(m > 79.5 && m < 84.5, `m = ${m}`);
  // 5 of 12 sick hosts in one rack (p ≈ 1e-6.9) pass against the 3 keys, not against the 80 racks (bar 5.5 + 1.9).
  const sick = ['h0', 'h1', 'h2', 'h3', 'h4', 'h100', 'h300', 'h500', 'h700', 'h900', 'h1100', 'h1300'];
  assert.ok(isCause(testValue(5, 12, 20, 1600), Math.log10(3), TH), 'would pass counting the 3 keys');
  assert.equal(bestCause([['rack', 'r0']], sick, c), null);
  assert.equal(bestCause([['rack', 'r0']], [...sick, 'h5', 'h6'], c)?.value, 'r0', '7 of 14 do');
  // Explained hosts leave the counts: with every rack but r0 explained, r0 is the only testable rack.
  const others = new Set(
    fleet()
      .slice(20)
      .map(([h]) => h),
  );
  assert.ok(10 ** pairCorrection(4, 20, new Map([...explainedCounts(others)]), c) < 10);
});

/** "key\0value" → holders among `hosts`, as bestCause subtracts them. */
function explainedCounts(hosts: ReadonlySet<string>): Map<string, number> {
  const attrs = new Map(fleet());
  const out = new Map<string, number>();
  for (const h of hosts)
    for (const [k, v] of Object.entries(attrs.get(h)!)) out.set(`${k}\0${v}`, (out.get(`${k}\0${v}`) ?? 0) + 1);
  return out;
}

test('a value is tested among the hosts no open cause explains', () => {
  // Rack r0 (20 hosts, all sick) explained by an open cause; 10 background hosts elsewhere, 9 in racks r40+.
  const hosts = fleet().map(([h, a], i): [string, Record<string, string>] => [h, { ...a, half: i < 800 ? 'a' : 'b' }]);
  const c = ctx(hosts);
  const rack = hosts.slice(0, 20).map(([h]) => h);
  const background = ['h810', 'h900', 'h1000', 'h1100', 'h1200', 'h1300', 'h1400', 'h1500', 'h1590', 'h100'];
  const sick = [...rack, ...background];
  // Counted naively, half=b looks over-represented against the rack's half=a hosts removed from the sick list only.
  assert.equal(bestCause([['half', 'b']], background, c), null);
  assert.equal(bestCause([['half', 'b']], sick, c, new Set(rack)), null);
});

test('attribution: the cause the host is in, else the one hitting its holders fastest now, else the higher rate', () => {
  const MIN = 60_000;
  // A rack's 18 of 20 hosts failed within two minutes from minute 60; a kernel's 533 holders fail at 6 a minute from 55.
  const rackJoins = Array.from({ length: 18 }, (_, i) => 60 * MIN + i * 7_000);
  const kernelJoins = Array.from({ length: 200 }, (_, i) => 55 * MIN + i * 10_000);
  const at = (now: number) => ({
    rack: { id: 'rack', holdsHost: false, hazard: onsetHazard(rackJoins, now, 20, 5.5), rateWith: 0.9, score: 40 },
    kernel: {
      id: 'kernel',
      holdsHost: false,
      hazard: onsetHazard(kernelJoins, now, 533, 5.5),
      rateWith: 0.45,
      score: 200,
    },
  });
  const late = at(72 * MIN);
  assert.equal(bestExplaining([late.rack, late.kernel])?.id, 'kernel', 'the rack failed ten minutes ago');
  const onset = at(61 * MIN);
  assert.equal(bestExplaining([onset.rack, onset.kernel])?.id, 'rack', 'at the rack’s onset');
  assert.equal(
    bestExplaining([onset.rack, { ...onset.kernel, holdsHost: true }])?.id,
    'kernel',
    'a host stays with its cause',
  );
  assert.equal(
    bestExplaining([
      { ...late.rack, hazard: 0 },
      { ...late.kernel, hazard: 0 },
    ])?.id,
    'rack',
    'then the rate',
  );
  assert.equal(bestExplaining([]), null);
});

test('an onset is over when the silence since its last new host is as improbable as opening a cause', () => {
  const MIN = 60_000;
  // 80 hosts joined over 20 minutes (a new one every 15 s): 14 minutes later it is over, 1 minute later it is not.
  const kernel = Array.from({ length: 80 }, (_, i) => 92 * MIN + i * 15_000);
  assert.equal(onsetOver(kernel, 126 * MIN, 5.5), true);
  assert.equal(onsetOver(kernel, 113 * MIN, 5.5), false);
  // Six escalations in three minutes, the next five minutes later: still the same trickle.
  const esc = [160.2, 161.1, 162, 162.3, 162.4, 163].map((m) => m * MIN);
  assert.equal(onsetOver(esc, 168 * MIN, 5.5), false);
  assert.equal(onsetOver([], 0, 5.5), true);
  assert.equal(onsetOver([0], 30 * MIN, 5.5), false, 'one host: no rate to judge by');
  // A rack's 18 hosts within two minutes from minute 60: four minutes later it is over, even with a blip of the same
  // symptom at minute 30 among its joins (counted in, it would stretch the pace to one host every two minutes).
  const rack = Array.from({ length: 18 }, (_, i) => 60 * MIN + i * 7_000);
  assert.equal(onsetOver(rack, 66 * MIN, 5.5), true);
  assert.equal(onsetOver([30 * MIN, ...rack], 66 * MIN, 5.5), true);
  assert.equal(onsetOver([30 * MIN, ...rack], 62.5 * MIN, 5.5), false);
});

test('an event long before an onset is not an early sighting of it; one inside it, or before a trickle, is', () => {
  const MIN = 60_000;
  // 30 hosts failing over 3 minutes from minute 60, one background blip of the same symptom at minute 45.
  const joins = [45 * MIN, ...Array.from({ length: 30 }, (_, i) => 60 * MIN + i * 6_000)];
  assert.equal(beforeOnset(44 * MIN, joins, 5.5), true);
  assert.equal(beforeOnset(59.5 * MIN, joins, 5.5), false);
  assert.equal(beforeOnset(61 * MIN, joins, 5.5), false);
  // A slow trickle (one host every 5 minutes): 20 minutes earlier is within its pace.
  const trickle = Array.from({ length: 6 }, (_, i) => 60 * MIN + i * 5 * MIN);
  assert.equal(beforeOnset(40 * MIN, trickle, 5.5), false);
  // Three hosts within 20 s say little about the pace: an escalation 5 minutes earlier may be the first of them.
  assert.equal(beforeOnset(55 * MIN, [60 * MIN, 60 * MIN + 10_000, 60 * MIN + 20_000], 5.5), false);
});
