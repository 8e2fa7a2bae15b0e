/**
 * Accessibility of every page of the admin UI, in Debian's chromium against a real demo (16 simulated hosts and one
 * real agent with a ~60-character hostname; two rack incidents, pending approvals with a bulk decision and a denied
 * one, policy rollouts finished, halted, rolled back and in progress with gate results, a model canary with its
 * comparison (test/browser/filled-pages.ts), a cordoned host, a silence, a maintenance window, a webhook, an
 * enrollment token and an API token, so the pages show their tables and cards rather than empty states): axe-core
 * (test/browser's only use of it) runs on each page once its data has rendered, in the light and the dark colour
 * scheme, and must find no violation; then every page once more at a phone's 390 × 844 (where wide tables and
 * the policy editor scroll sideways). A failure names the page, the scheme, each rule with its impact and the first
 * elements it flagged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import {
  adminApi,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
  startSmallDemo,
  waitFor,
} from './browser-support.ts';
import { LONG_POLICY as POLICY, fillPages, type Filled } from './filled-pages.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const HOSTS = 16;

let demo: Demo;
let browser: Browser;
let page: Page;
let incidentId: string;
let cordoned: Demo['fleet']['hosts'][number];
let filled: Filled;

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(HOSTS, 'homeostat-a11y-', {
    cycleSeconds: 0.5,
    // As in incidents-page.test.ts: one hot rack of 5 among 16 hosts is significant enough to open an incident.
    fleet: { tickMs: 1000, incidents: { correlator: { minScore: 2 } } },
  });
  browser = await launchChromium();
  page = (await signedInPage(browser, demo, demo.admin)).page;

  // Rollouts, approvals (nginx stops on two web hosts), a model canary and a host with a long name, meanwhile the rest.
  const filling = fillPages(demo, 2);
  filling.catch(() => {}); // awaited below; a failure before that must not go unhandled

  // The first rack heats up: an incident. A db host of the second rack is cordoned; the third rack is silenced (a
  // silence drops its events before the correlator, so it must not cover the hot rack).
  const racks = [...new Set(demo.fleet.hosts.map((h) => h.labels.rack!))];
  demo.fleet.heatRack(racks[0]!, 120_000);
  cordoned = demo.fleet.hosts.find((h) => h.labels.role === 'db' && h.labels.rack === racks[1])!;
  await adminApi(demo, 'POST', `/api/hosts/${cordoned.agentId}/cordon`, { reason: 'disk swap' });
  const now = Date.now();
  await adminApi(demo, 'POST', '/api/silences', {
    kind: 'silence',
    selector: `rack=${racks[2]}`,
    reason: 'rack power work',
    schedule: { type: 'once', startsAt: now - 60_000, endsAt: now + 3_600_000 },
  });
  await adminApi(demo, 'POST', '/api/silences', {
    kind: 'maintenance',
    selector: '',
    reason: 'Sunday patching',
    // three days from today, so the window (fleet-wide) never covers the run and hides the incident it waits for
    schedule: { type: 'weekly', days: [(new Date(now).getUTCDay() + 3) % 7], start: '02:00', durationMinutes: 90 },
    pauseActions: ['reboot'],
  });
  await adminApi(demo, 'POST', '/api/webhooks', { name: 'ops-chat', url: 'http://127.0.0.1:9/hook', events: [] });
  await adminApi(demo, 'POST', '/api/tokens', { labels: { role: 'web' }, uses: 5, ttl: '24h' });
  await adminApi(demo, 'POST', '/api/api-tokens', { name: 'ci-deploy' });

  const incidents = await waitFor('an incident', async () => {
    const list = (await adminApi(demo, 'GET', '/api/incidents')).incidents as { id: string }[];
    return list.length > 0 ? list : null;
  });
  incidentId = incidents[0]!.id;
  // Then the second rack (one at a time, as in incidents-page.test.ts): a list of several incidents.
  demo.fleet.heatRack(racks[1]!, 120_000);
  filled = await filling;
  await waitFor('a second incident', async () => (await adminApi(demo, 'GET', '/api/incidents')).incidents.length > 1);
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await filled?.stop();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

/** Waits until no "Loading …" status is left on the page (every query of the page has answered). */
async function loaded(p: Page): Promise<void> {
  await p.waitForFunction(
    () => ![...document.querySelectorAll('[role="status"]')].some((e) => /^\s*Loading\b/.test(e.textContent ?? '')),
    undefined,
    { timeout: 30_000 },
  );
}

