import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCorrelator } from './correlator.ts';
import { createPopulation, type HostAttributes } from './population.ts';
import { enrichmentScore } from './fisher.ts';
import { evaluateScenario } from './evaluate.ts';
import { DEFAULT_SCENARIOS, simulate, parseScenarioFile } from './simulate.ts';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../contract/errors.ts';

const MIN = 60_000;

function fleet(): ReturnType<typeof createPopulation> {
  const p = createPopulation();
  for (let i = 0; i < 200; i++)
    p.upsert(`h${i}`, { rack: `r${Math.floor(i / 10)}`, switch: `sw${Math.floor(i / 20)}`, kernel: i % 2 ? 'a' : 'b' });
  return p;
}
const temp = (hostId: string, ts: number, id?: string) => ({
  id,
  hostId,
  ts,
  type: 'anomaly.detected',
  severity: 'warning' as const,
  data: { feature: 'temp.cpu' },
});

test('fisher score ranks the most specific fully-shared attribute highest', () => {
  assert.ok(enrichmentScore(5, 5, 10, 200) > enrichmentScore(5, 5, 20, 200));
  assert.equal(enrichmentScore(0, 5, 10, 200), 0);
  assert.ok(Math.abs(enrichmentScore(1, 1, 100, 200) - Math.log10(2)) < 1e-9);
});

test('hosts of one rack overheating together form one rack incident with a plain-language hint', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, newId: () => 'inc-a' });
  const changes = [];
  for (let i = 0; i < 6; i++)
    changes.push(...c.ingest(temp(`h${30 + i}`, i * 20_000), pop.attributes(`h${30 + i}`)!, i * 20_000));
  const opened = changes.find((x) => x.type === 'opened')!;
  assert.equal(opened.incident.key, 'rack');
  assert.equal(opened.incident.value, 'r3');
  assert.match(
    opened.incident.hint.explanation,
    /^\d of \d hosts showing anomaly\.detected:temp have rack=r3 \(100%\), against 10 of 200 hosts in the fleet \(5%\): 20\.0× over-represented/,
  );
  // A later symptom on the same rack joins; a host of another rack does not.
  assert.equal(c.ingest(temp('h39', 3 * MIN), pop.attributes('h39')!, 3 * MIN)[0]!.type, 'updated');
  assert.deepEqual(c.ingest(temp('h150', 3 * MIN), pop.attributes('h150')!, 3 * MIN), []);
  assert.equal(c.explains('h39')?.id, 'inc-a');
  assert.equal(c.explains('h150'), null);
});

test('a host repeating one symptom becomes a host incident after the hold; a one-off expires as noise', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, holdMs: 3 * MIN, windowMs: 30 * MIN });
  c.ingest({ hostId: 'h5', ts: 0, type: 'service.crashloop', severity: 'warning' }, pop.attributes('h5')!, 0);
  c.ingest({ hostId: 'h5', ts: MIN, type: 'service.crashloop', severity: 'warning' }, pop.attributes('h5')!, MIN);
  c.ingest(temp('h77', MIN), pop.attributes('h77')!, MIN);
  assert.deepEqual(c.tick(2 * MIN), []);
  const opened = c.tick(3 * MIN);
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.incident.scope, 'host');
  assert.equal(opened[0]!.incident.value, 'h5');
  assert.match(opened[0]!.incident.hint.explanation, /^Only host h5 shows service\.crashloop/);
  c.tick(40 * MIN);
  assert.equal(c.stats().expiredNoise, 1);
});

test('incidents resolve by themselves once quiet; acknowledge and annotate are recorded', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, resolveAfterMs: 10 * MIN });
  for (let i = 0; i < 6; i++) c.ingest(temp(`h${30 + i}`, 0), pop.attributes(`h${30 + i}`)!, 0);
  const [inc] = c.incidents({ status: 'open' });
  assert.equal(c.acknowledge(inc!.id, 'alice', MIN)[0]!.incident.acknowledged?.by, 'alice');
  assert.equal(
    c.annotate(inc!.id, 'bob', 'CRAC unit 3 tripped', MIN)[0]!.incident.notes[0]!.text,
    'CRAC unit 3 tripped',
  );
  assert.deepEqual(
    c.tick(9 * MIN).filter((x) => x.type === 'resolved'),
    [],
  );
  const resolved = c.tick(10 * MIN).filter((x) => x.type === 'resolved');
  assert.equal(resolved[0]!.incident.id, inc!.id);
  assert.equal(resolved[0]!.incident.resolvedAt, 10 * MIN);
});

