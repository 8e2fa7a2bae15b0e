/** The contracts every SessionRepository and RoleRepository pass (run by repositories.test.ts, SQLite + PostgreSQL). */
import assert from 'node:assert/strict';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { RoleRepository } from './role-repository.ts';
import type { SessionRepository } from './session-repository.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

export function runSessionRepositoryContract(
  backend: string,
  open: OpenRepository<SessionRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('SessionRepository', backend, open, skip);
  t('create, get, touch (sliding), delete one, delete every session of a user', async (r) => {
    const s = { id: 'digest-1', userId: 'u-1', createdAt: at(0), expiresAt: at(3600), lastSeenAt: at(0) };
    assert.deepEqual(await r.create(s), s);
    await r.create({ ...s, id: 'digest-2' });
    await r.create({ ...s, id: 'digest-3', userId: 'u-2' });
    assert.deepEqual(await r.get('digest-1'), s);
    assert.equal(await r.touch('digest-1', at(120), at(3720)), true);
    assert.deepEqual(await r.get('digest-1'), { ...s, lastSeenAt: at(120), expiresAt: at(3720) });
    assert.equal(await r.touch('nope', at(1), at(2)), false);
    await r.delete('digest-1');
    await r.delete('digest-1');
    assert.equal(await r.get('digest-1'), null);
    assert.equal(await r.deleteForUser('u-1'), 1);
    assert.equal((await r.get('digest-3')) !== null, true);
  });
}

export function runRoleRepositoryContract(
  backend: string,
  open: OpenRepository<RoleRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('RoleRepository', backend, open, skip);
  t('no row is null; set creates then replaces, for users and tokens independently', async (r) => {
    assert.deepEqual([await r.userRole('u-1'), await r.tokenRole('tok-1')], [null, null]);
    await r.setUserRole('u-1', 'viewer', at(0));
    await r.setUserRole('u-1', 'operator', at(1));
    await r.setTokenRole('tok-1', 'viewer');
    await r.setTokenRole('tok-1', 'admin');
    assert.deepEqual(
      [await r.userRole('u-1'), await r.tokenRole('tok-1'), await r.userRole('tok-1')],
      ['operator', 'admin', null],
    );
  });
}
