/**
 * The Enrollment page against real control planes (in-process, web UI from web/dist) in Debian's chromium: the
 * install one-liner carries the advertised URL and a new token, a loopback advertised URL is warned about (and a
 * configured one is not), the copy button puts exactly the command on the clipboard, and each token lists the hosts
 * it enrolled. Skipped, with the reason, when /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { createWebUi } from '../../control-plane/api/web-ui.ts';
import { createControlPlaneWithFleet, type ControlPlaneWithFleet } from '../../control-plane/fleet/with-fleet.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium)`;
const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');

type Running = {
  cp: ControlPlaneWithFleet;
  url: string;
  admin: { username: string; password: string };
  stop(): Promise<void>;
};

async function startControlPlane(dataDir: string, advertisedUrl?: string): Promise<Running> {
  const ui = createWebUi();
  const cp = await createControlPlaneWithFleet({
    dataDir,
    httpPort: 0,
    mqttPort: 0,
    wsPort: 0,
    ...(advertisedUrl ? { advertisedUrl } : {}),
    logger: pino({ level: 'silent' }),
    mounts: ui.mounts,
  });
  const started = await cp.start();
  ui.start(cp);
  return {
    cp,
    url: started.httpUrl,
    admin: started.adminCredentials!,
    stop: async () => {
      await ui.stop();
      await cp.stop();
    },
  };
}

describe('Enrollment page', { skip }, () => {
  const dirs: string[] = [];
  const running: Running[] = [];
  let browser: Browser;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    for (const r of running) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function open(advertisedUrl?: string): Promise<{ page: Page; r: Running }> {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-enroll-page-'));
    dirs.push(dir);
    const r = await startControlPlane(dir, advertisedUrl);
    running.push(r);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: r.url });
    const page = await context.newPage();
    await page.goto(`${r.url}/`);
    await page.getByLabel('Username').fill(r.admin.username);
    await page.getByLabel('Password').fill(r.admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Enrollment', exact: true }).click();
    await page.getByRole('heading', { name: 'Enrollment', level: 1 }).waitFor();
    return { page, r };
  }

  it('shows the one-liner with a new token, warns about a loopback URL, copies, lists enrolled hosts', async () => {
    const { page, r } = await open();
    const command = page.getByTestId('enroll-command');
    await command.waitFor();
    assert.equal(await command.textContent(), `curl -fsSL ${r.url}/install.sh | sudo sh -s -- --token <TOKEN>`);
    const warning = page.getByTestId('advertised-url-warning');
    await warning.waitFor();
    assert.match((await warning.textContent()) ?? '', /loopback address: other servers cannot reach it.*advertisedUrl/);

    await page.getByLabel('Labels for enrolled hosts').fill('role=web');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="enroll-command"]')?.textContent?.includes('<TOKEN>'),
    );
    const text = (await command.textContent()) ?? '';
    const token = /--token (het_\S+)$/.exec(text)?.[1];
    assert.ok(token, text);
    await page.getByRole('button', { name: 'Copy command' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);

    // a host enrolls with that token: the token's row names it
    const res = await fetch(`${r.url}/api/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, hostname: 'web-01.example', agentVersion: '0.1.0' }),
    });
    assert.equal(res.status, 201);
    await page.reload();
    await page.getByRole('link', { name: 'web-01.example' }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'enroll-install.png'), fullPage: true });
  });

  it('uses the configured advertised URL, without a warning', async () => {
    const { page } = await open('https://cp.example.com:8443');
    const command = page.getByTestId('enroll-command');
    await command.waitFor();
    assert.equal(
      await command.textContent(),
      'curl -fsSL https://cp.example.com:8443/install.sh | sudo sh -s -- --token <TOKEN>',
    );
    assert.equal(await page.getByTestId('advertised-url-warning').count(), 0);
    assert.match((await page.getByTestId('key-sha256').textContent()) ?? '', /^[0-9a-f]{64}$/);
  });
});
