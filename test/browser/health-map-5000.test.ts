/**
 * The fleet overview at 5,000 hosts, in Debian's chromium via playwright-core, against a real control plane (SQLite in
 * a temp data dir, ephemeral 127.0.0.1 ports, the UI's live stream feed running). Host rows go straight into the
 * database through Prisma (enrolling 5,000 agents would take minutes), samples and one event through the store, so
 * the read side under test is the real one: `GET /api/hosts` folds in each host's latest anomaly score and activity.
 * Each test asserts what a person sees. Screenshots go to test-artifacts/screenshots/ and
 * docs/screenshots/health-map-5000.png. Skipped, with the reason, when /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { createControlPlaneWithFleet, type ControlPlaneWithFleet } from '../../control-plane/fleet/with-fleet.ts';
import { createWebUi, type WebUi } from '../../control-plane/api/web-ui.ts';
import { DEFAULT_WEB_DIST } from '../../control-plane/api/web-static.ts';
import type { Db } from '../../control-plane/db/database.ts';
import { launchChromium } from './browser-support.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const DOC_SHOTS = join(process.cwd(), 'docs', 'screenshots');

// 5,000 hosts in 50 racks of 100 (node-0001 … node-5000, rack r01 … r50); every 50th host is offline.
// The first 600 (racks r01–r06) have two samples: an old one scoring 0.99 and the latest, which scores 0.9 for every
// 10th host, 0.6 for the next and 0.1 otherwise. Health comes from facts, not the score: every 10th host is in an open
// critical incident (critical), the next has an anomaly alert on (warning). So: 60 critical, 60 warning, 100 offline.
const N = 5000;
const SAMPLED = 600;
const name = (i: number) => `node-${String(i + 1).padStart(4, '0')}`;
const rack = (i: number) => `r${String(Math.floor(i / 100) + 1).padStart(2, '0')}`;
const online = (i: number) => i % 50 !== 49;
const latestScore = (i: number) => (i % 10 === 0 ? 0.9 : i % 10 === 1 ? 0.6 : 0.1);
const EVENT_HOST = 700; // no samples; one recent event, presence 10 minutes old

let cp: ControlPlaneWithFleet;
let ui: WebUi;
let browser: Browser;
let page: Page;
let dataDir: string;
let httpUrl: string;
let admin: { username: string; password: string };
const T0 = Date.now();

before(async () => {
  if (skip) return;
  if (!existsSync(join(DEFAULT_WEB_DIST, 'index.html'))) {
    const r = spawnSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
    assert.equal(r.status, 0, 'web/build.mjs');
  }
  dataDir = mkdtempSync(join(tmpdir(), 'homeostat-map5000-'));
  for (const d of [SHOTS, DOC_SHOTS]) mkdirSync(d, { recursive: true });
  ui = createWebUi();
  cp = await createControlPlaneWithFleet({
    dataDir,
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    wsPort: 0,
    logLevel: 'warn',
    logger: pino({ level: 'silent' }),
    mounts: ui.mounts,
  });
  const urls = await cp.start();
  assert.ok(urls.adminCredentials, 'a fresh data dir bootstraps the admin');
  admin = urls.adminCredentials;
  httpUrl = urls.httpUrl;

  const db = (cp.store as unknown as { db: Db }).db;
  const presence = new Date(T0 - 10 * 60_000);
  await db.host.createMany({
    data: Array.from({ length: N }, (_, i) => ({
      id: `h-${String(i + 1).padStart(5, '0')}`,
      hostname: name(i),
      labels: { rack: rack(i), role: i % 4 === 0 ? 'db' : 'web' },
      agentVersion: '1.0.0',
      online: online(i),
      lastSeen: presence,
    })),
  });
  const sample = (i: number, seq: number, ts: number, score: number) => ({
    hostId: `h-${String(i + 1).padStart(5, '0')}`,
    seq,
    ts,
    schema: 'v1',
    features: { 'cpu.util_pct': 12 },
    collectors: null,
    scores: { anomaly: { score, top: [] } },
  });
  await cp.store.telemetry.insertSamples(
    Array.from({ length: SAMPLED }, (_, i) => [
      sample(i, 1, T0 - 60_000, 0.99),
      sample(i, 2, T0 - 5_000, latestScore(i)),
    ]).flat(),
  );
  const id = (i: number) => `h-${String(i + 1).padStart(5, '0')}`;
  const tenth = Array.from({ length: SAMPLED / 10 }, (_, k) => k * 10);
  await cp.fleet.services.ctx.repos.incidents.upsert({
    id: 'inc-critical',
    status: 'open',
    scope: 'group',
    key: 'role',
    value: 'db',
    severity: 'critical',
    hosts: tenth.map(id),
    signatures: ['heal.escalated'],
    eventCount: 60,
    eventIds: [],
    firstEventAt: T0 - 60_000,
    openedAt: T0 - 60_000,
    updatedAt: T0 - 60_000,
    lastEventAt: T0 - 60_000,
    resolvedAt: null,
    mergedInto: null,
    suppressed: false,
    hint: {
      key: 'role',
      value: 'db',
      affected: 60,
      symptomatic: 60,
      fleetWithValue: 1250,
      fleetSize: N,
      affectedShare: 1,
      fleetShare: 0.25,
      lift: 4,
      score: 10,
      explanation: 'seeded',
    },
    acknowledged: null,
    notes: [],
    title: 'seeded critical incident',
  });
  await cp.store.telemetry.insertEvents([
    ...tenth.map((i) => ({
      hostId: id(i + 1),
      seq: 1,
      ts: T0 - 30_000,
      type: 'anomaly.started',
      severity: 'warning',
      message: null,
      data: { peak: 0.99, startedAt: T0 - 60_000 },
    })),
    {
      hostId: `h-${String(EVENT_HOST + 1).padStart(5, '0')}`,
      seq: 1,
      ts: T0 - 3_000,
      type: 'agent.note',
      severity: 'info',
      message: null,
      data: {},
    },
  ]);
  ui.start(cp);

  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await ui?.stop();
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const map = () => page.getByTestId('health-map');
const shown = (n: number) => page.getByText(`${n} of ${N} hosts shown`);

test('5,000 hosts: the map has a cell per host coloured by the latest anomaly score; the table pages 100 at a time', {
  skip,
}, async () => {
  await page.goto(httpUrl + '/');
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  // First render of the whole fleet is bounded (generously: it is behaviour under load, not a benchmark).
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="host-count"]')?.textContent === String(n),
    N,
    { timeout: 30_000 },
  );
  assert.equal(await map().getAttribute('data-hosts'), String(N));
  assert.equal(
    await map().getAttribute('aria-label'),
    `Health map of ${N} hosts: ${N - 220} healthy, 60 warning, 60 critical, 100 offline. Use arrow keys to move between hosts and Enter to open one.`,
  );
  await shown(N).waitFor();

  assert.equal(await page.locator('tbody tr').count(), 100, 'one page of the table');
  await page.getByText('Page 1 of 50').waitFor();
  // The anomaly column shows each sampled host's latest score (not the older 0.99), "—" where no sample was stored.
  const row = (i: number) => page.locator(`tr[data-host="${name(i)}"]`);
  assert.equal(await row(0).locator('td').nth(1).textContent(), '0.90');
  assert.equal(await row(1).locator('td').nth(1).textContent(), '0.60');
  assert.equal(await row(2).locator('td').nth(1).textContent(), '0.10');
  assert.match((await row(0).locator('td').first().textContent()) ?? '', /Critical/);
  assert.match((await row(1).locator('td').first().textContent()) ?? '', /Warning.*anomaly alert on/);
  assert.match((await row(2).locator('td').first().textContent()) ?? '', /Healthy/);
  // The peak column: the older 0.99 is within the 15-minute window.
  assert.equal(await row(2).locator('td').nth(2).textContent(), '0.99');
  // Last seen is the latest sample, not the 10-minute-old presence.
  assert.equal(await row(2).locator('time').getAttribute('datetime'), new Date(T0 - 5_000).toISOString());

  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Page 2 of 50').waitFor();
  assert.equal(await page.locator('tbody tr').count(), 100);
  assert.equal(await row(100).count(), 1, `${name(100)} opens page 2`);
  await page.screenshot({ path: join(SHOTS, 'fleet-5000.png'), fullPage: true });
  // Tall enough that the map section needs no scrolling (the sticky top bar would land inside a stitched shot).
  await page.setViewportSize({ width: 1440, height: 1600 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page
    .locator('section', { has: page.getByRole('heading', { name: 'Health map' }) })
    .screenshot({ path: join(DOC_SHOTS, 'health-map-5000.png') });
  await page.setViewportSize({ width: 1440, height: 900 });
});

test('5,000 hosts: filtering by a rack label narrows the map and the table to that rack', { skip }, async () => {
  await page.getByLabel('Label').selectOption(`rack=${rack(EVENT_HOST)}`);
  await shown(100).waitFor();
  assert.equal(await map().getAttribute('data-hosts'), '100');
  assert.match(
    (await map().getAttribute('aria-label')) ?? '',
    /^Health map of 100 hosts: 98 healthy, 0 warning, 0 critical, 2 offline\./,
  );
  assert.equal(await page.locator('tbody tr').count(), 100);
  assert.equal(await page.getByRole('navigation', { name: 'Host pages' }).count(), 0, 'one page: no pager');
  // A host with no samples but a recent event: no score, last seen at the event.
  const ev = page.locator(`tr[data-host="${name(EVENT_HOST)}"]`);
  assert.equal(await ev.locator('td').nth(1).textContent(), '—');
  assert.equal(await ev.locator('time').getAttribute('datetime'), new Date(T0 - 3_000).toISOString());
  await page.screenshot({ path: join(SHOTS, 'fleet-5000-rack.png'), fullPage: true });
  await page.getByLabel('Label').selectOption('');
  await shown(N).waitFor();
});

test('5,000 hosts: the keyboard moves across the map (arrows, Home, End) and Enter opens the focused host', {
  skip,
}, async () => {
  await map().focus();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host') === 'node-0001',
  );
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host') === 'node-0003',
  );
  // A rack of 100 is a block 20 cells wide (2·√100), so the cell below node-0003 is node-0023.
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host') === 'node-0023',
  );
  await page.locator('.health-map p[aria-live]', { hasText: 'node-0023: Healthy, anomaly score 0.10' }).waitFor();
  // End and Home jump to the last and first cell.
  await page.keyboard.press('End');
  await page.waitForFunction(
    (last) => document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host') === last,
    name(N - 1),
  );
  await page.keyboard.press('Home');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host') === 'node-0001',
  );
  // r01 is 5 rows tall: the 5th Down leaves it for the rack block below (racks are numbered 100 hosts apart).
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
  await page.waitForFunction(
    () =>
      Number(document.querySelector('[data-testid="health-map"]')?.getAttribute('data-focused-host')?.slice(5)) > 100,
  );
  const below = (await map().getAttribute('data-focused-host'))!;
  await page.screenshot({ path: join(SHOTS, 'fleet-5000-keyboard.png') });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: below, level: 1 }).waitFor();
});
