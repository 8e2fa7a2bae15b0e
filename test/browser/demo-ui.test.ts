/**
 * Browser tests of the web UI against the real control plane and demo agents (real enroll, MQTT link, ingest), on
 * ephemeral 127.0.0.1 ports with a temp data dir, in Debian's chromium via playwright-core. Screenshots of each page go
 * to test-artifacts/screenshots/. Skipped, with the reason, when /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../control-plane/cli/demo-command.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const AGENTS = 8;

let demo: Demo;
let browser: Browser;
let page: Page;
let dataDir: string;

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'homeostat-browser-'));
  mkdirSync(SHOTS, { recursive: true });
  demo = await startDemo({ agents: AGENTS, dataDir, httpPort: 0, mqttPort: 0, wsPort: 0, cycleSeconds: 0.5, schedule: false }, pino({ level: 'silent' }));
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

test('a wrong token is refused in words; the admin token signs in and shows every demo host', { skip }, async () => {
  await page.goto(demo.httpUrl + '/');
  await page.getByLabel('Or an API token').fill('hat_nope.nope');
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.getByRole('alert').waitFor();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /Sign-in failed: .*API token is not valid/);
  await shot('login-error');

  await page.getByLabel('Or an API token').fill(demo.admin.apiToken);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
  await page.waitForFunction((n) => document.querySelector('[data-testid="host-count"]')?.textContent === String(n), AGENTS, { timeout: 15_000 });
  for (const h of demo.fleet.hosts) assert.equal(await page.locator(`tr[data-host="${h.hostname}"]`).count(), 1, h.hostname);
  assert.match((await page.getByTestId('health-map').getAttribute('aria-label')) ?? '', new RegExp(`Health map of ${AGENTS} hosts`));
  await page.getByText('Live', { exact: true }).waitFor();
  await shot('fleet');
});

test('filtering by label narrows the fleet to that rack', { skip }, async () => {
  const rack = demo.fleet.hosts[0]!.labels.rack!;
  const inRack = demo.fleet.hosts.filter((h) => h.labels.rack === rack).length;
  await page.getByLabel('Label').selectOption(`rack=${rack}`);
  await page.getByText(`${inRack} of ${AGENTS} hosts shown`).waitFor();
  assert.equal(await page.locator('tbody tr').count(), inRack);
  await page.getByLabel('Label').selectOption('');
});

test('a host page shows its inventory and live charts that grow as samples arrive', { skip }, async () => {
  const host = demo.fleet.hosts[1]!;
  await page.locator(`tr[data-host="${host.hostname}"] a`).click();
  await page.getByRole('heading', { name: host.hostname, level: 1 }).waitFor();
  await page.getByText('Debian GNU/Linux 12 (simulated)').waitFor();
  const chart = page.locator('figure.chart', { hasText: 'Anomaly score' });
  await chart.waitFor();
  const before = Number(await chart.getAttribute('data-points'));
  await page.waitForFunction((n) => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) >= n + 3, before, { timeout: 15_000 });
  assert.ok(await page.locator('figure.chart', { hasText: 'cpu.temp_package_c' }).count() === 1, 'a chart of the replayed CPU temperature');
  await shot('host');
});

test('the policy editor flags a schema error inline and accepts the fixed document', { skip }, async () => {
  await page.goto(demo.httpUrl + '/policies/web-services');
  const editor = page.locator('.cm-content');
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 10s }\n    do:\n      - type: restart-servce\n        service: nginx\n');
  const summary = page.getByTestId('lint-summary');
  await page.waitForFunction(() => /Line 5/.test(document.querySelector('[data-testid="lint-summary"]')?.textContent ?? ''));
  assert.match((await summary.textContent()) ?? '', /Line 5: policies\.0\.do\.0/);
  await page.locator('.cm-lintRange-error').first().waitFor();
  await shot('policy-error');
  assert.equal(await page.getByRole('button', { name: 'Save as new version' }).isDisabled(), true);

  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 10s }\n    do:\n      - type: restart-service\n        service: nginx\n');
  await page.getByText('✓ Valid: 1 policy').waitFor();
  await shot('policy-valid');
});