type Violation = { id: string; impact: string | null; help: string; nodes: number; targets: string[] };

/** axe-core's violations on the page as it is now (injected once per document). */
async function axeViolations(p: Page): Promise<Violation[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: AXE });
  return p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<AxeResults> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((n) => n.target.map(String).join(' ')),
    }));
  });
}

/** Every violation in the light and the dark colour scheme, each as "scheme: rule (impact, count): help — elements". */
async function problemsOf(p: Page): Promise<string[]> {
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await p.emulateMedia({ colorScheme });
    for (const v of await axeViolations(p))
      problems.push(
        `${colorScheme}: ${v.id} (${v.impact ?? 'no impact'}, ${v.nodes} element(s)): ${v.help} — ${v.targets.join(' | ')}`,
      );
  }
  await p.emulateMedia({ colorScheme: 'light' });
  return problems;
}

/** Asserts no violation in the light and the dark colour scheme; the message lists rule, impact and elements. */
async function assertAccessible(p: Page, name: string): Promise<void> {
  const problems = await problemsOf(p);
  assert.equal(problems.length, 0, `${name}: ${problems.length} axe violation(s):\n  ${problems.join('\n  ')}`);
}

/** Opens `path` signed in as the admin, waits for `ready` and for every query (the page as it is then is checked). */
async function open(path: string, ready: (p: Page) => Promise<unknown>): Promise<void> {
  await page.goto(`${demo.httpUrl}${path}`);
  await ready(page);
  await loaded(page);
}

/** The pages checked: the test's title, the page's name in a failure, its path (known once the demo is filled) and
 * what shows that its data has rendered. */
