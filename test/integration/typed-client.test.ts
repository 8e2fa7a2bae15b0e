/**
 * The web UI's API through the typed client: `hc<AppType>` against a real control plane with the fleet module
 * (SQLite, Aedes, HTTP on loopback) and simulated agents over MQTT. Every route the UI calls (web/src/api/api.ts) is
 * exercised; each answer's status is asserted and its body parsed with the contract schema it is typed by
 * (contract/api/*), and must equal the parse (no field the schema does not describe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hc, type ClientResponse } from 'hono/client';
import type { z } from 'zod';
import type { AppType } from '../../control-plane/api/app.ts';
import { Deleted } from '../../contract/api/common.ts';
import { EventList, Host, HostList, SampleList } from '../../contract/api/hosts.ts';
import { HostLoss } from '../../contract/api/host-loss.ts';
import { CreatedEnrollmentToken, EnrollmentToken, EnrollmentTokenList } from '../../contract/api/tokens.ts';
import {
  ApiTokenList,
  AuditList,
  CreatedApiToken,
  LoggedIn,
  LoggedOut,
  Me,
  RevokedApiToken,
  User,
  UserList,
} from '../../contract/api/access.ts';
import { DryRun, PolicyList, PolicyVersion, PolicyVersionList } from '../../contract/api/policies.ts';
import { Rollout, RolloutComparison, RolloutList } from '../../contract/api/rollouts.ts';
import { Model, ModelList } from '../../contract/api/models.ts';
import { Approval, ApprovalList, Incident, IncidentList } from '../../contract/api/incidents.ts';
import { startAgent, startFleet, until, type SimAgent } from './fleet-harness.ts';

const POLICY_V1 = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do: [ { type: restart-service, service: nginx } ]
`;
const POLICY_V2 = POLICY_V1.replace('for: 10s', 'for: 1s');
const onnx = readFileSync(new URL('../../models/anomaly/anomaly-uni.onnx', import.meta.url));
const card = JSON.parse(readFileSync(new URL('../../models/anomaly/anomaly-uni.card.json', import.meta.url), 'utf8'));

/** Every route web/src/api/api.ts calls, as `METHOD /path` with `:id` parameters. */
const UI_ROUTES = [
  'GET /api/session',
  'POST /api/session',
  'DELETE /api/session',
  'GET /api/hosts',
  'GET /api/hosts/:id',
  'GET /api/hosts/:id/samples',
  'GET /api/hosts/:id/events',
  'GET /api/hosts/:id/loss',
  'PUT /api/hosts/:id/labels',
  'POST /api/hosts/:id/cordon',
  'POST /api/hosts/:id/uncordon',
  'GET /api/incidents',
  'GET /api/incidents/:id',
  'POST /api/incidents/:id/ack',
  'POST /api/incidents/:id/annotate',
  'POST /api/incidents/:id/resolve',
  'GET /api/policies',
  'GET /api/policies/:id/versions',
  'POST /api/policies/:id/versions',
  'POST /api/policies/:id/dry-run',
  'POST /api/policies/:id/publish',
  'GET /api/rollouts',
  'POST /api/rollouts/:id/halt',
  'POST /api/rollouts/:id/rollback',
  'POST /api/rollouts/:id/resume',
  'GET /api/rollouts/:id/comparison',
  'GET /api/models',
  'POST /api/models',
  'POST /api/models/:id/publish',
  'GET /api/approvals',
  'POST /api/approvals/:id/decide',
  'GET /api/tokens',
  'POST /api/tokens',
  'DELETE /api/tokens/:id',
  'GET /api/users',
  'POST /api/users',
  'PATCH /api/users/:id',
  'GET /api/api-tokens',
  'POST /api/api-tokens',
  'DELETE /api/api-tokens/:id',
  'GET /api/audit',
];

/** Awaits a typed call, asserts its status and returns the body parsed with `schema` (which must not drop a field). */
async function expect<S extends z.ZodType>(
  request: Promise<ClientResponse<unknown, number, string>>,
  status: number,
  schema: S,
) {
  const res = await request;
  const text = await res.text();
  assert.equal(res.status, status, `${res.url}: ${text}`);
  const raw: unknown = JSON.parse(text);
  const parsed = schema.parse(raw);
  assert.deepEqual(parsed, raw, `${res.url}: the answer carries fields its schema does not describe`);
  return parsed as z.output<S>;
}

