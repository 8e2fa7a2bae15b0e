import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCorrelator } from './correlator.ts';
import type { CorrelatorEvent, Incident } from './incident.ts';
import { createPopulation } from './population.ts';

const MIN = 60_000;

/** 200 hosts: rack r<i/10>, switch sw<i/20>, kernel a on the odd hosts (100), b on the even ones. */
function fleet() {
  const p = createPopulation();
  for (let i = 0; i < 200; i++)
    p.upsert(`h${i}`, { rack: `r${Math.floor(i / 10)}`, switch: `sw${Math.floor(i / 20)}`, kernel: i % 2 ? 'a' : 'b' });
  return p;
}

/** Replays `events` (any order) up to `until` through a correlator ticking every 30 s. */
function replay(events: CorrelatorEvent[], until: number) {
  const pop = fleet();
  const c = createCorrelator({ population: pop });
  let tick = 30_000;
  for (const e of events.filter((x) => x.ts <= until).sort((x, y) => x.ts - y.ts)) {
    for (; tick <= e.ts; tick += 30_000) c.tick(tick);
    c.ingest(e, pop.attributes(e.hostId)!, e.ts);
  }
  for (; tick <= until; tick += 30_000) c.tick(tick);
  return c;
}

const group = (incidents: Incident[], key: string, value: string) =>
  incidents.find((i) => i.scope === 'group' && i.key === key && i.value === value);

test('a more specific cause opening later takes back, in hindsight, the hosts holding both values that a common cause took', () => {
  const alert = (hostId: string, ts: number): CorrelatorEvent => ({
    id: `${hostId}@${ts}`,
    hostId,
    ts,
    type: 'anomaly.started',
    severity: 'warning',
    data: { top: [{ feature: 'temp.cpu' }] },
  });
  // kernel a (half the fleet) heats hosts outside rack r3, in no rack order, one every 10 s for 15 minutes: its
  // group opens at minute 3
  const kernelHosts = Array.from({ length: 100 }, (_, j) => (2 * j * 37 + 1) % 200).filter((i) => i < 30 || i > 39);
  const events = kernelHosts.slice(0, 90).map((i, j) => alert(`h${i}`, j * 10_000));
  // rack r3 (h30..h39) loses cooling at minute 5: within a minute all its hosts alert; the kernel-a ones go to the
  // kernel's group (there is no rack group yet), the kernel-b ones wait until the rack's group opens on them
  for (const [j, i] of [31, 30, 33, 32, 35, 34, 37, 36, 39, 38].entries())
    events.push(alert(`h${i}`, 5 * MIN + j * 6_000));
  const c = replay(events, 5 * MIN + 20_000);
  const before = group(c.incidents({ status: 'open' }), 'kernel', 'a')!;
  assert.ok(
    ['h31', 'h33'].every((h) => before.hosts.includes(h)),
    'the kernel took the rack hosts running it',
  );

  const after = replay(events, 8 * MIN).incidents({ status: 'open' });
  const rack = group(after, 'rack', 'r3')!;
  const kernel = group(after, 'kernel', 'a')!;
  assert.deepEqual(rack.hosts, Array.from({ length: 10 }, (_, j) => `h${30 + j}`).sort());
  assert.ok(
    kernel.hosts.every((h) => !/^h3\d$/.test(h)),
    `kernel still holds ${kernel.hosts.filter((h) => /^h3\d$/.test(h))}`,
  );
  // each alert is in one incident, and the counts follow the hosts
  assert.equal(rack.eventCount, 10);
  assert.ok(
    ['h31@300000', 'h37@336000'].every((id) => rack.eventIds.includes(id) && !kernel.eventIds.includes(id)),
    JSON.stringify(rack.eventIds),
  );
  assert.equal(kernel.eventCount, kernel.hosts.length);
  // the move is on both timelines, naming the hosts and the other incident
  assert.match(
    rack.notes.map((n) => n.text).join('\n'),
    new RegExp(`hosts? \\(?h31[,)]? .*anomaly\\.started:temp moved here from ${kernel.id} \\(kernel=a\\)`),
  );
  assert.ok(
    kernel.notes.some((n) => n.by === 'correlator' && n.text.includes(`moved to ${rack.id} (rack=r3)`)),
    JSON.stringify(kernel.notes),
  );
  // the alerts the rack now holds keep it open until they end
  assert.ok(
    rack.conditions?.some((x) => x.hostId === 'h31' && x.endedAt === null),
    JSON.stringify(rack.conditions),
  );
});

