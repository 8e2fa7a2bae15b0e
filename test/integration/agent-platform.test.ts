/**
 * Agent versions and platforms at the boundary (real control plane with the fleet module, real MQTT, real upload):
 * - an agent's presence carries its version, the version it replaced and its platform; the host API and the agent
 *   version list show them (hosts per previous version, hosts per platform);
 * - a selector matching hosts of a platform the version has no artifact for is refused with 409 naming them; with
 *   `agent.platform=<p>` in the selector only those hosts are sent the release;
 * - a version uploaded for both platforms rolls out to a mixed selector, each host sent its own platform's artifact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { agentTopic } from '../../contract/protocol/index.ts';
import { api, eventually } from '../support/control-plane.ts';
import { startAgent, startFleet, type FleetRig, type SimAgent } from './fleet-harness.ts';

/** Uploads a signed (by the rig's control plane) agent artifact through the API; asserts 201. */
async function uploadArtifact(rig: FleetRig, name: string, content: string): Promise<void> {
  const bytes = gzipSync(Buffer.from(content));
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  form.append('signature', rig.t.cp.signingKey.sign(bytes).toString('base64'));
  const res = await fetch(`${rig.t.urls.httpUrl}/api/agent-versions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rig.t.adminToken}` },
    body: form,
  });
  assert.equal(res.status, 201, await res.text());
}

describe('agent versions: previous version and platform from presence; one platform per rollout', () => {
  let rig: FleetRig;
  let x64: SimAgent;
  let arm: SimAgent;
  const presence = (a: SimAgent, platform: string) =>
    a.client.publishAsync(
      agentTopic(a.agentId, 'presence'),
      JSON.stringify({
        v: 1,
        state: 'online',
        ts: Date.now(),
        agentVersion: '6.0.0',
        previousAgentVersion: '5.0.0',
        platform,
      }),
      { qos: 1, retain: true },
    );

  before(async () => {
    rig = await startFleet();
    x64 = await startAgent(rig, 'x64-1', { ring: 'canary' });
    arm = await startAgent(rig, 'arm-1', { ring: 'canary' });
    await presence(x64, 'linux-x64');
    await presence(arm, 'linux-arm64');
    // an arm64 artifact, signed by this control plane's key, through the upload API
    await uploadArtifact(rig, 'homeostat-agent-7.0.0-linux-arm64.tar.gz', 'not really an agent');
  });
  after(async () => {
    await x64?.close();
    await arm?.close();
    await rig?.close();
  });

  it('stores and shows the running and previous version and the platform', async () => {
    const h = await eventually(async () => {
      const r = await api(rig.t, 'GET', `/api/hosts/${arm.agentId}`);
      return r.body?.agentPlatform === 'linux-arm64' ? r.body : null;
    });
    assert.deepEqual([h.agentVersion, h.previousAgentVersion], ['6.0.0', '5.0.0']);
    const list = await api(rig.t, 'GET', '/api/agent-versions');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.running, { '6.0.0': 2 });
    assert.deepEqual(list.body.previous, { '5.0.0': 2 });
    assert.deepEqual(list.body.platforms, { 'linux-arm64': 1, 'linux-x64': 1 });
    const v = (list.body.versions as { version: string; platform: string }[]).find((x) => x.version === '7.0.0');
    assert.equal(v?.platform, 'linux-arm64');
  });

  it('refuses a rollout whose selector matches hosts of another platform, naming them', async () => {
    await eventually(async () => (await api(rig.t, 'GET', `/api/hosts/${x64.agentId}`)).body?.agentPlatform);
    const r = await api(rig.t, 'POST', '/api/agent-versions/7.0.0/publish', { selector: 'ring=canary' });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    const text = JSON.stringify(r.body);
    assert.match(text, /built for linux-arm64/);
    assert.match(text, /1 on linux-x64: x64-1/);
    assert.match(text, /agent\.platform=linux-arm64/);
    assert.equal(arm.commands.length + x64.commands.length, 0, 'nothing was sent');
  });

  it('rolls out to the hosts of its platform only', async () => {
    const r = await api(rig.t, 'POST', '/api/agent-versions/7.0.0/publish', {
      selector: 'ring=canary,agent.platform=linux-arm64',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.waves.flat(), [arm.agentId]);
    const cmd = await eventually(async () => arm.commands.find((c) => c.type === 'agent-upgrade'));
    assert.equal((cmd.manifest['payload'] as { platform: string }).platform, 'linux-arm64');
    assert.equal(
      x64.commands.some((c) => c.type === 'agent-upgrade'),
      false,
    );
  });
});

describe('agent versions: one version, an artifact per platform, one rollout over both', () => {
  let rig: FleetRig;
  let x64: SimAgent;
  let arm: SimAgent;

  before(async () => {
    rig = await startFleet();
    x64 = await startAgent(rig, 'mixed-x64', { ring: 'all' });
    arm = await startAgent(rig, 'mixed-arm', { ring: 'all' });
    for (const [a, platform] of [
      [x64, 'linux-x64'],
      [arm, 'linux-arm64'],
    ] as const)
      await a.client.publishAsync(
        agentTopic(a.agentId, 'presence'),
        JSON.stringify({ v: 1, state: 'online', ts: Date.now(), agentVersion: '6.0.0', platform }),
        { qos: 1, retain: true },
      );
    for (const platform of ['linux-x64', 'linux-arm64'])
      await uploadArtifact(rig, `homeostat-agent-8.0.0-${platform}.tar.gz`, `agent 8.0.0 for ${platform}`);
  });
  after(async () => {
    await x64?.close();
    await arm?.close();
    await rig?.close();
  });

  it('sends each host the artifact of its own platform', async () => {
    for (const a of [x64, arm])
      await eventually(async () => (await api(rig.t, 'GET', `/api/hosts/${a.agentId}`)).body?.agentPlatform);
    const r = await api(rig.t, 'POST', '/api/agent-versions/8.0.0/publish', { selector: 'ring=all', percents: [100] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.waves.flat().sort(), [x64.agentId, arm.agentId].sort());
    const sent = async (a: SimAgent) => {
      const cmd = await eventually(async () => a.commands.find((c) => c.type === 'agent-upgrade'));
      return cmd.manifest['payload'] as { platform: string; url: string };
    };
    const [px, pa] = [await sent(x64), await sent(arm)];
    assert.deepEqual([px.platform, px.url], ['linux-x64', '/downloads/homeostat-agent-8.0.0-linux-x64.tar.gz']);
    assert.deepEqual([pa.platform, pa.url], ['linux-arm64', '/downloads/homeostat-agent-8.0.0-linux-arm64.tar.gz']);
  });
});
