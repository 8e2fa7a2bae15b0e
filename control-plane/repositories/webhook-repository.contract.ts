/** The contract every WebhookRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { WebhookRepository } from './webhook-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

export function runWebhookRepositoryContract(
  backend: string,
  open: OpenRepository<WebhookRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('WebhookRepository', backend, open, skip);

  t('create (enabled by default), list oldest first or enabled only, rotate the secret, delete', async (r) => {
    const w1 = await r.create({
      id: 'wh-1',
      name: 'pager',
      url: 'https://pager.example/hook',
      events: ['incident'],
      secret: 's1',
      createdBy: 'alice',
      createdAt: new Date(T0 + 1000),
    });
    assert.deepEqual([w1.enabled, w1.events, w1.secret, w1.createdAt.getTime()], [true, ['incident'], 's1', T0 + 1000]);
    await r.create({
      id: 'wh-0',
      name: 'chat',
      url: 'http://chat.local/in',
      events: [],
      secret: null,
      enabled: false,
      createdBy: 'bob',
      createdAt: new Date(T0),
    });
    assert.deepEqual(
      (await r.list()).map((w) => w.id),
      ['wh-0', 'wh-1'],
    );
    assert.deepEqual(
      (await r.list({ enabledOnly: true })).map((w) => w.id),
      ['wh-1'],
    );
    assert.equal(await r.setSecret('wh-1', 's2'), true);
    assert.equal((await r.get('wh-1'))!.secret, 's2');
    assert.equal(await r.setSecret('wh-nope', 's'), false);
    assert.equal(await r.delete('wh-1'), true);
    assert.equal(await r.delete('wh-1'), false);
    assert.equal(await r.get('wh-1'), null);
  });

  t('stored events outside the known kinds are an error naming the webhook', async (r, sql) => {
    await r.create({
      id: 'wh-1',
      name: 'x',
      url: 'http://x.local/',
      events: ['escalation'],
      secret: null,
      createdBy: 'a',
    });
    await sql(`UPDATE "Webhook" SET "events" = '["everything"]' WHERE "id" = 'wh-1'`);
    await assert.rejects(
      r.list(),
      (e: unknown) => e instanceof StoredDataError && /webhook 'wh-1' events/.test(e.message),
    );
  });
}
