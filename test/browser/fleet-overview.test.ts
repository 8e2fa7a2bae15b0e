/**
 * The fleet overview tells the truth, in Debian's chromium via playwright-core, against the real demo (control plane,
 * real agents over MQTT, real inference, healer and correlator): a web host with nginx stopped is not Healthy; an
 * anomaly alert (`anomaly.started` from the agent) puts a host in the "in an anomaly alert" filter until its
 * `anomaly.ended`; a host in a critical incident reads Critical while a host in a warning incident reads Warning; the
 * columns sort; the "Online" and "Hosts in open incidents" tiles each have a Status filter showing exactly the hosts
 * they count (a stopped agent leaves both the tile and the filter). Skipped, with the reason, when /usr/bin/chromium is
 * missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import type { DemoHost } from '../../control-plane/compose/demo-fleet.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import { launchChromium, skipWithoutChromium as skip, startSmallDemo } from './browser-support.ts';

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const AGENTS = 6;
const WAIT = { timeout: 60_000 };

let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  demo = await startSmallDemo(AGENTS, 'homeostat-overview-', {
    cycleSeconds: 0.5,
    // a short hold so single-host incidents open within the test
    fleet: { tickMs: 500, incidents: { correlator: { minScore: 3, holdMs: 1_000 } } },
  });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  if (demo) rmSync(demo.dataDir, { recursive: true, force: true });
});

const row = (h: DemoHost) => page.locator(`tr[data-host="${h.hostname}"]`);
async function waitStatus(h: DemoHost, re: RegExp): Promise<void> {
  await page.waitForFunction(
    ([name, src]) =>
      new RegExp(src as string).test(
        document.querySelector(`tr[data-host="${name}"]`)?.querySelector('td')?.textContent ?? '',
      ),
    [h.hostname, re.source],
    WAIT,
  );
}
const names = () => page.locator('tbody tr th').allTextContents();

/**
 * Picks Status filter `value` (kept in the URL) and waits until the table shows exactly as many hosts as tile `tile`
 * counts (and `expected`, when given); returns the hostnames shown.
 */
async function filterShowsTile(value: string, tile: string, expected?: number): Promise<string[]> {
  await page.getByLabel('Status').selectOption(value);
  await page.waitForFunction((v) => new URLSearchParams(location.search).get('health') === v, value, WAIT);
  const shown = await page.waitForFunction(
    ([id, want]) => {
      const count = Number(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? Number.NaN);
      const rows = document.querySelectorAll('tbody tr[data-host]').length;
      const line = document.querySelector('.filters [aria-live]')?.textContent ?? '';
      return rows === count && (want === null || count === want) && line.startsWith(`${rows} of `) ? [count] : null;
    },
    [tile, expected ?? null] as const,
    WAIT,
  );
  const [count] = (await shown.jsonValue()) as [number];
  const hosts = await names();
  assert.equal(hosts.length, count, `the "${value}" filter shows what the ${tile} tile counts`);
  return hosts.map((h) => h.trim());
}

