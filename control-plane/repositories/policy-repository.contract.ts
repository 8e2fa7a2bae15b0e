/** The contract every PolicyRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { NewPolicyVersion, PolicyRepository } from './policy-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = new Date('2030-01-01T00:00:00Z');

const doc = (threshold: number) => ({
  policies: [
    {
      name: 'hot-cpu',
      when: { feature: 'cpu.util_pct', op: '>', value: threshold },
      do: [{ type: 'notify', message: 'hot' }],
    },
  ],
});
const version = (threshold: number, author = 'alice', diff: NewPolicyVersion['diff'] = []): NewPolicyVersion => ({
  document: doc(threshold),
  source: `threshold: ${threshold}`,
  format: 'yaml',
  author,
  comment: null,
  diff,
  createdAt: T0,
});

export function runPolicyRepositoryContract(
  backend: string,
  open: OpenRepository<PolicyRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('PolicyRepository', backend, open, skip);

  t(
    'createSet stores version 1 with its document and diff; a second create conflicts and changes nothing',
    async (r) => {
      const diff = [{ path: 'policies[0].name', op: 'added' as const, after: 'hot-cpu' }];
      const v1 = await r.createSet('base', { ...version(90, 'alice', diff), comment: 'first' });
      assert.deepEqual(
        [v1.id, v1.policySetId, v1.version, v1.format, v1.author, v1.comment],
        ['base@1', 'base', 1, 'yaml', 'alice', 'first'],
      );
      assert.deepEqual([v1.document, v1.diff], [doc(90), diff]);
      assert.deepEqual(await r.versionById('base@1'), v1);
      assert.deepEqual(await r.getVersion('base', 1), v1);
      const set = (await r.getSet('base'))!;
      assert.deepEqual(
        [set.id, set.latestVersion, set.createdBy, set.createdAt.toISOString()],
        ['base', 1, 'alice', T0.toISOString()],
      );
      await assert.rejects(
        r.createSet('base', version(50, 'bob')),
        (e: unknown) => e instanceof ConflictError && e.reason === 'exists',
      );
      assert.equal((await r.getSet('base'))!.createdBy, 'alice');
      assert.equal((await r.listVersions('base')).length, 1);
      assert.equal(await r.getSet('nope'), null);
      assert.equal(await r.versionById('base@7'), null);
    },
  );

  t(
    'appendVersion is optimistic: a stale expected version conflicts and writes nothing; concurrent appends: one wins',
    async (r) => {
      await r.createSet('zeta', version(90));
      await r.createSet('base', version(90));
      const v2 = await r.appendVersion('base', 1, version(80, 'bob'));
      assert.deepEqual([v2.id, v2.version, v2.document], ['base@2', 2, doc(80)]);
      await assert.rejects(
        r.appendVersion('base', 1, version(70)),
        (e: unknown) => e instanceof ConflictError && e.reason === 'stale-version',
      );
      await assert.rejects(r.appendVersion('nope', 1, version(70)), NotFoundError);
      assert.deepEqual(
        (await r.listVersions('base')).map((v) => v.id),
        ['base@2', 'base@1'],
      );
      const race = await Promise.allSettled([70, 60, 50].map((n) => r.appendVersion('base', 2, version(n))));
      assert.equal(race.filter((x) => x.status === 'fulfilled').length, 1);
      assert.ok(race.every((x) => x.status === 'fulfilled' || x.reason instanceof ConflictError));
      assert.deepEqual([(await r.getSet('base'))!.latestVersion, (await r.listVersions('base')).length], [3, 3]);
      assert.deepEqual(
        (await r.listSets()).map((s) => s.id),
        ['base', 'zeta'],
      );
    },
  );

  t('a stored document outside the policy language is an error naming the version', async (r, sql) => {
    await r.createSet('base', version(90));
    await sql(`UPDATE "PolicyVersion" SET "document" = '{"policies":[{"name":"x"}]}' WHERE "id" = 'base@1'`);
    await assert.rejects(
      r.versionById('base@1'),
      (e: unknown) => e instanceof StoredDataError && /policy version 'base@1' document/.test(e.message),
    );
  });
}
