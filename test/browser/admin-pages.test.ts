/**
 * The admin pages in Debian's chromium against a real demo control plane (real enroll, MQTT, ingest, fleet module):
 * the fleet-wide audit log (filters, CSV and JSON export), silences and maintenance windows (create, list, delete),
 * webhooks on the settings page (create with the secret shown once, rotate, delete), host revocation with its
 * confirmation, each page's role gate; and at 390 px every page (an incident's detail and the sign-in page, with its
 * error, included), filled with rollout, approval, canary and incident cards and a host with long names
 * (filled-pages.ts), fits the screen (no sideways scrolling), the header is one compact line with a Menu, relative times tick, and the policy editor has an accessible name. What each test
 * checks is what a person sees, and the API's state behind it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import {
  adminApi,
  createUser,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
  startSmallDemo,
} from './browser-support.ts';
import { CANARY_VERSION, LONG_POLICY, fillPages, type Filled } from './filled-pages.ts';

const AGENTS = 4;
let demo: Demo;
let browser: Browser;
let admin: Page;
let filled: Filled;

before(async () => {
  if (skip) return;
  // A 1 s hold: a critical escalation becomes a single-host incident within the 390 px test (default 3 min).
  demo = await startSmallDemo(AGENTS, 'homeostat-admin-pages-', {
    fleet: { tickMs: 1000, incidents: { correlator: { holdMs: 1_000 } } },
  });
  browser = await launchChromium();
  admin = (await signedInPage(browser, demo, demo.admin)).page;
  await admin.waitForFunction((n) => document.querySelectorAll('tr[data-host]').length >= n, AGENTS, {
    timeout: 60_000,
  });
  // Rollout, approval, canary and incident cards with long names for the 390 px test (filled-pages.ts).
  filled = await fillPages(demo);
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await filled?.stop();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('the audit log lists fleet-wide entries, filters by action and actor, and exports CSV and JSON lines', {
  skip,
}, async () => {
  await createUser(demo, 'olga', 'operator'); // not audited itself; her sign-in below is
  const olga = await signedInPage(browser, demo, { username: 'olga', password: 'olga-password-1' });
  await olga.context.close();

  await admin.goto(`${demo.httpUrl}/audit`);
  await admin.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  await admin.locator('tr[data-action="auth.login"]').first().waitFor();
  await admin.getByLabel('Action').fill('auth.login');
  await admin.getByLabel('Actor').fill('user:olga');
  await admin.getByRole('button', { name: 'Search', exact: true }).click();
  await admin.waitForURL(/\/audit\?actor=user%3Aolga&action=auth\.login/);
  await admin.getByTestId('audit-count').getByText('1 entries').waitFor();
  assert.equal(await admin.locator('tbody tr').count(), 1);
  assert.match((await admin.locator('tbody tr').textContent()) ?? '', /user:olga.*auth\.login/);

  const [csv] = await Promise.all([
    admin.waitForEvent('download'),
    admin.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  assert.equal(csv.suggestedFilename(), 'audit.csv');
  const csvText = readFileSync((await csv.path())!, 'utf8');
  const lines = csvText.trim().split(/\r?\n/);
  assert.match(lines[0]!, /action/);
  assert.equal(lines.length, 2, csvText);
  assert.match(lines[1]!, /user:olga/);

  await admin.getByRole('button', { name: 'Clear filters' }).click();
  await admin.getByLabel('Action').fill('auth.');
  await admin.getByRole('button', { name: 'Search', exact: true }).click();
  await admin.waitForURL(/action=auth\./);
  const [jsonl] = await Promise.all([
    admin.waitForEvent('download'),
    admin.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const entries = readFileSync((await jsonl.path())!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { actor: string; action: string });
  assert.ok(entries.length >= 2, 'both sign-ins');
  assert.ok(entries.every((e) => e.action.startsWith('auth.')));
  assert.ok(entries.some((e) => e.actor === 'user:olga'));
  // The exports themselves are audited.
  const after = await adminApi(demo, 'GET', '/api/audit?action=audit.exported');
  assert.equal(after.entries.length, 2);

  // Free text: every term, in any field (here the export's detail), any case; newest first.
  await admin.getByRole('button', { name: 'Clear filters' }).click();
  await admin.getByLabel('Search', { exact: true }).fill('EXPORTED csv');
  await admin.getByRole('button', { name: 'Search', exact: true }).click();
  await admin.waitForURL(/\/audit\?q=EXPORTED\+csv/);
  await admin.getByTestId('audit-count').getByText('1 entries').waitFor();
  assert.match((await admin.locator('tbody tr').textContent()) ?? '', /audit\.exported.*"format":"csv"/);
  await admin.getByRole('button', { name: 'Clear filters' }).click();
  await admin.getByLabel('Search', { exact: true }).fill('audit.exported');
  await admin.getByRole('button', { name: 'Search', exact: true }).click();
  await admin.getByTestId('audit-count').getByText('2 entries').waitFor();
  const formats = await admin.locator('tbody tr td.detail').allTextContents();
  assert.deepEqual(
    formats.map((t) => (JSON.parse(t) as { format: string }).format),
    ['jsonl', 'csv'],
    'newest first',
  );
});

test('a silence is created for a rack, shows as in effect, and is deleted after confirmation', { skip }, async () => {
  const rack = demo.fleet.hosts[0]!.labels.rack!;
  await admin.goto(`${demo.httpUrl}/silences`);
  await admin.getByRole('heading', { name: 'Silences', level: 1 }).waitFor();
  await admin.getByText('No silences.').waitFor();
  await admin.getByLabel('Hosts (label selector, empty = all)').fill(`rack=${rack}`);
  await admin.getByLabel('Reason').fill('rack power work');
  const local = (ms: number) => new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await admin.getByLabel('Starts').fill(local(Date.now() - 60_000));
  await admin.getByLabel('Ends').fill(local(Date.now() + 3_600_000));
  await admin.getByRole('button', { name: 'Create silence' }).click();
  const row = admin.locator('[data-testid="silences"] tbody tr', { hasText: 'rack power work' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', new RegExp(`rack=${rack}.*once`));
  // In effect from the correlator's next tick (1 s here); the page refreshes by itself.
  await row.locator('.status', { hasText: /^in effect$/ }).waitFor({ timeout: 20_000 });
  const listed = (await adminApi(demo, 'GET', '/api/silences')).silences;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].selector, `rack=${rack}`);
  assert.equal(listed[0].active, true);

  await row.getByRole('button', { name: /^Delete silence/ }).click(); // confirm() accepted
  await admin.getByText('No silences.').waitFor();
  assert.equal((await adminApi(demo, 'GET', '/api/silences')).silences.length, 0);
});

test('a weekly maintenance window pausing reboots is listed under Maintenance windows only', { skip }, async () => {
  await admin.goto(`${demo.httpUrl}/silences`);
  await admin.getByRole('link', { name: 'Maintenance windows' }).click();
  await admin.getByRole('heading', { name: 'Maintenance windows', level: 1 }).waitFor();
  await admin.getByLabel('Reason').fill('Sunday patching');
  await admin.getByLabel('weekly').check();
  await admin.getByLabel('Sun', { exact: true }).check();
  await admin.getByLabel('Starts at (HH:MM UTC)').fill('02:00');
  await admin.getByLabel('Duration (minutes)').fill('90');
  await admin.getByLabel(/Healing actions to pause/).fill('reboot');
  await admin.getByRole('button', { name: 'Create maintenance window' }).click();
  const row = admin.locator('[data-testid="silences"] tbody tr', { hasText: 'Sunday patching' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /all hosts.*weekly on Sun at 02:00 UTC for 90 min.*reboot/);
  const [w] = (await adminApi(demo, 'GET', '/api/silences')).silences;
  assert.equal(w.kind, 'maintenance');
  assert.deepEqual(w.pauseActions, ['reboot']);
  assert.deepEqual(w.schedule.days, [0]);
  await admin.getByRole('link', { name: 'Silences', exact: true }).first().click();
  await admin.getByText('No silences.').waitFor();
  await admin.goto(`${demo.httpUrl}/maintenance`);
  await row.getByRole('button', { name: /^Delete maintenance window/ }).click();
  await admin.getByText('No maintenance windows.').waitFor();
});

test('a webhook is added with its secret shown once, its secret rotated, and deleted', { skip }, async () => {
  await admin.goto(`${demo.httpUrl}/settings`);
  await admin.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await admin.getByLabel('Name').fill('ops-chat');
  await admin.getByLabel('URL').fill('http://127.0.0.1:9/hook');
  await admin.getByLabel('incidents').check();
  await admin.getByRole('button', { name: 'Add webhook' }).click();
  const secretBox = admin.getByTestId('webhook-secret');
  await secretBox.waitFor();
  const first = (await secretBox.locator('code').textContent()) ?? '';
  assert.match(first, /^whsec_/);
  const row = admin.locator('[data-testid="webhooks"] tbody tr', { hasText: 'ops-chat' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /http:\/\/127\.0\.0\.1:9\/hook.*incident.*yes/);
  const [hook] = (await adminApi(demo, 'GET', '/api/webhooks')).webhooks;
  assert.deepEqual(hook.events, ['incident']);
  assert.equal(JSON.stringify(hook).includes(first), false, 'the listing never carries the secret');

  await row.getByRole('button', { name: 'Rotate the secret of ops-chat' }).click();
  await admin.waitForFunction((old) => {
    const t = document.querySelector('[data-testid="webhook-secret"] code')?.textContent;
    return !!t && t !== old;
  }, first);
  await row.getByRole('button', { name: 'Delete webhook ops-chat' }).click();
  await admin.getByText('No webhooks').waitFor();
  assert.equal((await adminApi(demo, 'GET', '/api/webhooks')).webhooks.length, 0);
});

test('revoking a host asks first; cancel keeps it, confirm revokes it and the page says so', { skip }, async () => {
  const host = demo.fleet.hosts.at(-1)!;
  await admin.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await admin.getByRole('heading', { name: host.hostname, level: 1 }).waitFor();
  await admin.getByRole('button', { name: 'Revoke host…' }).click();
  await admin.getByRole('alertdialog').getByText(`Revoke ${host.hostname}?`).waitFor();
  await admin.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).revokedAt, null);

  await admin.getByRole('button', { name: 'Revoke host…' }).click();
  await admin.getByRole('button', { name: `Revoke ${host.hostname}` }).click();
  await admin.getByTestId('revoked').waitFor();
  assert.match((await admin.getByTestId('revoked').textContent()) ?? '', /Revoked .* ago: this host can no longer/);
  assert.notEqual((await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).revokedAt, null);
});

test('an admin re-labels a host: bad lines are named, the new labels are saved and shown', { skip }, async () => {
  const host = demo.fleet.hosts.at(-2)!;
  const before = (await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).labels as Record<string, string>;
  await admin.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await admin.getByRole('heading', { name: host.hostname, level: 1 }).waitFor();
  await admin.getByRole('button', { name: 'Edit labels…' }).click();
  const text = admin.getByLabel(`Labels of ${host.hostname} (one key=value per line)`);
  assert.equal(
    await text.inputValue(),
    Object.keys(before)
      .sort()
      .map((k) => `${k}=${before[k]}`)
      .join('\n'),
  );
  await text.fill(`${await text.inputValue()}\nzone b`);
  await admin.getByText(/^Line \d+: 'zone b' is not key=value$/).waitFor();
  assert.ok(await admin.getByRole('button', { name: 'Save labels' }).isDisabled());
  await text.fill(`${(await text.inputValue()).replace('zone b', 'zone=b')}`);
  await admin.getByRole('button', { name: 'Save labels' }).click();
  await admin.locator('.chip', { hasText: 'zone=b' }).waitFor();
  assert.deepEqual((await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).labels, { ...before, zone: 'b' });
});

test('a viewer reads silences but cannot change them, and does not get the audit log or settings', {
  skip,
}, async () => {
  await createUser(demo, 'vic', 'viewer');
  const { context, page } = await signedInPage(browser, demo, { username: 'vic', password: 'vic-password-1' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'Silences' }).count(), 1);
  assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Settings' }).count(), 0);
  await page.goto(`${demo.httpUrl}/silences`);
  await page.getByTestId('read-only').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create silence' }).count(), 0);
  await page.goto(`${demo.httpUrl}/audit`);
  await page.getByText('This page needs the operator role; you are signed in as viewer.').waitFor();
  await page.goto(`${demo.httpUrl}/settings`);
  await page.getByText('This page needs the admin role; you are signed in as viewer.').waitFor();
  await page.goto(`${demo.httpUrl}/hosts/${demo.fleet.hosts[0]!.agentId}`);
  await page.getByRole('heading', { name: demo.fleet.hosts[0]!.hostname, level: 1 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Revoke host…' }).count(), 0);
  await context.close();
});

/** At 390 px: the page's scroll width, its header's height (null without one) and the outermost elements of main
 * reaching past the right edge, to say what to fix. */
