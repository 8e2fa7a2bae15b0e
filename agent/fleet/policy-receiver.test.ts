import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { policyCommand, type PolicyBundlePayload } from '../../contract/signing/bundle.ts';
import { rawPublicKeyBase64 } from '../../contract/signing/signature.ts';
import type { StateMessage } from '../../contract/protocol/index.ts';
import type { PolicySet } from '../../contract/policy/schema.ts';
import { createFleetState } from './fleet-state.ts';
import { createPolicyReceiver, type FleetEvent } from './policy-receiver.ts';

const cp = generateKeyPairSync('ed25519');
const rogue = generateKeyPairSync('ed25519');
const doc = {
  policies: [
    {
      name: 'restart-nginx',
      when: { service: 'nginx', for: '10s' },
      do: [{ type: 'restart-service', service: 'nginx' }],
    },
  ],
};
const payload = (version: string, issuedAt: number, document: Record<string, unknown> = doc): PolicyBundlePayload => ({
  policySet: 'default',
  version,
  issuedAt,
  document,
});

function rig() {
  const states: StateMessage[] = [];
  const events: FleetEvent[] = [];
  const applied: PolicySet[] = [];
  const state = createFleetState({
    publish: (m) => {
      states.push(m);
    },
    now: () => 1234,
  });
  const handle = createPolicyReceiver({
    pinnedKey: rawPublicKeyBase64(cp.publicKey),
    applyPolicySet: (s) => {
      applied.push(s);
    },
    state,
    report: (e) => events.push(e),
  });
  return { states, events, applied, handle };
}

test('a bundle signed by the pinned key is applied via the healer and acknowledged in state', async () => {
  const r = rig();
  const cmd = policyCommand(payload('default@3', 100), cp.privateKey);
  assert.deepEqual(await r.handle(JSON.parse(JSON.stringify(cmd))), { applied: 'default@3' });
  assert.equal(r.applied[0]!.version, 'default@3');
  assert.equal(r.applied[0]!.policies[0]!.name, 'restart-nginx');
  assert.deepEqual(r.states, [{ v: 1, ts: 1234, policyVersion: 'default@3', models: {}, errors: [] }]);
});

test('tampered, wrong-key, unsigned and stale bundles are refused, reported, and the running policy stays', async () => {
  const r = rig();
  await r.handle(policyCommand(payload('default@3', 100), cp.privateKey));
  const tampered = policyCommand(payload('default@4', 200), cp.privateKey);
  ((tampered.bundle['payload'] as PolicyBundlePayload).document as typeof doc).policies[0]!.do[0]!.service = 'sshd';
  const cases: [Record<string, unknown>, string][] = [
    [tampered.bundle, 'tampered'],
    [policyCommand(payload('default@4', 200), rogue.privateKey).bundle, 'wrong-key'],
    [{ kind: 'policy-bundle', payload: payload('default@4', 200) }, 'unsigned'],
    [policyCommand(payload('default@2', 50), cp.privateKey).bundle, 'tampered'],
  ];
  for (const [bundle, reason] of cases)
    assert.deepEqual(await r.handle({ bundle }), {
      refused: bundle === cases[3]![0] ? 'default@2' : 'default@4',
      reason,
    });
  assert.equal(r.applied.length, 1);
  assert.deepEqual(
    r.events.filter((e) => e.type === 'fleet.bundle-refused').map((e) => e.data['reason']),
    ['tampered', 'wrong-key', 'unsigned', 'tampered'],
  );
  const last = r.states.at(-1)!;
  assert.equal(last.policyVersion, 'default@3');
  assert.equal(last.errors.length, 4);
  assert.match(
    last.errors[1]!,
    /^policy default@4 refused \(wrong-key\): signature refused \(wrong-key\): signed by key '[0-9a-f]{16}', pinned key is '[0-9a-f]{16}'$/,
  );
});

test('a correctly signed bundle failing the shared policy schema is refused naming the field', async () => {
  const r = rig();
  const bad = { policies: [{ name: 'x', when: { service: 'nginx' }, do: [{ type: 'launch-missiles' }] }] };
  const out = await r.handle(policyCommand(payload('default@5', 300, bad), cp.privateKey));
  assert.deepEqual(out, { refused: 'default@5', reason: 'ValidationError' });
  assert.match(r.states.at(-1)!.errors[0]!, /policies\.0\.do\.0/);
  assert.equal(r.applied.length, 0);
});

test('a signed bundle reaches the real healer, which activates it and keeps it as last known good', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createHealer } = await import('../heal/healer.ts');
  const { loadHealConfig } = await import('../heal/config.ts');
  const stateDir = mkdtempSync(join(tmpdir(), 'receiver-healer-'));
  const healer = await createHealer({
    config: loadHealConfig({ stateDir, allowedActions: ['restart-service', 'notify'] }),
  });
  const events: FleetEvent[] = [];
  const state = createFleetState({ publish: () => {}, now: () => 1 });
  const handle = createPolicyReceiver({
    pinnedKey: rawPublicKeyBase64(cp.publicKey),
    state,
    report: (e) => events.push(e),
    applyPolicySet: (_set, document) => {
      const r = healer.applyPolicySet(document, 'json');
      if (!r.ok) throw r.error;
    },
  });
  assert.deepEqual(await handle(policyCommand(payload('default@7', 700), cp.privateKey)), { applied: 'default@7' });
  assert.equal(healer.policySet()?.version, 'default@7');
  assert.equal(healer.policySet()!.policies[0]!.name, 'restart-nginx');
  await healer.close();
  const restarted = await createHealer({
    config: loadHealConfig({ stateDir, allowedActions: ['restart-service', 'notify'] }),
  });
  assert.equal(restarted.policySet()?.version, 'default@7', 'cached on disk, survives a restart');
  await restarted.close();
});
