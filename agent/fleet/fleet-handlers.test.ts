import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyCommand } from '../../contract/signing/bundle.ts';
import { rawPublicKeyBase64 } from '../../contract/signing/signature.ts';
import { DEFAULT_ALERT_SETTINGS } from '../../contract/models/alerting.ts';
import { createHealer } from '../heal/healer.ts';
import { loadHealConfig } from '../heal/config.ts';
import { createInference } from '../infer/inference.ts';
import { createOnnxEngine } from '../infer/onnx-engine.ts';
import { createFleetHandlers } from './fleet-handlers.ts';

const cp = generateKeyPairSync('ed25519');

test("a policy set's alerting section configures the agent's anomaly alert; a set without it restores the fleet defaults", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-handlers-'));
  const config = () => loadHealConfig({ stateDir: join(dir, 'heal'), allowedActions: ['notify'] });
  const healer = await createHealer({ config: config() });
  const inference = await createInference({ engine: createOnnxEngine(), stateDir: join(dir, 'infer') });
  await inference.start();
  const settings = () => inference.alertSettings();
  const fleet = createFleetHandlers({
    credentials: {
      agentId: 'a1',
      secret: 's',
      server: 'http://127.0.0.1:9',
      mqttUrl: 'mqtt://127.0.0.1:9',
      publicKey: rawPublicKeyBase64(cp.publicKey),
      labels: {},
      hostname: 'h1',
      enrolledAt: 1,
    },
    healer,
    inference,
    stateDir: dir,
    emit: () => {},
    publishState: () => {},
    now: () => 1,
  });
  assert.deepEqual(settings(), DEFAULT_ALERT_SETTINGS);
  const policies = [{ name: 'n', when: { service: 'nginx' }, do: [{ type: 'notify', message: 'x' }] }];
  const send = (version: string, issuedAt: number, document: Record<string, unknown>) =>
    fleet.handlers.policy!(policyCommand({ policySet: 'default', version, issuedAt, document }, cp.privateKey));
  await send('default@1', 10, {
    alerting: { anomaly: { enter: 0.7, minSamples: 3, clearFor: '2m', cooldown: '1h' } },
    policies,
  });
  assert.deepEqual(settings(), {
    ...DEFAULT_ALERT_SETTINGS,
    enter: 0.7,
    minSamples: 3,
    clearMs: 120_000,
    cooldownMs: 3_600_000,
  });
  await send('default@2', 20, { policies });
  assert.deepEqual(settings(), DEFAULT_ALERT_SETTINGS);
  await inference.stop();
  await healer.close();
  rmSync(dir, { recursive: true, force: true });
});