function measure390(page: Page) {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    header: document.querySelector('header.top')?.getBoundingClientRect().height ?? null,
    offenders: [...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > 390.5)
      .filter((e) => !(e.parentElement && e.parentElement.getBoundingClientRect().right > 390.5))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`),
  }));
}

/** An open incident holding `agentId`, waited for. */
async function incidentOf(agentId: string): Promise<{ id: string }> {
  const end = Date.now() + 60_000;
  for (;;) {
    const { incidents } = (await adminApi(demo, 'GET', '/api/incidents')) as {
      incidents: { id: string; hosts: string[] }[];
    };
    const found = incidents.find((i) => i.hosts.includes(agentId));
    if (found) return found;
    assert.ok(Date.now() < end, `no incident for ${agentId} within 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('at 390 px no page scrolls sideways, the header is one line with a Menu, times tick, the editor is named', {
  skip,
}, async () => {
  const { context, page } = await signedInPage(browser, demo, demo.admin, { width: 390, height: 844 });
  const host = demo.fleet.hosts[0]!;
  const long = filled.longHost;
  // An incident's detail page to check: a critical escalation on one host opens a single-host incident (and the
  // long-named host's escalation, sent by fillPages, another).
  host.agent.emit(
    eventBody('heal.escalated', {
      severity: 'critical',
      message: 'restart-nginx escalated after 3 attempts',
      data: { policy: 'restart-nginx' },
    }),
  );
  const incident = await incidentOf(host.agentId);
  const longIncident = await incidentOf(long.agentId);
  // Each page with what must have rendered before it is measured: the filled cards, not their loading states.
  const pages: [string, string?][] = [
    ['/', `tr[data-host="${long.hostname}"]`],
    [`/hosts/${host.agentId}`],
    [`/hosts/${long.agentId}`],
    ['/incidents', 'tr[data-incident] >> nth=1'],
    [`/incidents/${encodeURIComponent(incident.id)}`],
    [`/incidents/${encodeURIComponent(longIncident.id)}`],
    ['/policies', `[data-testid="policy-versions-${LONG_POLICY}"]`],
    [`/policies/${encodeURIComponent(LONG_POLICY)}`, '[data-rollout] >> nth=3'],
    ['/policies/new-policy'],
    ['/models', '[data-testid="canary-comparison"]'],
    ['/approvals', '[aria-label="Decide several at once"]'],
    ['/silences'],
    ['/maintenance'],
    ['/audit'],
    ['/enroll'],
    ['/users'],
    ['/settings'],
    ['/no-such-page'],
  ];
  const wide: string[] = [];
  for (const [path, ready] of pages) {
    await page.goto(`${demo.httpUrl}${path}`);
    await page.locator('main h1').first().waitFor();
    if (ready) await page.locator(ready).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => !/^Loading /.test(document.querySelector('main')?.textContent ?? ''), undefined, {
      timeout: 15_000,
    });
    const { scroll, header, offenders } = await measure390(page);
    console.log(`390px: ${path} scrollWidth ${scroll}, header ${Math.round(header ?? 0)} px ${offenders.join('; ')}`);
    if (scroll > 390) wide.push(`${path} (${scroll} px: ${offenders.join('; ')})`);
    assert.ok(header !== null && header <= 56, `${path}: header ${header} px tall`);
  }
  // The sign-in page, signed out: as it opens, and with a refused sign-in's error under the form.
  const signedOut = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const login = await signedOut.newPage();
  await login.goto(`${demo.httpUrl}/login`);
  await login.getByRole('heading', { name: 'Sign in to Homeostat', level: 1 }).waitFor();
  for (const state of ['/login', '/login (refused)']) {
    if (state !== '/login') {
      await login.getByLabel('Username').fill('nobody-with-a-rather-long-username');
      await login.getByLabel('Password').fill('not-the-password');
      await login.getByRole('button', { name: 'Sign in', exact: true }).click();
      await login.getByRole('alert').waitFor();
    }
    const { scroll, offenders } = await measure390(login);
    console.log(`390px: ${state} scrollWidth ${scroll} ${offenders.join('; ')}`);
    if (scroll > 390) wide.push(`${state} (${scroll} px: ${offenders.join('; ')})`);
  }
  await signedOut.close();
  assert.deepEqual(wide, [], 'pages wider than 390 px');

  // The folded navigation opens from Menu and closes on navigation.
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
  await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'), 'false');

  // The policy editor's editable area has an accessible name.
  await page.goto(`${demo.httpUrl}/policies/new-policy`);
  const editor = page.locator('.cm-content');
  await editor.waitFor();
  assert.equal(await editor.getAttribute('aria-label'), 'Policy source (YAML)');
  assert.equal(await page.getByRole('textbox', { name: 'Policy source (YAML)' }).count(), 1);

  // A relative time ("… s ago") changes by itself while nothing else happens on the page: a user created just now.
  await createUser(demo, 'tick', 'viewer');
  await page.goto(`${demo.httpUrl}/users`);
  const t = page.locator('tr', { hasText: 'tick' }).locator('time');
  await t.waitFor();
  const before = await t.textContent();
  assert.match(before ?? '', / s ago$/);
  await page.waitForFunction(
    (old) =>
      [...document.querySelectorAll('tr')].find((r) => r.textContent?.includes('tick'))?.querySelector('time')
        ?.textContent !== old,
    before,
    { timeout: 10_000 },
  );
  await context.close();
});

