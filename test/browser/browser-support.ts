/**
 * Shared pieces of the admin-UI browser tests: Debian's chromium through playwright-core, a demo control plane with a
 * small simulated fleet on ephemeral 127.0.0.1 ports (real enroll, MQTT, ingest, fleet module, web UI from web/dist,
 * built first when missing), users of each role created through the API, and password sign-in.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo, type Demo, type DemoOptions } from '../../control-plane/compose/demo-command.ts';
import { DEFAULT_WEB_DIST } from '../../control-plane/api/web-static.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const skipWithoutChromium = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install -y chromium)`;

/** Builds web/dist when it is missing (the tests serve the built UI, as `homeostat demo` does). */
export function ensureWebBuilt(): void {
  if (existsSync(join(DEFAULT_WEB_DIST, 'index.html'))) return;
  const r = spawnSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
  assert.equal(r.status, 0, 'web/build.mjs');
}

/** A demo (control plane + UI + `agents` simulated hosts) in a temp data dir (`demo.dataDir`); `overrides` replace
 * the defaults (1 s cycle, no fault schedule, a 1 s fleet tick). */
export async function startSmallDemo(
  agents: number,
  prefix: string,
  overrides: Partial<Omit<DemoOptions, 'agents' | 'dataDir'>> = {},
): Promise<Demo> {
  ensureWebBuilt();
  return startDemo(
    {
      agents,
      dataDir: mkdtempSync(join(tmpdir(), prefix)),
      httpPort: 0,
      mqttPort: 0,
      wsPort: 0,
      cycleSeconds: 1,
      schedule: false,
      fleet: { tickMs: 1000 },
      ...overrides,
    },
    pino({ level: 'silent' }),
  );
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Calls the API as the demo's admin (API token). */
export async function adminApi(demo: Demo, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${demo.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${demo.admin.apiToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Creates a user with `role` (password `<name>-password-1`). */
export async function createUser(demo: Demo, username: string, role: 'admin' | 'operator' | 'viewer') {
  await adminApi(demo, 'POST', '/api/users', { username, password: `${username}-password-1`, role });
  return { username, password: `${username}-password-1` };
}

/** A fresh browser context signed in with a password at `width`×`height`; confirm() dialogs are accepted. */
export async function signedInPage(
  browser: Browser,
  demo: Demo,
  user: { username: string; password?: string },
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${demo.httpUrl}/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password ?? '');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('who').waitFor();
  return { context, page };
}

/** Polls `check` every 250 ms until it returns a truthy value (returned), or throws naming `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  ms = 90_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The bundled anomaly model's graph and card (models/anomaly), to upload under another version. */
export const ANOMALY_ONNX = readFileSync(new URL('../../models/anomaly/anomaly-multi.onnx', import.meta.url));
export const ANOMALY_CARD = JSON.parse(
  readFileSync(new URL('../../models/anomaly/anomaly-multi.card.json', import.meta.url), 'utf8'),
) as { version: string } & Record<string, unknown>;

/** Uploads the shipped anomaly graph under `version` as the demo's admin (`anomaly-multi@<version>`). */
export async function uploadAnomalyModel(demo: Demo, version: string): Promise<void> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(ANOMALY_ONNX)]), 'anomaly-multi.onnx');
  form.set('card', JSON.stringify({ ...ANOMALY_CARD, version }));
  const res = await fetch(`${demo.httpUrl}/api/models`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${demo.admin.apiToken}` },
  });
  assert.equal(res.status, 201, await res.text());
}
