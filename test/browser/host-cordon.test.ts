/**
 * Cordon in Debian's chromium against a real demo (3 simulated hosts): an operator cordons a host from its page (the
 * dialog asks why), a viewer's overview shows the Cordoned badge live, finds it with the "cordoned" filter and sees the
 * change in the live event feed (also on a page whose stream never opens: the host list tells it), but gets no buttons
 * on the host page; a policy rollout skips the cordoned host and its card says so; Uncordon lifts it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import {
  adminApi,
  createUser,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
  startSmallDemo,
} from './browser-support.ts';

const POLICY =
  'policies:\n  - name: restart-nginx\n    when: { service: nginx, for: 30s }\n    do:\n      - type: restart-service\n        service: nginx\n';
let demo: Demo;
let browser: Browser;
let operator: Page;
let viewer: Page;

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(3, 'homeostat-cordon-');
  browser = await launchChromium();
  operator = (await signedInPage(browser, demo, await createUser(demo, 'oper', 'operator'))).page;
  viewer = (await signedInPage(browser, demo, await createUser(demo, 'vera', 'viewer'))).page;
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('cordon from the host page, badge and filter on the overview, a rollout skips the host, uncordon', {
  skip,
}, async () => {
  const host = demo.fleet.hosts[1]!;
  // The Now strip's cordon lines. The stream feed publishes a `cordon` event once, at the poll (every 5 s) that sees the
  // change, to the streams open then; a page whose stream was not open misses it, and its line then comes from the next
  // host-list answer (web/src/api/cordon-changes.ts; the overview refetches the list every 15 s), so the waits are
  // generous.
  const liveLine = (page: Page, text: string) =>
    page.getByTestId('live-cordon').getByText(text).waitFor({ timeout: 60_000 });
  const cordonedLine = `${host.hostname}: cordoned by oper: disk swap at 14:00`;
  const others = demo.fleet.hosts.filter((h) => h !== host);
  // The viewer watches the overview the whole time: what changes must reach it live.
  await viewer.goto(`${demo.httpUrl}/`);
  await viewer.getByTestId('host-count').getByText('3').waitFor();
  assert.equal(await viewer.getByTestId('cordoned-count').textContent(), '0');
  // A second overview of the viewer's whose live stream never opens (as if still connecting when the feed published).
  const unstreamed = await viewer.context().newPage();
  await unstreamed.route('**/api/stream', (route) => route.abort());
  await unstreamed.goto(`${demo.httpUrl}/`);
  await unstreamed.getByTestId('host-count').getByText('3').waitFor();

  await operator.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await operator.getByRole('heading', { name: host.hostname, level: 1 }).waitFor();
  await operator.getByRole('button', { name: 'Cordon…' }).click();
  const dialog = operator.getByRole('alertdialog');
  await dialog.getByText(`Cordon ${host.hostname}?`).waitFor();
  const confirm = dialog.getByRole('button', { name: `Cordon ${host.hostname}` });
  assert.ok(await confirm.isDisabled(), 'no cordon without a reason');
  await dialog.getByLabel('Reason').fill('disk swap at 14:00');
  await confirm.click();
  const state = operator.getByRole('status').filter({ hasText: 'Cordoned' });
  await state.getByText(/by oper .*: disk swap at 14:00/).waitFor();
  await operator.getByRole('button', { name: 'Uncordon' }).waitFor();
  const stored = (await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).cordon;
  assert.deepEqual([stored.by, stored.source, stored.reason], ['oper', 'user', 'disk swap at 14:00']);

  // The viewer's overview: badge in the host's row, the count, the live feed, and the filter.
  const row = viewer.locator(`tr[data-host="${host.hostname}"]`);
  await row.getByTestId('cordon').getByText('Cordoned').waitFor({ timeout: 60_000 });
  assert.equal(await viewer.getByTestId('cordoned-count').textContent(), '1');
  await liveLine(viewer, cordonedLine);
  // Without a stream the badge and the line both come from the host list.
  await liveLine(unstreamed, cordonedLine);
  await unstreamed.close();
  await viewer.getByLabel('Status').selectOption('cordoned');
  await viewer.getByText('1 of 3 hosts shown').waitFor();
  assert.deepEqual(await viewer.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.host)), [
    host.hostname,
  ]);

  // A viewer sees the state on the host page, and no button.
  await viewer.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await viewer
    .getByRole('status')
    .getByText(/by oper .*: disk swap at 14:00/)
    .waitFor();
  assert.equal(await viewer.getByRole('button', { name: /Cordon|Uncordon/ }).count(), 0);

  // A rollout skips the cordoned host and says so.
  await adminApi(demo, 'POST', '/api/policies/cordon-ui/versions', { source: POLICY });
  const ro = await adminApi(demo, 'POST', '/api/policies/cordon-ui/publish', { version: 1, percents: [100] });
  assert.deepEqual(ro.skippedCordoned, [host.agentId]);
  assert.deepEqual(ro.waves.flat().sort(), others.map((h) => h.agentId).sort());
  await operator.goto(`${demo.httpUrl}/policies/cordon-ui`);
  await operator
    .getByTestId('dry-run')
    .getByText(/^Dry run: 2 of 3 hosts match: .* \(1 more cordoned: skipped\)$/)
    .waitFor();
  await operator
    .locator(`article[data-rollout="${ro.id}"]`)
    .getByTestId('skipped-cordoned')
    .getByText('1 host(s) skipped: cordoned (not sent this version).')
    .waitFor();

  // Uncordon: the badge goes, here and (live) on the viewer's overview.
  await viewer.goto(`${demo.httpUrl}/?health=cordoned`);
  await viewer.getByText('1 of 3 hosts shown').waitFor();
  await operator.goto(`${demo.httpUrl}/hosts/${host.agentId}`);
  await operator.getByRole('button', { name: 'Uncordon' }).click();
  await operator.getByRole('button', { name: 'Cordon…' }).waitFor();
  assert.equal(await operator.getByTestId('cordon').count(), 0);
  assert.equal((await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`)).cordon, null);
  await viewer.getByText('0 of 3 hosts shown').waitFor({ timeout: 60_000 });
  await liveLine(viewer, `${host.hostname}: uncordoned`);
});
