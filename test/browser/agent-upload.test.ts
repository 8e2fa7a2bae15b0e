/**
 * Uploading an agent version on the Models page's "Agent versions" section in Debian's chromium against a real demo
 * control plane: an admin picks a packaged artifact (`homeostat-agent-<version>-linux-x64.tar.gz`, a real tar.gz) and
 * its detached signature by the control plane's key, sees the confirmation and the version in the table (and the
 * API lists it); a signature by another key is refused by the server, the refusal is shown once under the form and
 * nothing is listed. A model whose card does not match its file is refused the same way: each problem once. An operator
 * sees the versions but no upload form.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import { loadOrCreateSigningKey } from '../../control-plane/keys/signing-key.ts';
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
let work: string;

/** A tar.gz laid out as the packager's (`homeostat-agent-<version>/VERSION`), as bytes. */
function artifact(version: string): Buffer {
  const top = join(work, `homeostat-agent-${version}`);
  mkdirSync(join(top, 'bin'), { recursive: true });
  writeFileSync(join(top, 'VERSION'), `${version}\n`);
  const file = join(work, `${version}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', work, `homeostat-agent-${version}`]);
  return readFileSync(file);
}

/** How many times `text` occurs in `within` (an element's whole textContent, not its innermost matches). */
const occurrences = (within: string | null, text: string) => (within ?? '').split(text).length - 1;

const pick = async (page: Page, version: string, bytes: Buffer, signature: Buffer) => {
  const form = page.getByRole('form', { name: 'Upload an agent version' });
  const name = `homeostat-agent-${version}-linux-x64.tar.gz`;
  await form
    .getByLabel('Agent artifact (.tar.gz)')
    .setInputFiles({ name, mimeType: 'application/gzip', buffer: bytes });
  await form
    .getByLabel('Signature (.sig)')
    .setInputFiles({ name: `${name}.sig`, mimeType: 'application/octet-stream', buffer: signature });
  await form.getByRole('button', { name: 'Upload' }).click();
};

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'hs-agent-upload-'));
  demo = await startSmallDemo(1, 'homeostat-agent-upload-');
  browser = await launchChromium();
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await demo?.stop();
  rmSync(demo.dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('an admin uploads a signed agent version and sees it listed; a bad signature is refused once', {
  skip,
  timeout: 180_000,
}, async () => {
  const key = loadOrCreateSigningKey(demo.dataDir); // the demo control plane's own key (its data dir)
  const { page, context } = await signedInPage(browser, demo, demo.admin);
  try {
    await page.goto(`${demo.httpUrl}/models`);
    await page.getByRole('heading', { name: 'Agent versions' }).waitFor();

    // A signature by another key: the server refuses it, the page says so once, nothing is listed.
    const bad = artifact('9.9.8');
    const other = generateKeyPairSync('ed25519').privateKey;
    await pick(page, '9.9.8', bad, sign(null, bad, other));
    const problem = "does not verify with this control plane's key";
    const alert = page.getByRole('alert').filter({ hasText: problem });
    await alert.waitFor({ timeout: 30_000 });
    assert.equal(await alert.count(), 1);
    const box = await alert.textContent();
    assert.match(box ?? '', /^Uploading homeostat-agent-9\.9\.8-linux-x64\.tar\.gz was rejected:/, 'what failed');
    assert.equal(occurrences(box, problem), 1, `the box says it once: ${box}`);
    assert.equal(occurrences(box, '--data-dir'), 1, `the box gives the fix once: ${box}`);
    assert.equal(await alert.locator('li').count(), 1, 'one problem, one item');
    assert.equal(occurrences(await page.locator('main').textContent(), problem), 1, 'and the page says it once');
    assert.equal(await page.locator('tr[data-agent-version="9.9.8"]').count(), 0);

    // The real signature: confirmed, listed on the page and by the API; the refusal is gone.
    const good = artifact('9.9.9');
    await pick(page, '9.9.9', good, key.sign(good));
    await page
      .getByRole('status')
      .filter({ hasText: 'Uploaded agent 9.9.9 (linux-x64).' })
      .waitFor({ timeout: 30_000 });
    const row = page.locator('tr[data-agent-version="9.9.9"]');
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.textContent()) ?? '', /9\.9\.9linux-x64/);
    assert.equal(await page.getByText("does not verify with this control plane's key").count(), 0);
    const listed = (await adminApi(demo, 'GET', '/api/agent-versions')) as { versions: { version: string }[] };
    assert.ok(listed.versions.some((v) => v.version === '9.9.9'));
    assert.ok(!listed.versions.some((v) => v.version === '9.9.8'));
  } finally {
    await context.close();
  }
});

test('a model whose card does not match its file is refused, each problem shown once', {
  skip,
  timeout: 120_000,
}, async () => {
  const onnx = readFileSync(new URL('../../models/anomaly/anomaly-multi.onnx', import.meta.url));
  const shipped = JSON.parse(
    readFileSync(new URL('../../models/anomaly/anomaly-multi.card.json', import.meta.url), 'utf8'),
  );
  const version = `${shipped.version}-refused`;
  const wrongSha = '0'.repeat(64);
  const card = { ...shipped, version, bytes: 1, sha256: wrongSha };
  const sha = createHash('sha256').update(onnx).digest('hex');
  // The two problems checkModel (control-plane/fleet/model-check.ts) reports for this card, as the box words them.
  const problems = [
    `bytes card says 1, file has ${onnx.length}`,
    `sha256 card says ${wrongSha}, file hashes to ${sha}`,
  ];
  const { page, context } = await signedInPage(browser, demo, demo.admin);
  try {
    await page.goto(`${demo.httpUrl}/models`);
    const form = page.getByRole('region', { name: 'Upload a model' });
    await form
      .getByLabel('ONNX file')
      .setInputFiles({ name: 'anomaly-multi.onnx', mimeType: 'application/octet-stream', buffer: onnx });
    await form.getByLabel('Model card').setInputFiles({
      name: 'anomaly-multi.card.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(card)),
    });
    await form.getByRole('button', { name: 'Upload', exact: true }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    const box = await alert.textContent();
    assert.match(box ?? '', /^Uploading anomaly-multi\.onnx was rejected:/, 'what failed');
    assert.equal(await alert.locator('li').count(), problems.length, box ?? '');
    for (const p of problems) assert.equal(occurrences(box, p), 1, `"${p}" once in: ${box}`);
    const main = await page.locator('main').textContent();
    for (const p of problems) assert.equal(occurrences(main, p.replace(/^\S+ /, '')), 1, `"${p}" once on the page`);
    assert.equal(await page.locator(`tr[data-model="anomaly-multi@${version}"]`).count(), 0);
    const listed = (await adminApi(demo, 'GET', '/api/models')) as { models: { id: string }[] };
    assert.ok(!listed.models.some((m) => m.id === `anomaly-multi@${version}`));
  } finally {
    await context.close();
  }
});

test('an operator sees the agent versions but no upload form', { skip, timeout: 60_000 }, async () => {
  const user = await createUser(demo, 'opal', 'operator');
  const { page, context } = await signedInPage(browser, demo, user);
  try {
    await page.goto(`${demo.httpUrl}/models`);
    await page.locator('tr[data-agent-version="9.9.9"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('form', { name: 'Upload an agent version' }).count(), 0);
  } finally {
    await context.close();
  }
});