test('events from silenced hosts are dropped and counted', () => {
  const pop = fleet();
  const c = createCorrelator({
    population: pop,
    isSuppressed: (_h: string, a: HostAttributes) => (a['rack'] === 'r3' ? 'maint-1' : null),
  });
  for (let i = 0; i < 8; i++) assert.deepEqual(c.ingest(temp(`h${30 + i}`, 0), pop.attributes(`h${30 + i}`)!, 0), []);
  assert.equal(c.stats().suppressed, 8);
  assert.equal(c.incidents().length, 0);
});

test('built-in scenarios: ≥ 90% compression, ≥ 90% correct hints, no merged causes, every fault found', () => {
  const { score, missedCauses } = evaluateScenario(simulate(DEFAULT_SCENARIOS));
  assert.ok(score.compression >= 0.9, `compression ${score.compression}`);
  assert.ok(score.rootCauseAccuracy >= 0.9, `accuracy ${score.rootCauseAccuracy}`);
  assert.equal(score.mergedCauses, 0);
  assert.deepEqual(missedCauses, []);
});

test('the shipped overlapping scenario file separates concurrent rack, rollout, switch, firmware and kernel faults', () => {
  const doc = JSON.parse(readFileSync(new URL('../../bench/scenarios/overlapping.json', import.meta.url), 'utf8'));
  const { score, incidents } = evaluateScenario(simulate(doc));
  assert.equal(score.mergedCauses, 0);
  const groups = incidents
    .filter((i) => !i.hint.startsWith('host='))
    .map((i) => i.hint)
    .sort();
  assert.deepEqual(groups, [
    'inventory.disks.firmware=WD-A2',
    'inventory.os.kernel=6.8.0-45',
    'policyVersion=remediate@9',
    'rack=r12',
    'switch=sw20',
  ]);
});

test('scenario files are validated with every issue named', () => {
  assert.throws(
    () => parseScenarioFile({ hosts: 3, faults: [{ kind: 'rack-cooling' }] }),
    (e: unknown) => e instanceof ValidationError && e.issues.length >= 3,
  );
});

test('restored open incidents take new signals and resolve when quiet', () => {
  const pop = fleet();
  const a = createCorrelator({ population: pop, newId: () => 'inc-r' });
  for (let i = 0; i < 6; i++) a.ingest(temp(`h${30 + i}`, 0), pop.attributes(`h${30 + i}`)!, 0);
  const saved = a.incidents({ status: 'open' });
  const b = createCorrelator({ population: pop, resolveAfterMs: 20 * MIN });
  b.restore(saved, 5 * MIN);
  assert.equal(b.ingest(temp('h38', 6 * MIN), pop.attributes('h38')!, 6 * MIN)[0]!.incident.id, 'inc-r');
  assert.equal(b.tick(26 * MIN).filter((x) => x.type === 'resolved')[0]!.incident.id, 'inc-r');
});

test('a second restore replaces the open copies: an incident resolved by another replica is not resolved again', () => {
  const pop = fleet();
  const a = createCorrelator({ population: pop, newId: () => 'inc-s' });
  for (let i = 0; i < 6; i++) a.ingest(temp(`h${30 + i}`, 0), pop.attributes(`h${30 + i}`)!, 0);
  const standby = createCorrelator({ population: pop, resolveAfterMs: 20 * MIN });
  standby.restore(a.incidents({ status: 'open' }), 1 * MIN); // at start, as a standby replica
  // the leader resolves it meanwhile; the standby takes over and restores what the store holds now: nothing open
  standby.restore([], 30 * MIN);
  assert.deepEqual(standby.tick(31 * MIN), []);
  assert.deepEqual(standby.incidents({ status: 'open' }), []);
});

