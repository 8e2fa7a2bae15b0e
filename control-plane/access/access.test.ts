import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessFor, ROUTE_ROLES } from './route-table.ts';
import { roleAtLeast, weakerRole, asRole } from './roles.ts';
import { auditToCsv, auditToJsonLines, type AuditEntry } from './audit-log.ts';

test('route table: patterns match one segment per param, unknown API routes need admin, assets are public', () => {
  assert.deepEqual(accessFor('GET', '/api/policies/web/versions/3'), {
    access: 'viewer',
    pattern: '/api/policies/:id/versions/:version',
  });
  assert.deepEqual(accessFor('POST', '/api/policies/web/publish'), {
    access: 'operator',
    pattern: '/api/policies/:id/publish',
  });
  assert.equal(accessFor('HEAD', '/api/hosts').access, 'viewer');
  assert.equal(accessFor('GET', '/api/models/anomaly@1/file').access, 'agent');
  assert.equal(accessFor('DELETE', '/api/policies/web').access, 'admin');
  assert.equal(accessFor('GET', '/api/policies/a/b/c/d').access, 'admin');
  assert.equal(accessFor('GET', '/metrics').access, 'viewer');
  assert.equal(accessFor('GET', '/assets/index.js').access, 'public');
  const keys = ROUTE_ROLES.map(([m, p]) => `${m} ${p}`);
  assert.equal(new Set(keys).size, keys.length, 'no route listed twice');
});

test('roles are ordered; a token never exceeds its owner; unknown stored roles are least privilege', () => {
  assert.ok(
    roleAtLeast('admin', 'operator') && roleAtLeast('operator', 'viewer') && !roleAtLeast('viewer', 'operator'),
  );
  assert.equal(weakerRole('admin', 'viewer'), 'viewer');
  assert.equal(asRole('root'), 'viewer');
});

test('audit export: CSV quotes commas, quotes and newlines; JSON lines carry ISO times', () => {
  const e: AuditEntry = {
    id: '1',
    at: Date.UTC(2026, 0, 1),
    actor: 'user:a,b',
    actorType: 'user',
    action: 'note',
    target: null,
    detail: { text: 'say "hi"\nnow' },
  };
  assert.equal(
    auditToCsv([e]),
    'id,time,actor,actorType,action,target,detail\r\n1,2026-01-01T00:00:00.000Z,"user:a,b",user,note,,"{""text"":""say \\""hi\\""\\nnow""}"\r\n',
  );
  assert.equal(JSON.parse(auditToJsonLines([e]).trim()).time, '2026-01-01T00:00:00.000Z');
  assert.equal(auditToJsonLines([]), '');
});
