/**
 * Issue 17 item 4: an incident's assignee is set and cleared through `POST /api/incidents/:id/assign` (operators),
 * stored with the incident, noted in its timeline and audited; a viewer is refused, bad input is a 400, an unknown
 * incident a 404, and a resolved incident (no longer followed by the correlator) can still be re-assigned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startAgent, startFleet, until, type SimAgent } from './fleet-harness.ts';

test('incident assignee: set, cleared, stored, audited, role-checked', async () => {
  const rig = await startFleet({ incidents: { correlator: { minScore: 2.5 } } });
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 16; i++) agents.push(await startAgent(rig, `a${i}`, { rack: `r${Math.floor(i / 4)}` }));
    for (const a of agents.slice(4, 8)) await a.emit(rig.clock.t, { type: 'anomaly.detected', data: { feature: 'x' } });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 4, 'events stored');
    await rig.fleet.services.incidents.tick();
    const [incident] = (await api(rig.t, 'GET', '/api/incidents?status=open')).body.incidents;
    assert.ok(incident, 'one open incident');
    const id = incident.id as string;
    assert.equal(incident.assignee ?? null, null);

    const set = await api(rig.t, 'POST', `/api/incidents/${id}/assign`, { assignee: 'alice' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual([set.body.assignee.name, set.body.assignee.by], ['alice', 'admin']);
    assert.ok(set.body.timeline.some((t: { kind: string; text: string }) => t.text === 'assigned to alice'));
    assert.equal((await api(rig.t, 'GET', `/api/incidents/${id}`)).body.assignee.name, 'alice');

    // A viewer may read but not assign.
    const user = await api(rig.t, 'POST', '/api/users', {
      username: 'vic',
      password: 'vic-password-1',
      role: 'viewer',
    });
    const tok = await api(rig.t, 'POST', `/api/users/${user.body.id}/tokens`, { name: 'v', role: 'viewer' });
    const refused = await api(rig.t, 'POST', `/api/incidents/${id}/assign`, { assignee: 'vic' }, tok.body.token);
    assert.equal(refused.status, 403);

    assert.equal((await api(rig.t, 'POST', `/api/incidents/${id}/assign`, { assignee: '' })).status, 400);
    assert.equal((await api(rig.t, 'POST', `/api/incidents/${id}/assign`, {})).status, 400);
    assert.equal((await api(rig.t, 'POST', '/api/incidents/nope/assign', { assignee: 'x' })).status, 404);

    const cleared = await api(rig.t, 'POST', `/api/incidents/${id}/assign`, { assignee: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.assignee, null);
    assert.ok(cleared.body.timeline.some((t: { text: string }) => t.text === 'unassigned (was alice)'));

    // Resolved: the stored copy still takes an assignee.
    assert.equal((await api(rig.t, 'POST', `/api/incidents/${id}/resolve`)).status, 200);
    const late = await api(rig.t, 'POST', `/api/incidents/${id}/assign`, { assignee: 'bob' });
    assert.equal(late.status, 200);
    assert.deepEqual([late.body.status, late.body.assignee.name], ['resolved', 'bob']);

    const audit = (await api(rig.t, 'GET', `/api/audit?action=incident.assigned&target=${id}`)).body.entries;
    // One entry per change (the fake clock gives them one time, so compared as a set).
    assert.deepEqual(
      audit
        .map((e: { detail: { assignee: string | null; previous: string | null } }) =>
          JSON.stringify([e.detail.assignee, e.detail.previous]),
        )
        .sort(),
      ['["alice",null]', '["bob",null]', '[null,"alice"]'],
    );
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});