test('a cause half the fleet holds is named (the lift rule could never pass it) beside a rack fault of the same symptom', () => {
  const pop = fleet(); // kernel a on the odd hosts (100 of 200)
  const c = createCorrelator({ population: pop });
  // rack r3 (h30..h39) overheats at once
  for (let i = 30; i < 40; i++) c.ingest(temp(`h${i}`, 0), pop.attributes(`h${i}`)!, 0);
  // from 6 min on, kernel-a hosts elsewhere start the same alert one after another, in no particular rack order
  const kernelHosts = Array.from({ length: 100 }, (_, j) => (2 * j * 37 + 1) % 200).filter((i) => i < 30 || i > 39);
  kernelHosts.slice(0, 40).forEach((i, j) => {
    const t = 6 * MIN + j * 10_000;
    c.ingest(temp(`h${i}`, t, `k${i}`), pop.attributes(`h${i}`)!, t);
  });
  const open = c.incidents({ status: 'open' }).filter((i) => i.scope === 'group');
  const kernel = open.find((i) => i.key === 'kernel');
  assert.equal(kernel?.value, 'a');
  assert.ok(kernel!.hosts.length >= 30);
  assert.match(
    kernel!.hint.explanation,
    /of the hosts with it are affected against \d+% of those without \(risk ratio/,
  );
  const rack = open.find((i) => i.key === 'rack')!;
  assert.equal(rack.value, 'r3');
  assert.deepEqual(rack.hosts, Array.from({ length: 10 }, (_, j) => `h${30 + j}`).sort());
});

test("a host's incident takes its own symptom and escalations at once; another symptom waits out the hold", () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, newId: () => 'inc-h', holdMs: 3 * MIN });
  const at = pop.attributes('h5')!;
  const crash = (ts: number) => ({ hostId: 'h5', ts, type: 'service.crashloop', severity: 'warning' as const });
  c.ingest(crash(0), at, 0);
  c.ingest(crash(MIN), at, MIN);
  assert.equal(c.tick(4 * MIN)[0]?.type, 'opened');
  assert.equal(c.ingest(crash(5 * MIN), at, 5 * MIN)[0]?.type, 'updated');
  // A new symptom may belong to a cause of many hosts: pending until the hold, then the host's incident takes it.
  const disk = { hostId: 'h5', ts: 6 * MIN, type: 'disk.failure-predicted', severity: 'warning' as const };
  assert.deepEqual(c.ingest(disk, at, 6 * MIN), []);
  assert.equal(c.stats().pending, 1);
  c.ingest({ ...disk, ts: 7 * MIN }, at, 7 * MIN);
  assert.equal(c.tick(10 * MIN)[0]?.type, 'updated');
  assert.equal(c.stats().pending, 0);
  const esc = { hostId: 'h5', ts: 11 * MIN, type: 'heal.escalated', severity: 'critical' as const, data: {} };
  assert.equal(c.ingest(esc, at, 11 * MIN)[0]?.type, 'updated');
});

// Seeds of the shipped scenarios that used to merge a cause into another's incident (docs/scenarios.md, "Measured").
for (const [file, seed, why] of [
  [
    'common-kernel-pdu.json',
    19,
    "a blip on a rack host 11 minutes before the rack's 2-minute onset stretched it: a kernel host's alert 5 minutes after the onset joined the rack",
  ],
  [
    'overlap-time-place.json',
    17,
    "a BIOS host's crash loop in the switch's incident outlasted the switch's crash loops by 7 minutes and stayed there",
  ],
  [
    'overlap-time-place.json',
    9,
    "a BIOS-only host's crash loop began in the switch's onset; when it outlasted the switch only its later crashes left (now all move, reattribution.ts)",
  ],
  [
    'overlap-time-place.json',
    8,
    "the kernel's group opened first and took the alerts of rack r13's hosts running the kernel (now moved back in hindsight, reattribution.ts)",
  ],
  [
    'overlap-time-place.json',
    13,
    "a host with both the switch and the BIOS kept crashing after the switch's other hosts stopped, and stayed with the switch",
  ],
] as const)
  test(`${file} seed ${seed}: no merged cause (${why})`, () => {
    const doc = JSON.parse(readFileSync(new URL(`../../bench/scenarios/${file}`, import.meta.url), 'utf8'));
    const { score, incidents } = evaluateScenario(simulate({ ...doc, seed }));
    const merged = incidents.filter((i) => i.otherCauses > 0).map((i) => `${i.hint} ${JSON.stringify(i.causes)}`);
    // overlap-time-place 13 also holds one alert of the kernel's on a rack host during the rack's onset, which no
    // correlator can tell from the rack's (docs/scenarios.md): only the switch's incident must be clean.
    assert.deepEqual(
      merged.filter((m) => !m.startsWith('rack=r13')),
      [],
    );
    assert.ok(score.rootCauseAccuracy >= 0.9, `accuracy ${score.rootCauseAccuracy}`);
  });
