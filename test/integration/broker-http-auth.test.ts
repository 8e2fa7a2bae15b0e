// The HTTP authentication + ACL hook for external brokers (EMQX, VerneMQ, mosquitto-go-auth): every rule of the
// embedded broker, allowed and denied, through real HTTP calls against a running control plane.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_TOPIC_KINDS, agentTopic, commandTopic } from '../../contract/protocol/index.ts';
import { api, enroll, startTestControlPlane, type Enrolled, type TestControlPlane } from '../support/control-plane.ts';

const SECRET = 'broker-hook-secret-0123456789';
const CP = { username: 'homeostat-cp', password: 'cp-password-abcdef' };

describe('broker HTTP auth/ACL hook', () => {
  let t: TestControlPlane;
  let a: Enrolled;
  let b: Enrolled;
  let revoked: Enrolled;
  before(async () => {
    t = await startTestControlPlane({ broker: { httpAuthSecret: SECRET, ...CP } });
    a = await enroll(t, 'hook-a');
    b = await enroll(t, 'hook-b');
    revoked = await enroll(t, 'hook-revoked');
    assert.equal((await api(t, 'POST', `/api/hosts/${revoked.agentId}/revoke`)).status, 200);
  });
  after(() => t.close());

  const call = async (path: string, body: unknown, opts: { secret?: string | null; form?: boolean } = {}) => {
    const secret = opts.secret === undefined ? SECRET : opts.secret;
    const res = await fetch(`${t.urls.httpUrl}/api/broker/${path}`, {
      method: 'POST',
      headers: {
        'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
        ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      },
      body: opts.form
        ? new URLSearchParams(body as Record<string, string>).toString()
        : JSON.stringify(body as Record<string, unknown>),
    });
    return { status: res.status, body: (await res.json()) as { result?: string; is_superuser?: boolean } };
  };
  const auth = (body: unknown, opts?: { secret?: string | null; form?: boolean }) => call('auth', body, opts);
  const acl = (username: string, topic: string, action: string | number, clientid: string = username) =>
    call('acl', { username, clientid, topic, ...(typeof action === 'number' ? { acc: action } : { action }) }).then(
      (r) => r.body.result ?? `status ${r.status}`,
    );

  it('refuses callers without the broker secret', async () => {
    const body = { clientid: a.agentId, username: a.agentId, password: a.secret };
    assert.equal((await auth(body, { secret: null })).status, 401);
    assert.equal((await auth(body, { secret: 'wrong-secret-xxxxxxxxxxxx' })).status, 401);
    assert.equal(
      (await call('acl', { username: a.agentId, topic: 'x', action: 'publish' }, { secret: null })).status,
      401,
    );
  });

  it('authentication: enrolled agents with their secret and client id; the control plane as superuser', async () => {
    const ok = await auth({ clientid: a.agentId, username: a.agentId, password: a.secret });
    assert.deepEqual([ok.status, ok.body], [200, { result: 'allow', is_superuser: false }]);
    const form = await auth({ clientid: b.agentId, username: b.agentId, password: b.secret }, { form: true });
    assert.equal(form.body.result, 'allow');
    const deny = async (body: unknown) => {
      const r = await auth(body);
      assert.deepEqual([r.status, r.body.result], [403, 'deny'], JSON.stringify(body));
    };
    await deny({ clientid: a.agentId, username: a.agentId, password: `${a.secret}x` }); // wrong secret
    await deny({ clientid: a.agentId, username: a.agentId, password: b.secret }); // another agent's secret
    await deny({ clientid: b.agentId, username: a.agentId, password: a.secret }); // client id of another agent
    await deny({ clientid: 'agent-nope', username: 'agent-nope', password: 'x'.repeat(40) }); // unknown
    await deny({ clientid: revoked.agentId, username: revoked.agentId, password: revoked.secret }); // revoked
    await deny({ clientid: 'x', username: 'Not An Id', password: 'x' }); // not an agent id
    await deny({ clientid: a.agentId, username: a.agentId }); // no password
    const su = await auth({ clientid: 'cp-1', ...CP });
    assert.deepEqual([su.status, su.body], [200, { result: 'allow', is_superuser: true }]);
    await deny({ clientid: 'cp-1', username: CP.username, password: 'wrong' });
  });

  it('publish: only under the own prefix, known kinds, never $SYS', async () => {
    for (const kind of AGENT_TOPIC_KINDS)
      assert.equal(await acl(a.agentId, agentTopic(a.agentId, kind), 'publish'), 'allow');
    assert.equal(await acl(a.agentId, agentTopic(a.agentId, 'telemetry'), 2), 'allow'); // mosquitto-go-auth write
    assert.equal(await acl(a.agentId, agentTopic(b.agentId, 'telemetry'), 'publish'), 'deny');
    assert.equal(await acl(a.agentId, `homeostat/v1/agents/${a.agentId}/secrets`, 'publish'), 'deny');
    assert.equal(await acl(a.agentId, `homeostat/v1/agents/${a.agentId}/telemetry/x`, 'publish'), 'deny');
    assert.equal(await acl(a.agentId, commandTopic(b.agentId), 'publish'), 'deny');
    assert.equal(await acl(a.agentId, 'homeostat/v1/fleet/policy', 'publish'), 'deny');
    assert.equal(await acl(a.agentId, '$SYS/broker/x', 'publish'), 'deny');
    assert.equal(await acl(a.agentId, agentTopic(a.agentId, 'telemetry'), 'publish', b.agentId), 'deny');
  });

  it('a revoked agent is refused at every ACL check, even on its own topics', async () => {
    assert.equal(await acl(revoked.agentId, agentTopic(revoked.agentId, 'telemetry'), 'publish'), 'deny');
    assert.equal(await acl(revoked.agentId, commandTopic(revoked.agentId), 'subscribe'), 'deny');
  });

  it('subscribe: the own command topic and fleet broadcasts only', async () => {
    assert.equal(await acl(a.agentId, commandTopic(a.agentId), 'subscribe'), 'allow');
    assert.equal(await acl(a.agentId, commandTopic(a.agentId), 4), 'allow'); // mosquitto-go-auth subscribe
    assert.equal(await acl(a.agentId, 'homeostat/v1/fleet/#', 'subscribe'), 'allow');
    assert.equal(await acl(a.agentId, 'homeostat/v1/fleet/policy', 'subscribe'), 'allow');
    assert.equal(await acl(a.agentId, commandTopic(b.agentId), 'subscribe'), 'deny');
    assert.equal(await acl(a.agentId, 'homeostat/v1/cmd/+', 'subscribe'), 'deny');
    assert.equal(await acl(a.agentId, '#', 'subscribe'), 'deny');
    assert.equal(await acl(a.agentId, 'homeostat/v1/agents/+/telemetry', 'subscribe'), 'deny');
    assert.equal(await acl(a.agentId, '$SYS/#', 'subscribe'), 'deny');
    assert.equal(await acl(a.agentId, 'homeostat/v1/fleet/', 'subscribe'), 'deny');
  });

  it("delivery (read): never another agent's messages; the control plane may do anything", async () => {
    assert.equal(await acl(a.agentId, commandTopic(a.agentId), 1), 'allow');
    assert.equal(await acl(a.agentId, 'homeostat/v1/fleet/policy', 1), 'allow');
    assert.equal(await acl(a.agentId, agentTopic(b.agentId, 'telemetry'), 1), 'deny');
    assert.equal(await acl(a.agentId, commandTopic(b.agentId), 1), 'deny');
    assert.equal(
      await acl(CP.username, '$share/homeostat-ingest/homeostat/v1/agents/+/+', 'subscribe', 'cp-1'),
      'allow',
    );
    assert.equal(await acl(CP.username, commandTopic(a.agentId), 'publish', 'cp-1'), 'allow');
    const bad = await call('acl', { username: a.agentId, topic: commandTopic(a.agentId) });
    assert.equal(bad.status, 400);
  });
});
