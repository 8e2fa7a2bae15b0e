/**
 * "Refit from fleet data" on the Models page in Debian's chromium against a real demo control plane: an admin picks
 * hosts by label and a window, the control plane refits in the background from the samples it stored (seeded through
 * the telemetry repository for two enrolled hosts), the page shows progress and then what it saw and the registered
 * version, which appears in the registry table; an operator sees the role note instead of the form.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import { fleetSeries, storeSamples } from '../support/fleet-samples.ts';
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

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(1, 'homeostat-refit-page-');
  browser = await launchChromium();
  const end = Date.now() - 3_600_000;
  for (const [i, hostname] of ['batch-1', 'batch-2'].entries()) {
    const tok = await adminApi(demo, 'POST', '/api/tokens', { labels: { role: 'batch' } });
    const res = await fetch(`${demo.httpUrl}/api/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tok.token, hostname, agentVersion: '0.1.0' }),
    });
    assert.equal(res.status, 201);
    const host = (await res.json()) as { agentId: string };
    await storeSamples(demo.cp.store.telemetry, fleetSeries(host.agentId, 30 + i, 900, end));
  }
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('an admin refits the anomaly model from fleet data and sees progress, the result and the new version', {
  skip,
  timeout: 300_000,
}, async () => {
  const { page, context } = await signedInPage(browser, demo, demo.admin);
  try {
    await page.goto(`${demo.httpUrl}/models`);
    const form = page.getByRole('form', { name: 'Refit from fleet data' });
    await form.getByLabel(/^Hosts/).fill('role=batch');
    await form.getByLabel('Window').selectOption('7d');
    await form.getByRole('button', { name: 'Refit' }).click();
    const done = page.locator('[data-refit][data-status="succeeded"]');
    await done.waitFor({ timeout: 240_000 });
    const text = (await done.textContent()) ?? '';
    assert.match(text, /Registered anomaly-multi@6\.1\.0-fleet\.\d{14}/);
    assert.match(text, /Saw 1800 samples from 2 host\(s\) \(9 features\)/);
    assert.match(text, /Held back \d+ samples: alert rate/);
    const id = /anomaly-multi@[\w.-]+/.exec(text)![0];
    await page.locator(`tr[data-model="${id}"]`).waitFor({ timeout: 30_000 });
    const models = await adminApi(demo, 'GET', '/api/models');
    assert.ok(models.models.some((m: { id: string }) => m.id === id));
  } finally {
    await context.close();
  }
});

test('an operator sees that refitting needs the admin role', { skip }, async () => {
  const user = await createUser(demo, 'otto', 'operator');
  const { page, context } = await signedInPage(browser, demo, user);
  try {
    await page.goto(`${demo.httpUrl}/models`);
    await page.getByRole('heading', { name: 'Refit from fleet data' }).waitFor();
    await page.getByText('refitting models needs the admin role').waitFor();
    assert.equal(await page.getByRole('form', { name: 'Refit from fleet data' }).count(), 0);
  } finally {
    await context.close();
  }
});
