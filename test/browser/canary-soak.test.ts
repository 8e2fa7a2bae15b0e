/**
 * canary-soak: a model canary on the Models page in Debian's chromium against a real demo (4 simulated hosts running
 * the bundled anomaly-multi): an operator publishes the same graph under a new version to one named canary host with
 * a short soak, sees the soak count down and the canary-versus-baseline figures (anomaly score mean and p95 from both
 * groups' samples, alerts, errors, latency), halts it (Roll back is offered although the bundled version was never
 * uploaded), resumes it (the soak starts again), halts again and rolls back; the control plane registers the bundled
 * version as it sends it, and the rollback completes once every host acknowledged it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import {
  ANOMALY_CARD,
  adminApi,
  createUser,
  launchChromium,
  signedInPage,
  skipWithoutChromium as skip,
  startSmallDemo,
  uploadAnomalyModel,
  waitFor,
} from './browser-support.ts';

const HOSTS = 4;
const card = ANOMALY_CARD;
const BUNDLED = `anomaly-multi@${card.version}`;
const CANARY = `anomaly-multi@${card.version}-canary`;
let demo: Demo;
let browser: Browser;
let page: Page;

type ApiHost = { hostname: string; appliedModels: Record<string, string> | null };
const hostsOn = async (version: string) =>
  ((await adminApi(demo, 'GET', '/api/hosts')).hosts as ApiHost[]).filter(
    (h) => `anomaly-multi@${h.appliedModels?.['anomaly-multi'] ?? ''}` === version,
  );

/** The canary and baseline cells of one figure row of the comparison table. */
async function figure(table: Locator, name: string): Promise<[string, string]> {
  const cells = table.locator(`tr[data-figure="${name}"] td`);
  return [((await cells.nth(0).textContent()) ?? '').trim(), ((await cells.nth(1).textContent()) ?? '').trim()];
}

before(async () => {
  if (skip) return;
  demo = await startSmallDemo(HOSTS, 'homeostat-canary-soak-');
  browser = await launchChromium();
  page = (await signedInPage(browser, demo, await createUser(demo, 'otto', 'operator'))).page;
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
});

test('canary-soak: countdown and canary-vs-baseline scores; halt, resume, halt and roll back', { skip }, async () => {
  await waitFor('every host on the bundled model', async () => (await hostsOn(BUNDLED)).length === HOSTS);
  await uploadAnomalyModel(demo, `${card.version}-canary`);
  const canaryHost = (await hostsOn(BUNDLED))[0]!.hostname;

  await page.goto(`${demo.httpUrl}/models`);
  await page.locator(`tr[data-model="${CANARY}"]`).getByRole('button', { name: 'Publish as canary…' }).click();
  await page.getByLabel('Canary hosts (hostnames or ids, comma-separated; first wave)').fill(canaryHost);
  await page.getByLabel('Waves after the canaries (cumulative %)').fill('100');
  await page.getByLabel(/^Soak per wave before the health gate/).fill('2m');
  await page.getByRole('button', { name: 'Start the canary rollout' }).click();
  const rollout = await waitFor('the canary rollout', async () => {
    const all = (await adminApi(demo, 'GET', '/api/rollouts?subject=anomaly-multi')).rollouts as {
      id: string;
      version: string;
      waves: string[][];
      soakMs: number;
    }[];
    return all.find((r) => r.version === CANARY) ?? null;
  });
  assert.deepEqual([rollout.waves.map((w) => w.length), rollout.soakMs], [[1, HOSTS - 1], 120_000]);

  const card$ = page.locator(`article[data-rollout="${rollout.id}"]`);
  await card$.locator('.status-soaking').waitFor();
  // The soak counts down to the health gate: 2 min from when the canary wave was sent (short, yet long enough that
  // the gate does not judge while the test looks).
  await card$
    .getByTestId('soak')
    .getByText(/soaks 120 s; the health gate judges it in [12] min \d+ s\.$/)
    .waitFor();
  const before = (await card$.getByTestId('countdown').textContent()) ?? '';
  // The canary applies the new version; then both groups' samples carry anomaly scores.
  await waitFor('the canary host on the new version', async () => (await hostsOn(CANARY)).length === 1);
  const table = card$.getByTestId('canary-comparison');
  await table.waitFor();
  const number = /^\d\.\d{3}$/;
  await waitFor(
    'anomaly scores for canary and baseline',
    async () => {
      const [mean, p95, hosts] = [
        await figure(table, 'Anomaly score, mean'),
        await figure(table, 'Anomaly score, p95'),
        await figure(table, 'Hosts'),
      ];
      return hosts[0] === '1' && hosts[1] === String(HOSTS - 1) && [...mean, ...p95].every((v) => number.test(v));
    },
    60_000,
  );
  const shots = join(process.cwd(), 'test-artifacts', 'screenshots');
  mkdirSync(shots, { recursive: true });
  await card$.screenshot({ path: join(shots, 'canary-soak.png') });
  for (const name of ['Anomaly alerts per host', 'Errors per host', 'Inference latency p95 (ms)'])
    assert.equal((await figure(table, name)).length, 2, name);
  assert.notEqual((await card$.getByTestId('countdown').textContent()) ?? '', before, 'the countdown ticks');
  // The API says the same as the page.
  const compared = await adminApi(demo, 'GET', `/api/rollouts/${rollout.id}/comparison`);
  assert.ok(compared.treated.anomalyScore.samples > 0 && compared.baseline.anomalyScore.samples > 0);

  await card$.getByRole('button', { name: 'Halt' }).click();
  await card$.locator('.status-halted').waitFor();
  assert.equal(await card$.getByTestId('soak').count(), 0, 'no countdown while halted');
  await table.waitFor(); // the figures stay, to decide on
  // The bundled version was never uploaded, yet it can be rolled back to: the control plane has it (and registers
  // it when it sends it).
  await card$.getByRole('button', { name: `Roll back to ${BUNDLED}` }).waitFor();
  assert.equal(await card$.getByTestId('revert-unavailable').count(), 0);
  await card$.getByRole('button', { name: 'Resume' }).click();
  await card$.locator('.status-soaking').waitFor();
  await card$
    .getByTestId('soak')
    .getByText(/the health gate judges it in [12] min \d+ s\.$/)
    .waitFor();

  await card$.getByRole('button', { name: 'Halt' }).click();
  await card$.locator('.status-halted').waitFor();
  await card$.getByRole('button', { name: `Roll back to ${BUNDLED}` }).click(); // confirm() is accepted
  const back = await waitFor('the rollback rollout', async () => {
    const all = (await adminApi(demo, 'GET', '/api/rollouts?subject=anomaly-multi')).rollouts as {
      id: string;
      rollback?: boolean;
    }[];
    return all.find((r) => r.rollback) ?? null;
  });
  const backCard = page.locator(`article[data-rollout="${back.id}"]`);
  await backCard.locator('.status-completed').waitFor({ timeout: 90_000 });
  assert.match((await backCard.textContent()) ?? '', new RegExp(`acknowledged by all ${HOSTS} host\\(s\\)`));
  assert.equal((await hostsOn(BUNDLED)).length, HOSTS);
  const models = (await adminApi(demo, 'GET', '/api/models')).models as { id: string; uploadedBy: string }[];
  assert.equal(models.find((m) => m.id === BUNDLED)?.uploadedBy, 'system:bundled');
});