test('typed client: every route the web UI uses answers with the shape of its contract schema', async () => {
  const rig = await startFleet({ incidents: { correlator: { minScore: 2.5 } } });
  const agents: SimAgent[] = [];
  const called = new Set<string>();
  const base = rig.t.urls.httpUrl;
  // Records `METHOD /path` of every request; the ids the test used are turned back into `:id`.
  const ids = new Set<string>();
  const record: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname
      .split('/')
      .map((p) => (ids.has(decodeURIComponent(p)) ? ':id' : p))
      .join('/');
    called.add(`${(init?.method ?? 'GET').toUpperCase()} ${path}`);
    return fetch(input, init);
  };
  const id = <T extends string>(v: T): T => (ids.add(v), v);
  const admin = hc<AppType>(base, { fetch: record, headers: { authorization: `Bearer ${rig.t.adminToken}` } }).api;
  try {
    for (let i = 0; i < 16; i++) agents.push(await startAgent(rig, `n${i}`, { rack: `r${Math.floor(i / 4)}` }));
    const a0 = agents[0]!;
    id(a0.agentId);

    // Session: password sign-in sets the cookie; the cookie then identifies the user; sign-out clears it.
    const password = rig.t.urls.adminCredentials!.password;
    const login = await admin.session.$post(
      { json: { username: 'admin', password } },
      { headers: { authorization: '' } },
    );
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    await expect(Promise.resolve(login), 200, LoggedIn);
    const bySession = hc<AppType>(base, { fetch: record, headers: { cookie } }).api;
    const me = await expect(bySession.session.$get(), 200, Me);
    assert.deepEqual(me.kind === 'user' && [me.username, me.role, me.via], ['admin', 'admin', 'session']);
    await expect(bySession.session.$delete(), 200, LoggedOut);
    assert.equal((await bySession.session.$get()).status, 401);
    const viaToken = await expect(admin.session.$get(), 200, Me);
    assert.equal(viaToken.kind === 'user' && viaToken.via, 'token');

    // Hosts and their telemetry.
    await a0.sample(rig.clock.t, 100);
    await a0.emit(rig.clock.t, {
      type: 'heal.approval-requested',
      message: 'policy restart-db waits for approval',
      data: { policy: 'restart-db', requestId: 'rq-1', actions: [{ type: 'restart-service' }] },
    });
    const rack1 = agents.slice(4, 8);
    for (const a of rack1) await a.emit(rig.clock.t, { type: 'anomaly.detected', data: { feature: 'temp.cpu' } });
    const samples = await until(async () => {
      const query = { since: '0', limit: '5000' };
      const r = await expect(admin.hosts[':id'].samples.$get({ param: { id: a0.agentId }, query }), 200, SampleList);
      return r.samples.length === 1 ? r.samples : null;
    }, 'sample stored');
    assert.equal(samples[0]!.scores?.anomaly?.score, 0);
    const events = await until(async () => {
      const query = { limit: '500' };
      const r = await expect(admin.hosts[':id'].events.$get({ param: { id: a0.agentId }, query }), 200, EventList);
      return r.events.length === 1 ? r.events : null;
    }, 'event stored');
    assert.equal(events[0]!.type, 'heal.approval-requested');
    for (const a of rack1) {
      const stored = async () =>
        (await (await admin.hosts[':id'].events.$get({ param: { id: a.agentId }, query: {} })).json()).events;
      await until(async () => (await stored()).length === 1, 'rack event');
    }
    const hosts = await expect(admin.hosts.$get({ query: {} }), 200, HostList);
    assert.equal(hosts.hosts.length, 16);
    const host = await expect(admin.hosts[':id'].$get({ param: { id: a0.agentId } }), 200, Host);
    assert.deepEqual([host.hostname, host.labels, host.anomaly, host.openIncidents], ['n0', { rack: 'r0' }, 0, 0]);
    const loss = await expect(admin.hosts[':id'].loss.$get({ param: { id: a0.agentId } }), 200, HostLoss);
    assert.equal(loss.unexplained, 0);

    // Incidents and approvals come out of one correlation round.
    await rig.fleet.tick();
    const incidents = await expect(admin.incidents.$get({ query: { status: 'open' } }), 200, IncidentList);
    assert.equal(incidents.incidents.length, 1);
    const incidentId = id(incidents.incidents[0]!.id);
    assert.deepEqual([incidents.incidents[0]!.key, incidents.incidents[0]!.value], ['rack', 'r1']);
    await expect(admin.incidents[':id'].$get({ param: { id: incidentId } }), 200, Incident);
    const acked = await expect(admin.incidents[':id'].ack.$post({ param: { id: incidentId } }), 200, Incident);
    assert.equal(acked.acknowledged?.by, 'admin');
    const note = { param: { id: incidentId }, json: { note: 'CRAC-2 tripped' } };
    const noted = await expect(admin.incidents[':id'].annotate.$post(note), 200, Incident);
    assert.deepEqual(
      noted.timeline.map((t) => t.kind),
      ['opened', 'acknowledged', 'note'],
    );
    const resolved = await expect(admin.incidents[':id'].resolve.$post({ param: { id: incidentId } }), 200, Incident);
    assert.equal(resolved.status, 'resolved');
    const approvals = await expect(admin.approvals.$get({ query: { status: 'pending' } }), 200, ApprovalList);
    assert.deepEqual(
      approvals.approvals.map((a) => [a.source, a.hostId, a.status]),
      [['policy', a0.agentId, 'pending']],
    );
    const approvalId = id(approvals.approvals[0]!.id);
    const decision = { param: { id: approvalId }, json: { approved: true, reason: 'drained' } };
    const decided = await expect(admin.approvals[':id'].decide.$post(decision), 200, Approval);
    assert.deepEqual([decided.status, decided.decidedBy], ['approved', 'admin']);

    // Policies: save (creates the set), list, versions, dry run, publish; a second version, publish, halt, roll back.
    const save1 = { param: { id: id('web') }, json: { source: POLICY_V1, comment: 'first' } };
    const v1 = await expect(admin.policies[':id'].versions.$post(save1), 201, PolicyVersion);
    assert.equal(v1.id, 'web@1');
    const policies = await expect(admin.policies.$get(), 200, PolicyList);
    assert.deepEqual(
      policies.policies.map((p) => [p.name, p.latestVersion]),
      [['web', 1]],
    );
    const dryRun = { param: { id: 'web' }, json: { selector: 'rack=r1' } };
    const dry = await expect(admin.policies[':id']['dry-run'].$post(dryRun), 200, DryRun);
    assert.deepEqual(new Set(dry.hosts), new Set(rack1.map((a) => a.agentId)));
    const publish1 = { param: { id: 'web' }, json: { version: 1, selector: '', percents: [100], soak: '1m' } };
    const first = await expect(admin.policies[':id'].publish.$post(publish1), 201, Rollout);
    assert.deepEqual(
      // A first publish rolls back to "no policy" (web@0).
      [first.kind, first.version, first.previousVersion, first.waves.flat().length],
      ['policy', 'web@1', 'web@0', 16],
    );
    await expect(
      admin.policies[':id'].versions.$post({ param: { id: 'web' }, json: { source: POLICY_V2 } }),
      201,
      PolicyVersion,
    );
    const versions = await expect(
      admin.policies[':id'].versions.$get({ param: { id: 'web' } }),
      200,
      PolicyVersionList,
    );
    assert.deepEqual(
      versions.versions.map((v) => v.version),
      [2, 1],
    );
    const publish2 = { param: { id: 'web' }, json: { version: 2, selector: '', percents: [50, 100] } };
    const second = await expect(admin.policies[':id'].publish.$post(publish2), 201, Rollout);
    assert.equal(second.previousVersion, 'web@1');
    const halted = await expect(admin.rollouts[':id'].halt.$post({ param: { id: id(second.id) } }), 200, Rollout);
    assert.equal(halted.status, 'halted');
    const compared = await expect(
      admin.rollouts[':id'].comparison.$get({ param: { id: second.id } }),
      200,
      RolloutComparison,
    );
    assert.deepEqual([compared.rollout, compared.treated.hosts + compared.baseline.hosts > 0], [second.id, true]);
    const resumed = await expect(admin.rollouts[':id'].resume.$post({ param: { id: second.id } }), 200, Rollout);
    assert.equal(resumed.status, 'soaking');
    await expect(admin.rollouts[':id'].halt.$post({ param: { id: second.id } }), 200, Rollout);
    const back = await expect(admin.rollouts[':id'].rollback.$post({ param: { id: second.id } }), 201, Rollout);
    assert.equal(back.version, 'web@1');
    const rollouts = await expect(admin.rollouts.$get({ query: {} }), 200, RolloutList);
    assert.equal(rollouts.rollouts.length, 3);

    // Models: upload (multipart, as the UI's XMLHttpRequest sends it), list, publish.
    const form = { file: new File([new Uint8Array(onnx)], 'model.onnx'), card: JSON.stringify(card) };
    const model = await expect(admin.models.$post({ form }), 201, Model);
    assert.equal(model.id, `anomaly-uni@${card.version}`);
    const models = await expect(admin.models.$get(), 200, ModelList);
    assert.deepEqual(
      models.models.map((m) => m.id),
      [model.id],
    );
    const publishModel = {
      param: { id: id(model.id) },
      json: { selector: 'rack=r2', canaries: [rack1[0]!.agentId], percents: [100] },
    };
    const modelRollout = await expect(admin.models[':id'].publish.$post(publishModel), 201, Rollout);
    assert.deepEqual([modelRollout.kind, modelRollout.autoRollback], ['model', true]);
    // A model canary is compared on anomaly scores too (null until a group's samples carry one); a policy is not.
    const modelCompared = await expect(
      admin.rollouts[':id'].comparison.$get({ param: { id: id(modelRollout.id) } }),
      200,
      RolloutComparison,
    );
    for (const g of [modelCompared.treated, modelCompared.baseline]) {
      assert.ok(g.anomalyScore === null || (g.anomalyScore !== undefined && g.anomalyScore.samples > 0));
    }
    assert.equal(compared.treated.anomalyScore, undefined);

    // Enrollment tokens.
    const tokenRequest = { json: { labels: { role: 'db' }, uses: 3, ttl: '24h' } };
    const token = await expect(admin.tokens.$post(tokenRequest), 201, CreatedEnrollmentToken);
    assert.deepEqual([token.state, token.maxUses, token.usesLeft], ['active', 3, 3]);
    const tokens = await expect(admin.tokens.$get(), 200, EnrollmentTokenList);
    assert.ok(tokens.tokens.some((t) => t.id === token.id));
    const revoked = await expect(admin.tokens[':id'].$delete({ param: { id: id(token.id) } }), 200, EnrollmentToken);
    assert.equal(revoked.state, 'revoked');

    // Users and API tokens.
    const newUser = { json: { username: 'olga', password: 'correct horse battery', role: 'viewer' as const } };
    const user = await expect(admin.users.$post(newUser), 201, User);
    const patch = { param: { id: id(user.id) }, json: { role: 'operator' as const } };
    const changed = await expect(admin.users[':id'].$patch(patch), 200, User);
    assert.equal(changed.role, 'operator');
    const users = await expect(admin.users.$get(), 200, UserList);
    assert.deepEqual(
      users.users.map((u) => [u.username, u.role]),
      [
        ['admin', 'admin'],
        ['olga', 'operator'],
      ],
    );
    const own = await expect(admin['api-tokens'].$post({ json: { name: 'ci' } }), 201, CreatedApiToken);
    assert.match(own.token, /^hat_/);
    const ownTokens = await expect(admin['api-tokens'].$get(), 200, ApiTokenList);
    assert.ok(ownTokens.tokens.some((t) => t.id === own.id && t.revokedAt === null));
    await expect(admin['api-tokens'][':id'].$delete({ param: { id: id(own.id) } }), 200, RevokedApiToken);

    // Re-label a host (the host page's Edit labels): replaced as given, stored, audited; a bad key is a worded 400.
    const relabel = { param: { id: id(a0.agentId) }, json: { labels: { rack: 'r0', zone: 'b' } } };
    const relabelled = await expect(admin.hosts[':id'].labels.$put(relabel), 200, Host);
    assert.deepEqual(relabelled.labels, { rack: 'r0', zone: 'b' });
    const reread = await expect(admin.hosts[':id'].$get({ param: { id: a0.agentId } }), 200, Host);
    assert.deepEqual(reread.labels, { rack: 'r0', zone: 'b' });
    const badLabel = await admin.hosts[':id'].labels.$put({
      param: { id: a0.agentId },
      json: { labels: { 'a b': 'c' } },
    });
    assert.equal(badLabel.status, 400);

    // Cordon and uncordon (the host page's Cordon… / Uncordon); a blank reason is a worded 400.
    const cordoned = await expect(
      admin.hosts[':id'].cordon.$post({ param: { id: id(a0.agentId) }, json: { reason: 'disk swap' } }),
      200,
      Host,
    );
    assert.deepEqual([cordoned.cordon?.by, cordoned.cordon?.reason], ['admin', 'disk swap']);
    const uncordoned = await expect(admin.hosts[':id'].uncordon.$post({ param: { id: id(a0.agentId) } }), 200, Host);
    assert.equal(uncordoned.cordon, null);
    const blank = await admin.hosts[':id'].cordon.$post({ param: { id: a0.agentId }, json: { reason: ' ' } });
    assert.equal(blank.status, 400);

    // The host page's audit trail.
    const audit = await expect(admin.audit.$get({ query: { target: 'web@1' } }), 200, AuditList);
    assert.ok(audit.entries.some((e) => e.action === 'policy.created'));

    // Bad input is a worded 400 through the typed client too.
    const bad = await admin.tokens.$post({ json: { labels: {}, uses: 0 } });
    assert.equal(bad.status, 400);

    const missing = UI_ROUTES.filter((r) => !called.has(r));
    assert.deepEqual(missing, [], 'every route the UI uses was exercised');
    // Deleted is the answer shape of silence/webhook deletes (not used by the UI); keep the import honest.
    assert.ok(Deleted.safeParse({ deleted: 'x' }).success);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});
