/**
 * Browser tests of the web UI against the real control plane and demo agents (real enroll, MQTT link, ingest, real
 * inference and healer stages, real fleet rollouts, approvals and correlation), on ephemeral 127.0.0.1 ports with a
 * temp data dir, in Debian's chromium via playwright-core. One signed-in page walks through what an admin does; each
 * test asserts what a person sees. Screenshots of each page go to test-artifacts/screenshots/. Skipped, with the
 * reason, when /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import { launchChromium, skipWithoutChromium as skip, startSmallDemo } from './browser-support.ts';

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
// 16 hosts in racks of 5: one rack is 5/16 of the fleet, enough for the correlator (tuned as docs/fleet.md says).
const AGENTS = 16;

let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  demo = await startSmallDemo(AGENTS, 'homeostat-browser-', {
    cycleSeconds: 0.5,
    fleet: { tickMs: 1000, incidents: { correlator: { minScore: 3 } } },
  });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  if (demo) rmSync(demo.dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const webHosts = () => demo.fleet.hosts.filter((h) => h.labels.role === 'web');

async function signIn(username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('a wrong password is refused in words; the admin password signs in and shows every demo host, live', {
  skip,
}, async () => {
  await page.goto(demo.httpUrl + '/');
  await signIn('admin', 'not-the-password');
  await page.getByRole('alert').waitFor();
  assert.match((await page.getByRole('alert').textContent()) ?? '', /Sign-in failed/);
  await shot('login-error');

  await signIn(demo.admin.username, demo.admin.password ?? '');
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
  assert.equal(await page.getByTestId('who').textContent(), 'admin (admin)');
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="host-count"]')?.textContent === String(n),
    AGENTS,
    { timeout: 20_000 },
  );
  for (const h of demo.fleet.hosts)
    assert.equal(await page.locator(`tr[data-host="${h.hostname}"]`).count(), 1, h.hostname);
  // Every host's Anomaly cell shows its latest sample's real model score (not "—").
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll('tbody tr')].filter((r) =>
        /^\d\.\d\d$/.test(r.querySelectorAll('td')[1]?.textContent ?? ''),
      ).length === n,
    AGENTS,
    { timeout: 20_000 },
  );
  assert.match(
    (await page.getByTestId('health-map').getAttribute('aria-label')) ?? '',
    new RegExp(`Health map of ${AGENTS} hosts`),
  );
  await page.getByText('Live', { exact: true }).waitFor();
  const cookies = await page.context().cookies();
  assert.ok(
    cookies.some((c) => c.name === 'homeostat_session' && c.httpOnly),
    'an HTTP-only session cookie',
  );
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

test("a host page shows its inventory, the real model's anomaly score and live charts that grow", {
  skip,
}, async () => {
  const host = demo.fleet.hosts[1]!;
  await page.locator(`tr[data-host="${host.hostname}"] a`).click();
  await page.getByRole('heading', { name: host.hostname, level: 1 }).waitFor();
  await page.getByText('Debian GNU/Linux 12 (simulated)').waitFor();
  const chart = page.locator('figure.chart', { hasText: 'Anomaly score' });
  await chart.waitFor();
  const before = Number(await chart.getAttribute('data-points'));
  await page.waitForFunction(
    (n) => Number(document.querySelector('figure.chart')?.getAttribute('data-points')) >= n + 3,
    before,
    { timeout: 15_000 },
  );
  assert.equal(
    await page.locator('figure.chart', { hasText: 'cpu.temp_package_c' }).count(),
    1,
    'a chart of the replayed CPU temperature',
  );
  await shot('host');
});

test('a policy with a schema error is flagged inline; fixed, saved and published to role=web in two waves, every web host applies it', {
  skip,
}, async () => {
  await page.goto(demo.httpUrl + '/policies/web-services');
  const editor = page.locator('.cm-content');
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(
    'policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 1s }\n    do:\n      - type: restart-servce\n        service: nginx\n',
  );
  await page.waitForFunction(() =>
    /Line 5/.test(document.querySelector('[data-testid="lint-summary"]')?.textContent ?? ''),
  );
  assert.match((await page.getByTestId('lint-summary').textContent()) ?? '', /Line 5: policies\.0\.do\.0/);
  await page.locator('.cm-lintRange-error').first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save as new version' }).isDisabled(), true);
  await shot('policy-error');

  // The safety lint the server and the agents run (contract/policy/lint.ts) shows before anything is saved.
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(
    "policies:\n  - name: clean-tmp\n    when: { feature: fs.min_free_pct, op: '<', value: 5 }\n    do:\n      - type: run-script\n        script: /tmp/evil.sh\n",
  );
  await page.waitForFunction(() =>
    /heal\.scriptsDir/.test(document.querySelector('[data-testid="lint-summary"]')?.textContent ?? ''),
  );
  assert.match(
    (await page.getByTestId('lint-summary').textContent()) ?? '',
    /Line 6: policies\.0\.do\.0\.script.*must be a name inside heal\.scriptsDir/,
  );
  assert.equal(await page.getByRole('button', { name: 'Save as new version' }).isDisabled(), true);

  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(
    'policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 1s }\n    do:\n      - type: restart-service\n        service: nginx\n    guards: { requireApproval: true, cooldown: 5s }\n',
  );
  await page.getByText('✓ Valid: 1 policy').waitFor();
  await page.getByLabel('Change note').fill('restart nginx, with approval');
  await page.getByRole('button', { name: 'Save as new version' }).click();
  await page.getByText('Saved version 1.').waitFor();

  await page.getByLabel('Target hosts (label selector, empty = all)').fill('role=web');
  await page.getByText(`Dry run: ${webHosts().length} of ${AGENTS} hosts match`).waitFor();
  await page.getByLabel('Waves (cumulative % of targets, comma-separated)').fill('50, 100');
  await page.getByLabel(/Soak after each wave/).fill('2s');
  await page.getByRole('button', { name: 'Publish v1 in 2 wave(s)' }).click();
  const card = page.locator('article.rollout').first();
  await card.waitFor();
  await card.locator('.status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  const text = (await card.textContent()) ?? '';
  const half = webHosts().length / 2;
  // A finished rollout shows its waves as recorded (frozen), and the gate's verdict in words.
  for (const n of [1, 2])
    assert.match(
      text,
      new RegExp(`Wave ${n}: sent to ${half} host\\(s\\), passed the health gate with \\d+ of ${half} ack`),
    );
  assert.match(text, /Health gate passed/);
  assert.doesNotMatch(text, /\{"reasons"/, 'no raw JSON');
  await shot('policy-rollout');

  await page.goto(demo.httpUrl + '/');
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="host-count"]')?.textContent === String(n),
    AGENTS,
  );
  for (const h of demo.fleet.hosts) {
    const row = page.locator(`tr[data-host="${h.hostname}"]`);
    if (h.labels.role === 'web') await row.getByText('web-services@1').waitFor({ timeout: 15_000 });
    else assert.doesNotMatch((await row.textContent()) ?? '', /web-services@1/, `${h.hostname} is not a web host`);
  }
  await shot('fleet-applied');
});

test('a stopped nginx asks for approval; approving it with a reason lets the real healer restart it', {
  skip,
}, async () => {
  const host = webHosts()[0]!;
  demo.fleet.stopService(host, 'nginx');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  const card = page.locator('article[data-approval]', { hasText: host.agentId });
  await card.waitFor({ timeout: 30_000 });
  assert.match((await card.textContent()) ?? '', /restart-service/);
  await shot('approvals');
  await card.getByLabel('Reason for your decision (required)').fill('nginx is down; a restart is safe');
  await card.getByRole('button', { name: 'Approve' }).click();
  await card.waitFor({ state: 'detached' });
  const decided = page.locator('tr', { hasText: host.agentId });
  await decided.getByText('approved').waitFor();
  assert.match((await decided.textContent()) ?? '', /admin.*nginx is down; a restart is safe/);
  for (let i = 0; i < 60 && host.faults.serviceDown !== null; i++) await new Promise((r) => setTimeout(r, 250));
  assert.equal(host.faults.serviceDown, null, 'the healer restarted nginx');
  await page.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await page
    .locator('section', { hasText: 'Recent healing actions' })
    .getByText('restart-service')
    .first()
    .waitFor({ timeout: 15_000 });
});

test('a heat wave on one rack opens one incident naming the rack; it can be acknowledged and annotated', {
  skip,
}, async () => {
  const rack = demo.fleet.hosts[0]!.labels.rack!;
  const hit = demo.fleet.heatRack(rack, 60_000);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
  const row = page.locator('tr[data-incident]', { hasText: rack });
  await row.waitFor({ timeout: 30_000 });
  assert.match((await row.textContent()) ?? '', new RegExp(`rack=${rack}`));
  await shot('incidents');
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: 'Likely root cause' }).waitFor();
  assert.equal(await page.locator('ul.host-list li').count(), hit.length);
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.locator('.stats .status', { hasText: 'acknowledged' }).waitFor();
  await page.getByLabel('Add a note').fill('rack fan tray replaced');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.locator('ol.timeline', { hasText: 'rack fan tray replaced' }).waitFor();
  await shot('incident');
});

test('a viewer sees the fleet but no admin actions; signing out returns to the sign-in page', { skip }, async () => {
  const res = await fetch(`${demo.httpUrl}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.admin.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'vera', password: 'viewer-password-1', role: 'viewer' }),
  });
  assert.equal(res.status, 201);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Homeostat' }).waitFor();
  await signIn('vera', 'viewer-password-1');
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
  assert.equal(await page.getByTestId('who').textContent(), 'vera (viewer)');
  assert.equal(await page.getByRole('link', { name: 'Enrollment' }).count(), 0);
  await page.goto(demo.httpUrl + '/policies/web-services');
  await page.getByTestId('read-only').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save as new version' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /Roll back/ }).count(), 0);
  await page.goto(demo.httpUrl + '/enroll');
  assert.match((await page.getByRole('alert').textContent()) ?? '', /needs the admin role/);
  await shot('viewer');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Homeostat' }).waitFor();
});