test("a host holding both values whose crash loop began in the switch's onset ends under the kernel that outlasts it, with its earlier crashes", () => {
  const crash = (hostId: string, ts: number): CorrelatorEvent => ({
    id: `${hostId}@${ts}`,
    hostId,
    ts,
    type: 'service.crashloop',
    severity: 'warning',
  });
  const events: CorrelatorEvent[] = [];
  // switch sw1 (h20..h39) crash-loops every 4 min to minute 20, its hosts starting over two minutes, on all but h21
  for (let i = 20; i < 40; i++)
    if (i !== 21) for (let t = ((i * 7) % 20) * 6_000; t < 20 * MIN; t += 4 * MIN) events.push(crash(`h${i}`, t));
  // kernel a crash-loops every 5 min until minute 40 on 40 hosts outside sw1, starting over 10 minutes, and on h21
  // (kernel a, on sw1 but spared by the switch), whose first crash comes 40 s in, in the switch's onset
  const kernel = Array.from({ length: 100 }, (_, j) => (2 * j * 37 + 1) % 200).filter((i) => i < 20 || i > 39);
  kernel.slice(0, 40).forEach((i, j) => {
    for (let t = 30_000 + j * 15_000; t < 40 * MIN; t += 5 * MIN) events.push(crash(`h${i}`, t));
  });
  for (let t = 40_000; t < 40 * MIN; t += 5 * MIN) events.push(crash('h21', t));

  const early = replay(events, 10 * MIN).incidents({ status: 'open' });
  assert.ok(group(early, 'switch', 'sw1')!.hosts.includes('h21'), "h21's first crashes go to the switch's onset");

  const c = replay(events, 30 * MIN);
  const open = c.incidents({ status: 'open' });
  const sw = group(open, 'switch', 'sw1')!;
  const k = group(open, 'kernel', 'a')!;
  assert.ok(!sw.hosts.includes('h21'), 'h21 left the switch');
  assert.ok(k.hosts.includes('h21'), 'h21 is with the kernel');
  const h21 = events.filter((e) => e.hostId === 'h21' && e.ts <= 30 * MIN).map((e) => e.id!);
  assert.deepEqual(
    h21.filter((id) => !k.eventIds.includes(id)),
    [],
  );
  assert.deepEqual(
    sw.eventIds.filter((id) => id.startsWith('h21@')),
    [],
  );
  assert.match(
    k.notes.map((n) => n.text).join('\n'),
    new RegExp(
      `host h21: service\\.crashloop moved here from ${sw.id} \\(switch=sw1\\): it went on after switch=sw1 stopped`,
    ),
  );
  assert.ok(
    sw.notes.some((n) => n.text.startsWith(`host h21: service.crashloop moved to ${k.id}`)),
    JSON.stringify(sw.notes),
  );
});

test('a host that both causes hit (its crashes twice as frequent) keeps its switch-era crashes with the switch', () => {
  const crash = (hostId: string, ts: number): CorrelatorEvent => ({
    id: `${hostId}@${ts}`,
    hostId,
    ts,
    type: 'service.crashloop',
    severity: 'warning',
  });
  const events: CorrelatorEvent[] = [];
  for (let i = 20; i < 40; i++)
    for (let t = ((i * 7) % 20) * 6_000; t < 20 * MIN; t += 4 * MIN) events.push(crash(`h${i}`, t));
  const kernel = Array.from({ length: 100 }, (_, j) => (2 * j * 37 + 1) % 200).filter((i) => i < 20 || i > 39);
  kernel.slice(0, 40).forEach((i, j) => {
    for (let t = 30_000 + j * 15_000; t < 40 * MIN; t += 5 * MIN) events.push(crash(`h${i}`, t));
  });
  // h21: the switch's crash loop above, and the kernel's from minute 2 on
  for (let t = 2 * MIN; t < 40 * MIN; t += 5 * MIN) events.push(crash('h21', t));
  const open = replay(events, 30 * MIN).incidents({ status: 'open' });
  const sw = group(open, 'switch', 'sw1')!;
  assert.ok(sw.eventIds.includes('h21@42000'), "the switch keeps h21's first crash");
  assert.ok(sw.hosts.includes('h21'), 'h21 stays with the switch');
});
