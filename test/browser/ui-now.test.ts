/**
 * Issue 17 items 1, 2, 4, 7 and issue 14 item 8 in Debian's chromium against a real demo (10 simulated hosts, the real
 * agents' models, outbox, ingest and correlator): every demo host shows a failure risk for each of its two disks (a
 * worn one higher) and its agent version; a host's agent reports an anomaly alert and an escalation (through its real
 * outbox, as its alert state machine and healer would): the overview's "now" strip lists the incident that opens and
 * the fleet's latest events with links; the host page explains that detection (not the newest sample) and its link
 * marks the moment on the chart with the alert episode shaded; the range picker reads 6 hours of stored samples;
 * the incident is assigned and unassigned and links to its host's charts at its time; an admin deletes a user.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import { diskWear } from '../../control-plane/compose/demo-smart.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import {
  adminApi,
  createUser,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
  startSmallDemo,
} from './browser-support.ts';

let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(10, 'homeostat-ui-now-', {
    cycleSeconds: 0.5,
    // A host incident opens 5 s after its first signal (default 3 min) so the test need not wait.
    fleet: { tickMs: 1000, incidents: { correlator: { minScore: 3, holdMs: 5_000 } } },
  });
  browser = await launchChromium();
  page = (await signedInPage(browser, demo, demo.admin)).page;
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('host page: a risk for each disk (the worn one higher) and the agent version', { skip }, async () => {
  const worn = demo.fleet.hosts.find((h) => diskWear(h.index) === 2)!;
  await page.goto(`${demo.httpUrl}/hosts/${worn.agentId}`);
  const rows = page.locator('section[aria-labelledby="disks-title"] tbody tr');
  await rows.nth(1).waitFor({ timeout: 90_000 });
  const risk = async (dev: string) =>
    Number.parseFloat((await rows.filter({ hasText: dev }).locator('td').first().textContent()) ?? 'NaN');
  const [ssd, hdd] = [await risk('sda'), await risk('sdb')];
  assert.ok(Number.isFinite(ssd) && Number.isFinite(hdd), `risks ${ssd} ${hdd}`);
  assert.ok(hdd > ssd, `the worn disk's risk ${hdd}% is above the healthy one's ${ssd}%`);
  const version = await page.locator('dt', { hasText: 'Agent' }).locator('xpath=following-sibling::dd').textContent();
  assert.match(version ?? '', /\d+\.\d+/);
});

test('now strip, last real detection with its chart link and bands, range picker, incident assignee', {
  skip,
}, async () => {
  const host = demo.fleet.hosts[1]!;
  const startedAt = Date.now() - 3_000;
  host.agent.emit(
    eventBody('anomaly.started', {
      severity: 'warning',
      message: 'anomaly alert started',
      data: {
        model: 'anomaly-multi',
        peak: 0.93,
        score: 0.81,
        startedAt,
        top: [{ feature: 'cpu.temp_package_c', contribution: 0.7, ratio: 1.6 }],
        enter: 0.5,
        exit: 0.3,
      },
    }),
  );
  host.agent.emit(
    eventBody('heal.escalated', { severity: 'critical', message: 'fan boost escalated', data: { policy: 'fans' } }),
  );

  await page.goto(`${demo.httpUrl}/`);
  const strip = page.getByTestId('now-strip');
  // The incident the escalation opens, linked; the latest events link to a host's charts at their moment.
  const incident = strip.getByTestId('now-incidents').locator('a[href^="/incidents/"]');
  await incident.first().waitFor({ timeout: 90_000 });
  assert.match((await strip.getByTestId('now-incidents').locator('.now-count').textContent()) ?? '', /^[1-9]/);
  const event = strip.getByTestId('now-events').locator(`a[href^="/hosts/${host.agentId}?range=1h&at="]`);
  await event.first().waitFor({ timeout: 30_000 });
  assert.match((await event.first().textContent()) ?? '', new RegExp(host.hostname));
  assert.equal(await strip.getByTestId('now-approvals').locator('.now-count').textContent(), '0');
  assert.equal(await strip.getByTestId('now-rollouts').locator('.now-count').textContent(), '0');

  // The host page explains the alert (not the newest sample) and links to its moment on the chart.
  await page.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  const why = page.getByTestId('last-detection');
  await why.waitFor({ timeout: 30_000 });
  assert.match((await why.textContent()) ?? '', /0\.93/);
  await page.locator('section[aria-labelledby="explain-title"] code', { hasText: 'cpu.temp_package_c' }).waitFor();
  await why.getByRole('link', { name: 'Show on the chart' }).click();
  await page.waitForURL(new RegExp(`range=1h&at=${startedAt}`));
  const anomalyChart = page.locator('figure.chart').first();
  await anomalyChart.locator('canvas').waitFor();
  assert.equal(Number(await anomalyChart.getAttribute('data-marker')), startedAt / 1000);
  await page.waitForFunction(() => Number(document.querySelector('figure.chart')?.getAttribute('data-bands')) >= 1, {
    timeout: 30_000,
  });
  assert.ok(Number(await anomalyChart.getAttribute('data-points')) > 0);
  await page.getByRole('link', { name: 'Back to live' }).waitFor();

  // Range picker: 6 hours of stored samples, downsampled by the API.
  await page.getByLabel('Range').selectOption('6h');
  await page.getByRole('heading', { name: /6 h/ }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) > 0);
  assert.ok(Number(await anomalyChart.getAttribute('data-points')) <= 1001);

  // The incident: assigned to me, shown in the list, cleared; its host links to the charts at its time.
  const incidents = (await adminApi(demo, 'GET', '/api/incidents?status=open')).incidents as {
    id: string;
    hosts: string[];
  }[];
  const mine = incidents.find((i) => i.hosts.includes(host.agentId))!;
  assert.ok(mine, 'an incident holds the host');
  await page.goto(`${demo.httpUrl}/incidents/${mine.id}`);
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await page.getByTestId('incident-assignee').getByText(demo.admin.username, { exact: true }).waitFor();
  assert.equal((await adminApi(demo, 'GET', `/api/incidents/${mine.id}`)).assignee.name, demo.admin.username);
  const chartLink = page.getByRole('link', { name: `Charts of ${host.hostname} at the incident's time` });
  assert.match((await chartLink.getAttribute('href')) ?? '', new RegExp(`^/hosts/${host.agentId}\\?range=1h&at=\\d+$`));
  await page.goto(`${demo.httpUrl}/incidents`);
  await page.getByLabel('Assignee').selectOption('me');
  await page
    .locator(`tr[data-incident="${mine.id}"] [data-testid="assignee"]`)
    .getByText(demo.admin.username)
    .waitFor();
  await page.goto(`${demo.httpUrl}/incidents/${mine.id}`);
  await page.getByRole('button', { name: 'Clear assignee' }).click();
  await page.getByTestId('incident-assignee').getByText('nobody').waitFor();
  // Resolved by hand: the page says how and by whom (an automatic one says "automatically").
  await page.getByRole('button', { name: 'Resolve', exact: true }).click();
  await page.getByTestId('resolution').getByText(`by hand by ${demo.admin.username}`).waitFor();
  await chartLink.click();
  await page.waitForURL(/range=1h&at=\d+/);
  await page.locator('figure.chart[data-marker]').first().waitFor();
});

test('users: an admin deletes another user after a confirmation; not their own account', { skip }, async () => {
  await createUser(demo, 'temp-op', 'operator');
  await page.goto(`${demo.httpUrl}/users`);
  const row = page.locator('tr', { hasText: 'temp-op' });
  await row.getByRole('button', { name: 'Delete temp-op' }).click(); // confirm() accepted by signedInPage
  await row.waitFor({ state: 'detached' });
  const users = (await adminApi(demo, 'GET', '/api/users')).users as { username: string }[];
  assert.ok(!users.some((u) => u.username === 'temp-op'));
  assert.equal(await page.getByRole('button', { name: `Delete ${demo.admin.username}` }).count(), 0);
});