test('the overview: a stopped service is not Healthy, alerts fill the anomaly filter, critical differs from warning, columns sort', {
  skip,
}, async () => {
  const [web, alerting, critical] = [demo.fleet.hosts[0]!, demo.fleet.hosts[1]!, demo.fleet.hosts[2]!];
  assert.equal(web.labels.role, 'web');
  await page.goto(demo.httpUrl + '/');
  await page.getByLabel('Username').fill(demo.admin.username);
  await page.getByLabel('Password').fill(demo.admin.password ?? '');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="host-count"]')?.textContent === String(n),
    AGENTS,
    WAIT,
  );

  // The Online tile has its filter: every host, all of them online.
  assert.equal((await filterShowsTile('online', 'online-count', AGENTS)).length, AGENTS);
  await page.getByLabel('Status').selectOption('');

  // nginx stops on a web host: its samples say services.unhealthy = 1 and the row says why it is not Healthy.
  demo.fleet.stopService(web, 'nginx');
  await waitStatus(web, /^Warning.*1 service unhealthy/);

  // A sustained anomaly alert on a second host (what agent/infer/alert-state.ts sends), a critical escalation on a third.
  const startedAt = Date.now() - 20_000;
  alerting.agent.emit(
    eventBody('anomaly.started', {
      severity: 'warning',
      message: 'anomaly alert started: score 0.93',
      data: {
        model: 'anomaly-multi@4.0.0',
        peak: 0.93,
        score: 0.9,
        startedAt,
        top: [{ feature: 'cpu.util_pct', contribution: 0.8, ratio: 3 }],
        enter: 0.5,
        exit: 0.35,
      },
    }),
  );
  critical.agent.emit(
    eventBody('heal.escalated', {
      severity: 'critical',
      message: 'restart-nginx escalated after 3 attempts',
      data: { policy: 'restart-nginx' },
    }),
  );
  await page.getByLabel('Status').selectOption('anomalous');
  await page.waitForFunction(
    (name) => {
      const rows = [...document.querySelectorAll('tbody tr')];
      return rows.length === 1 && rows[0]!.getAttribute('data-host') === name;
    },
    alerting.hostname,
    WAIT,
  );
  assert.equal(await page.getByTestId('alert-count').textContent(), '1', 'the tile counts what the filter finds');
  assert.match((await row(alerting).locator('td').nth(3).textContent()) ?? '', /^on, since/);
  await page.getByLabel('Status').selectOption('');

  // Both become single-host incidents: the escalation's is critical, the alert's a warning.
  await waitStatus(critical, /^Critical.*in 1 open incident \(critical\)/);
  await waitStatus(alerting, /^Warning.*in 1 open incident \(warning\).*anomaly alert on/);
  assert.equal(await page.getByTestId('critical-count').textContent(), '1');

  // The "Hosts in open incidents" tile has its filter: it shows both hosts in incidents, and only what the tile counts.
  const inIncidents = await filterShowsTile('in-incident', 'hosts-in-incidents');
  for (const h of [critical, alerting]) assert.ok(inIncidents.includes(h.hostname), `${h.hostname} in ${inIncidents}`);
  await page.getByLabel('Status').selectOption('');
  await page.getByText(`${AGENTS} of ${AGENTS} hosts shown`).waitFor(WAIT);
  await page.screenshot({ path: join(SHOTS, 'fleet-overview-truthful.png'), fullPage: true });

  // Sorting: by status (worst first), by name (A→Z), by peak score (highest first), aria-sort on the header.
  await page.getByRole('button', { name: 'Status' }).click();
  await page.waitForFunction(() =>
    document.querySelector('th[aria-sort="descending"]')?.textContent?.includes('Status'),
  );
  const statuses = await page.locator('tbody tr td:first-child').allTextContents();
  const rank = (s: string) => (/^Offline/.test(s) ? 3 : /^Critical/.test(s) ? 2 : /^Warning/.test(s) ? 1 : 0);
  assert.deepEqual(
    statuses.map(rank),
    [...statuses.map(rank)].sort((a, b) => b - a),
    statuses.join(' | '),
  );
  assert.equal((await names())[0], critical.hostname);
  await page.getByRole('button', { name: 'Host' }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]')?.textContent?.includes('Host'));
  const byName = await names();
  assert.deepEqual(
    byName,
    [...byName].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
  );
  await page.getByRole('button', { name: 'Peak' }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]')?.textContent?.includes('Peak'));
  const peaks = (await page.locator('tbody tr td:nth-child(4)').allTextContents()).map((t) =>
    t === '—' ? -1 : Number(t),
  );
  assert.deepEqual(
    peaks,
    [...peaks].sort((a, b) => b - a),
  );
  assert.match(page.url(), /sort=peak&dir=desc/);

  // The alert ends: the host leaves the anomaly filter and, its incident resolved as cleared, reads Healthy.
  alerting.agent.emit(
    eventBody('anomaly.ended', {
      severity: 'info',
      message: 'anomaly alert ended',
      data: {
        model: 'anomaly-multi@4.0.0',
        peak: 0.93,
        startedAt,
        endedAt: Date.now(),
        durationMs: Date.now() - startedAt,
        top: [],
      },
    }),
  );
  await waitStatus(alerting, /^Healthy/);
  await page.getByLabel('Status').selectOption('anomalous');
  await page.getByText(`0 of ${AGENTS} hosts shown`).waitFor(WAIT);
  assert.equal(await row(web).count(), 0, 'the stopped-service host is not in the anomaly filter');
  const resolved = await fetch(`${demo.httpUrl}/api/incidents?status=resolved`, {
    headers: { authorization: `Bearer ${demo.admin.apiToken}` },
  }).then(
    (r) => r.json() as Promise<{ incidents: { id: string; hosts: string[]; resolution?: { reason: string } }[] }>,
  );
  const cleared = resolved.incidents.filter((i) => i.hosts.includes(alerting.agentId));
  assert.deepEqual(
    cleared.map((i) => i.resolution?.reason),
    ['cleared'],
  );
  // …and the incident's page says it resolved itself, and why.
  await page.goto(`${demo.httpUrl}/incidents/${cleared[0]!.id}`);
  await page.getByTestId('resolution').getByText('automatically: every alert it held cleared').waitFor(WAIT);
  await page.goto(`${demo.httpUrl}/`);

  // An agent stops: it goes offline, and the Online tile and filter both leave it out.
  const stopped = demo.fleet.hosts[3]!;
  await stopped.agent.stop();
  const online = await filterShowsTile('online', 'online-count', AGENTS - 1);
  assert.ok(!online.includes(stopped.hostname), `${stopped.hostname} is not online: ${online}`);
  await page.getByLabel('Status').selectOption('offline');
  await page.getByText(`1 of ${AGENTS} hosts shown`).waitFor(WAIT);
  assert.deepEqual(await names(), [stopped.hostname]);
});
