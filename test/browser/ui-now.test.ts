/**
 * Issue 17 items 1, 2 and issue 14 item 8 in Debian's chromium against a real demo (10 simulated hosts, the real
 * agents' models and the real correlator): the overview's "now" strip lists the open incident a rack heat wave opens
 * and the fleet's latest events with links; the host page explains the last real detection (the newest
 * anomaly.started) and its link marks that moment on the chart with the alert episode shaded; the range picker reads
 * stored samples over 6 hours; every demo host shows a failure risk for each of its two disks (a worn one higher)
 * and its agent version.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../control-plane/compose/demo-command.ts';
import { diskWear } from '../../control-plane/compose/demo-smart.ts';
import {
  adminApi,
  ensureWebBuilt,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
} from './browser-support.ts';

let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  ensureWebBuilt();
  demo = await startDemo(
    {
      agents: 10,
      dataDir: mkdtempSync(join(tmpdir(), 'homeostat-ui-now-')),
      httpPort: 0,
      mqttPort: 0,
      wsPort: 0,
      cycleSeconds: 0.5,
      schedule: false,
      fleet: { tickMs: 1000, incidents: { correlator: { minScore: 3 } } },
    },
    pino({ level: 'silent' }),
  );
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

test('now strip, last real detection with its chart link and bands, range picker', { skip }, async () => {
  const rack = demo.fleet.hosts[0]!.labels.rack!;
  const hot = demo.fleet.heatRack(rack, 180_000);
  await page.goto(`${demo.httpUrl}/`);
  const strip = page.getByTestId('now-strip');
  // The open incident of the heat wave, linked; the latest events link to a host's charts at their moment.
  const incident = strip.getByTestId('now-incidents').locator('a[href^="/incidents/"]');
  await incident.first().waitFor({ timeout: 90_000 });
  assert.match((await strip.getByTestId('now-incidents').locator('.now-count').textContent()) ?? '', /^[1-9]/);
  const event = strip.getByTestId('now-events').locator('a[href*="?range=1h&at="]');
  await event.first().waitFor({ timeout: 30_000 });
  assert.equal(await strip.getByTestId('now-approvals').locator('.now-count').textContent(), '0');
  assert.equal(await strip.getByTestId('now-rollouts').locator('.now-count').textContent(), '0');

  // A hot host's anomaly alert: the host page explains it (not the newest sample) and links to that moment.
  let started: { hostId: string; ts: number } | null = null;
  const deadline = Date.now() + 120_000;
  while (!started && Date.now() < deadline) {
    const { events } = await adminApi(demo, 'GET', '/api/events?types=anomaly.started&limit=50');
    started = events.find((e: { hostId: string }) => hot.some((h) => h.agentId === e.hostId)) ?? null;
    if (!started) await page.waitForTimeout(1000);
  }
  assert.ok(started, 'a hot host raised an anomaly alert');
  await page.goto(`${demo.httpUrl}/hosts/${started.hostId}`);
  const why = page.getByTestId('last-detection');
  await why.waitFor({ timeout: 30_000 });
  await why.getByRole('link', { name: 'Show on the chart' }).click();
  await page.waitForURL(/range=1h&at=\d+/);
  const anomalyChart = page.locator('figure.chart').first();
  await anomalyChart.locator('canvas').waitFor();
  const at = Number(new URL(page.url()).searchParams.get('at'));
  assert.ok(Math.abs(Number(await anomalyChart.getAttribute('data-marker')) - at / 1000) < 1);
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
});
