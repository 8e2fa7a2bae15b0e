/**
 * Rollouts and webhooks in Debian's chromium against a real demo (3 simulated hosts with real policy receivers): the
 * policy list shows the live version; a rollout is halted, resumed and halted again from its card, then rolled back,
 * and the rollback reads completed only with every host's acknowledgement; a webhook's "Send test delivery" makes a
 * real POST to a local receiver and shows its status and latency, or the receiver's error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

const HOSTS = 3;
const V1 =
  'policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 30s }\n    do:\n      - type: restart-service\n        service: nginx\n';
let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(HOSTS, 'homeostat-rollouts-');
  browser = await launchChromium();
  page = (await signedInPage(browser, demo, demo.admin)).page;
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

async function rolloutOf(id: string): Promise<{ status: string; history: { event: string; detail?: string }[] }> {
  return adminApi(demo, 'GET', `/api/rollouts/${id}`);
}

test('live version in the policy list; halt, resume, roll back; the rollback completes on acknowledgement', {
  skip,
}, async () => {
  const v1 = await adminApi(demo, 'POST', '/api/policies/ui-rollouts/versions', { source: V1 });
  await adminApi(demo, 'POST', '/api/policies/ui-rollouts/versions', { source: V1.replace('30s', '20s') });
  await page.goto(`${demo.httpUrl}/policies`);
  const listed = page.getByTestId('policy-versions-ui-rollouts');
  await listed.getByText('v2 · not live').waitFor();

  const first = await adminApi(demo, 'POST', '/api/policies/ui-rollouts/publish', {
    version: v1.version,
    percents: [100],
    soak: '1s',
  });
  await waitFor('v1 completed', async () => (await rolloutOf(first.id)).status === 'completed', 60_000);
  // No reload: the list follows the rollout while it is shown (it used to keep saying "not live").
  await listed.getByText('v2 · live v1', { exact: true }).waitFor();
  const listedByApi = (await adminApi(demo, 'GET', '/api/policies')).policies.find(
    (p: { name: string }) => p.name === 'ui-rollouts',
  );
  assert.deepEqual([listedByApi.publishedVersion, listedByApi.rollingOutVersion], [1, null]);

  const second = await adminApi(demo, 'POST', '/api/policies/ui-rollouts/publish', {
    version: 2,
    percents: [100],
    soak: '1h',
  });
  await page.goto(`${demo.httpUrl}/policies/ui-rollouts`);
  const card = page.locator(`article[data-rollout="${second.id}"]`);
  await card.getByRole('button', { name: 'Halt' }).click();
  await card.locator('.status-halted').waitFor();
  await card.getByRole('button', { name: 'Resume' }).click();
  await card.locator('.status-soaking').waitFor();
  // The soak counts down to the health gate (1 h from the resume).
  await card
    .getByTestId('soak')
    .getByText(/the health gate judges it in (59 min \d+ s|1 h 0 min)\.$/)
    .waitFor();
  assert.ok((await rolloutOf(second.id)).history.some((h) => h.event === 'resumed'));
  await page.goto(`${demo.httpUrl}/policies`);
  await listed.getByText('v2 · live v1 · rolling out v2').waitFor();

  await page.goto(`${demo.httpUrl}/policies/ui-rollouts`);
  await card.getByRole('button', { name: 'Halt' }).click();
  await card.locator('.status-halted').waitFor();
  await card.getByRole('button', { name: 'Roll back to ui-rollouts@1' }).click(); // confirm() is accepted
  const rollback = await waitFor(
    'the rollback rollout',
    async () => {
      const all = (await adminApi(demo, 'GET', '/api/rollouts?subject=ui-rollouts')).rollouts as {
        id: string;
        rollback?: boolean;
      }[];
      return all.find((r) => r.rollback) ?? null;
    },
    60_000,
  );
  const back = page.locator(`article[data-rollout="${rollback.id}"]`);
  await back.locator('.status-completed').waitFor({ timeout: 60_000 });
  assert.match((await back.textContent()) ?? '', new RegExp(`acknowledged by all ${HOSTS} host\\(s\\)`));
  const hosts = (await adminApi(demo, 'GET', '/api/hosts')).hosts as { appliedPolicyVersion: string }[];
  assert.equal(hosts.filter((h) => h.appliedPolicyVersion === 'ui-rollouts@1').length, HOSTS);
  assert.match((await back.textContent()) ?? '', /Roll forward to ui-rollouts@2/);
  // The hosts run v1 again: that is the live version, nothing rolling out.
  await listed.getByText('v2 · live v1', { exact: true }).waitFor();
});

test('send test delivery: a real POST to the receiver, its status and latency; a failing receiver is named', {
  skip,
}, async () => {
  const bodies: string[] = [];
  let code = 204;
  const srv: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      bodies.push(b);
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    await adminApi(demo, 'POST', '/api/webhooks', { name: 'receiver', url });
    await page.goto(`${demo.httpUrl}/settings`);
    const row = page.locator('[data-testid="webhooks"] tbody tr', { hasText: 'receiver' });
    await row.getByRole('button', { name: 'Send a test delivery to receiver' }).click();
    const result = row.getByRole('status');
    await result.getByText(/^Delivered: HTTP 204 in [\d.]+ ms$/).waitFor();
    assert.equal(bodies.length, 1);
    assert.equal(JSON.parse(bodies[0]!).alerts[0].labels.alertname, 'HomeostatTestDelivery');
    code = 500;
    await row.getByRole('button', { name: 'Send a test delivery to receiver' }).click();
    await result.getByText(/^Failed: HTTP 500 in [\d.]+ ms$/).waitFor();
    assert.equal(bodies.length, 2);
  } finally {
    await new Promise((r) => srv.close(r));
  }
});
