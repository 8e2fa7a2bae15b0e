/**
 * Approvals in bulk, in Debian's chromium against a real demo (4 simulated hosts, 2 of them web servers): a policy
 * that restarts nginx only with approval is published through the API; nginx stops on both web hosts; the approvals
 * page names both hosts by hostname with the policy, its condition and expiry, selects both by their policy and
 * approves them at once with one reason, and the real healers restart nginx.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import {
  adminApi,
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
  demo = await startSmallDemo(4, 'homeostat-approvals-');
  browser = await launchChromium();
  page = (await signedInPage(browser, demo, demo.admin)).page;
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('two pending restarts are shown with hostnames and approved together with one reason', { skip }, async () => {
  const web = demo.fleet.hosts.filter((h) => h.labels.role === 'web');
  assert.equal(web.length, 2);
  const source =
    'policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 1s }\n    do:\n      - type: restart-service\n        service: nginx\n    guards: { requireApproval: true, cooldown: 5s }\n';
  const v = await adminApi(demo, 'POST', '/api/policies/ui-approvals/versions', { source, comment: 'with approval' });
  await adminApi(demo, 'POST', '/api/policies/ui-approvals/publish', {
    version: v.version,
    selector: 'role=web',
    percents: [100],
  });
  for (let i = 0; i < 120; i++) {
    const hosts = (await adminApi(demo, 'GET', '/api/hosts')).hosts as { id: string; appliedPolicyVersion: string }[];
    if (web.every((w) => hosts.find((h) => h.id === w.agentId)?.appliedPolicyVersion === `ui-approvals@${v.version}`))
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const h of web) demo.fleet.stopService(h, 'nginx');

  await page.goto(`${demo.httpUrl}/approvals`);
  for (const h of web) {
    const card = page.locator('article[data-approval]', { hasText: h.hostname });
    await card.waitFor({ timeout: 30_000 });
    assert.match((await card.textContent()) ?? '', /restart-service/);
    // Context: the policy, its condition as written, and the expiry counting down (24 h by default).
    const context = card.getByTestId('approval-context');
    assert.match(
      (await context.textContent()) ?? '',
      /Policyrestart-nginxConditionservice: nginx, for: 1sExpiresin (23 h 59 min|24 h 0 min) unless decided/,
    );
  }
  await page.getByRole('button', { name: 'Select all 2 of policy restart-nginx' }).click();
  await page.getByLabel('Reason for 2 selected (required)').fill('nginx down on both; restarts are safe');
  await page.getByRole('button', { name: 'Approve 2 selected' }).click();
  await page.getByText('Nothing is waiting for approval.').waitFor();
  const decided = (await adminApi(demo, 'GET', '/api/approvals')).approvals as {
    hostId: string;
    status: string;
    decisionReason: string;
  }[];
  for (const h of web) {
    const a = decided.find((x) => x.hostId === h.agentId);
    assert.equal(a?.status, 'approved');
    assert.equal(a?.decisionReason, 'nginx down on both; restarts are safe');
    await page.locator('tr', { hasText: h.hostname }).getByText('approved').waitFor();
  }
  for (let i = 0; i < 120 && web.some((h) => h.faults.serviceDown !== null); i++)
    await new Promise((r) => setTimeout(r, 250));
  assert.ok(
    web.every((h) => h.faults.serviceDown === null),
    'the healers restarted nginx',
  );
});