test('users: a viewer sees their tokens (no hang); an admin confirms role changes and disables; tokens show last use and copy', {
  skip,
}, async () => {
  await createUser(demo, 'una', 'viewer');
  const una = await signedInPage(browser, demo, { username: 'una', password: 'una-password-1' });
  await una.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await una.page.goto(`${demo.httpUrl}/users`);
  await una.page.getByRole('heading', { name: 'Your API tokens' }).waitFor();
  await una.page.getByTestId('read-only').waitFor();
  await una.page.getByText('No API tokens.').waitFor();
  assert.equal(await una.page.getByText(/Loading users/).count(), 0, 'the viewer never waits for the user list');

  // A token: shown once with a copy button; used through the API, its "Last used" fills in.
  await una.page.getByLabel('Token name').fill('script');
  await una.page.getByRole('button', { name: 'Create API token' }).click();
  const shown = ((await una.page.getByTestId('new-token').locator('pre').textContent()) ?? '').trim();
  assert.match(shown, /^hat_/);
  await una.page.getByRole('button', { name: 'Copy token' }).click();
  await una.page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await una.page.evaluate(() => navigator.clipboard.readText()), shown);
  const row = una.page.locator('tr', { hasText: 'script' });
  assert.equal(((await row.locator('td').nth(1).textContent()) ?? '').trim(), '—', 'never used yet');
  const used = await fetch(`${demo.httpUrl}/api/hosts`, { headers: { authorization: `Bearer ${shown}` } });
  assert.equal(used.status, 200);
  await una.page.reload();
  await una.page
    .locator('tr', { hasText: 'script' })
    .locator('td')
    .nth(1)
    .getByText(/s ago$/)
    .waitFor();

  // The admin changes una's role (after a confirmation naming both roles), then disables her.
  const dialogs: string[] = [];
  const onDialog = (d: { message(): string }) => void dialogs.push(d.message());
  admin.on('dialog', onDialog);
  await admin.goto(`${demo.httpUrl}/users`);
  await admin.getByLabel('Role of una').selectOption('operator');
  await admin.waitForFunction(
    () =>
      (document.querySelector('select[aria-label="Role of una"]') as HTMLSelectElement | null)?.value === 'operator',
  );
  assert.ok(dialogs.includes('Change the role of una from viewer to operator?'), dialogs.join(' | '));
  const users = (await adminApi(demo, 'GET', '/api/users')).users as { username: string; role: string }[];
  assert.equal(users.find((u) => u.username === 'una')?.role, 'operator');

  await admin.getByRole('button', { name: 'Disable una' }).click();
  await admin.getByRole('button', { name: 'Enable una' }).waitFor();
  admin.off('dialog', onDialog);
  assert.ok(dialogs.some((m) => m.startsWith('Disable una?')));
  const refused = await fetch(`${demo.httpUrl}/api/hosts`, { headers: { authorization: `Bearer ${shown}` } });
  assert.equal(refused.status, 401, "a disabled user's token stops working");
  await una.context.close();
});