const PAGES: { title: string; name: string; path: () => string; ready: (p: Page) => Promise<unknown> }[] = [
  {
    title: 'fleet overview',
    name: 'fleet overview',
    path: () => '/',
    ready: async (p) => {
      await p.waitForFunction((n) => document.querySelectorAll('tr[data-host]').length >= n, HOSTS, {
        timeout: 60_000,
      });
      await p.locator('.badge-cordoned').first().waitFor();
      await p.getByTestId('now-incidents').locator('li a').first().waitFor();
    },
  },
  {
    title: 'host page',
    name: 'host page',
    path: () => `/hosts/${cordoned.agentId}`,
    ready: async (p) => {
      await p.getByRole('heading', { name: cordoned.hostname, level: 1 }).waitFor();
      await p.locator('figure.chart[data-points]:not([data-points="0"])').first().waitFor();
    },
  },
  {
    title: 'a host with a long name',
    name: 'long-named host page',
    path: () => `/hosts/${filled.longHost.agentId}`,
    ready: (p) => p.getByRole('heading', { name: filled.longHost.hostname, level: 1 }).waitFor(),
  },
  {
    title: 'incidents list',
    name: 'incidents list',
    path: () => '/incidents',
    ready: (p) => p.locator('tr[data-incident]').nth(1).waitFor(),
  },
  {
    title: "an incident's detail",
    name: 'incident detail',
    path: () => `/incidents/${encodeURIComponent(incidentId)}`,
    ready: (p) => p.getByRole('heading', { name: 'Likely root cause' }).waitFor(),
  },
  {
    title: 'approvals',
    name: 'approvals',
    path: () => '/approvals',
    ready: async (p) => {
      await p.getByRole('region', { name: 'Decide several at once' }).waitFor();
      await p.locator('article[data-approval]').nth(2).waitFor();
    },
  },
  {
    title: 'policies list',
    name: 'policies',
    path: () => '/policies',
    ready: (p) => p.getByTestId(`policy-versions-${POLICY}`).waitFor(),
  },
  {
    title: 'a policy with its editor and rollouts',
    name: 'policy editor and rollouts',
    path: () => `/policies/${POLICY}`,
    ready: async (p) => {
      await p.locator('.cm-editor').waitFor();
      await p.locator('[data-rollout]').nth(3).waitFor();
      await p.getByTestId('lint-summary').getByText(/Valid/).waitFor();
    },
  },
  {
    title: 'models, refits, model and agent rollouts',
    name: 'models',
    path: () => '/models',
    ready: async (p) => {
      await p.getByTestId('deployed-models').waitFor();
      await p.getByTestId('canary-comparison').waitFor();
      await p.getByRole('heading', { name: 'Agent versions' }).waitFor();
    },
  },
  {
    title: 'enrollment',
    name: 'enrollment',
    path: () => '/enroll',
    ready: async (p) => {
      await p.getByTestId('enroll-command').waitFor();
      await p.locator('[data-testid^="token-hosts-"]').first().waitFor();
    },
  },
  {
    title: 'users and API tokens',
    name: 'users',
    path: () => '/users',
    ready: async (p) => {
      await p.getByLabel(`Role of ${demo.admin.username}`).waitFor();
      await p.locator('tr', { hasText: 'ci-deploy' }).waitFor();
    },
  },
  {
    title: 'audit log',
    name: 'audit log',
    path: () => '/audit',
    ready: (p) => p.locator('tr[data-action]').first().waitFor(),
  },
  {
    title: 'silences',
    name: 'silences',
    path: () => '/silences',
    ready: (p) => p.locator('[data-testid="silences"] tr', { hasText: 'rack power work' }).waitFor(),
  },
  {
    title: 'maintenance windows',
    name: 'maintenance windows',
    path: () => '/maintenance',
    ready: (p) => p.locator('[data-testid="silences"] tr', { hasText: 'Sunday patching' }).waitFor(),
  },
  {
    title: 'settings (webhooks)',
    name: 'settings',
    path: () => '/settings',
    ready: (p) => p.locator('[data-testid="webhooks"] tr', { hasText: 'ops-chat' }).waitFor(),
  },
  {
    title: 'a page that does not exist',
    name: 'not found',
    path: () => '/no-such-page',
    ready: (p) => p.getByRole('heading', { name: 'Page not found' }).waitFor(),
  },
];

for (const { title, name, path, ready } of PAGES)
  test(title, { skip }, async () => {
    await open(path(), ready);
    await assertAccessible(page, name);
  });

test('the sign-in page, signed out', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const p = await context.newPage();
    await p.goto(`${demo.httpUrl}/login`);
    await p.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await assertAccessible(p, 'sign-in');
  } finally {
    await context.close();
  }
});

/** A phone's viewport: wide tables and the policy editor scroll sideways there, so each scroll area must be reachable
 * by keyboard (axe's scrollable-region-focusable) and nothing may overflow into an unreadable state. Every page once,
 * all failures listed together. */
test('every page again at a phone width (390 × 844)', { skip }, async () => {
  const problems: string[] = [];
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const { name, path, ready } of PAGES) {
      await open(path(), ready);
      for (const problem of await problemsOf(page)) problems.push(`${name}: ${problem}`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const p = await context.newPage();
    await p.goto(`${demo.httpUrl}/login`);
    await p.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    for (const problem of await problemsOf(p)) problems.push(`sign-in: ${problem}`);
  } finally {
    await context.close();
  }
  assert.equal(problems.length, 0, `at 390 px, ${problems.length} axe violation(s):\n  ${problems.join('\n  ')}`);
});