test('the models page lists what the hosts run, with host counts per version', { skip }, async () => {
  // Wait until every host reported its applied models (the demo agents run the bundled ones).
  let hosts: { appliedModels: Record<string, string> | null; revokedAt: string | null }[] = [];
  for (let i = 0; i < 120; i++) {
    hosts = (await adminApi(demo, 'GET', '/api/hosts')).hosts;
    if (hosts.every((h) => h.revokedAt || Object.keys(h.appliedModels ?? {}).length > 0)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const expected = new Map<string, number>();
  for (const h of hosts.filter((x) => !x.revokedAt))
    for (const [n, v] of Object.entries(h.appliedModels ?? {}))
      expected.set(`${n}@${v}`, (expected.get(`${n}@${v}`) ?? 0) + 1);
  assert.ok(expected.size > 0, `hosts report their models: ${JSON.stringify(hosts.map((h) => h.appliedModels))}`);
  await admin.goto(`${demo.httpUrl}/models`);
  await admin.getByRole('heading', { name: 'Running on hosts' }).waitFor();
  for (const [key, n] of expected) {
    const row = admin.locator(`[data-testid="deployed-models"] tr[data-model="${key}"]`);
    await row.waitFor();
    // fillPages' canary runs a registered version on one host; the others run the bundled one.
    const from = key === `anomaly-multi@${CANARY_VERSION}` ? 'registry' : 'bundled with the agent';
    assert.match((await row.textContent()) ?? '', new RegExp(`${n} \\(\\d+ online\\)${from}`));
  }
  assert.equal(await admin.getByText('No models registered').count(), 0);
});
