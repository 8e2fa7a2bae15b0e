import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentRolloutSelector } from './agent-rollout-selector.ts';

const versions = [
  { version: '2.0.0', platform: 'linux-x64' },
  { version: '2.0.0', platform: 'linux-arm64' },
  { version: '1.9.0', platform: 'linux-x64' },
];

test('the whole fleet when the version is built for every platform it reports, else the row platform', () => {
  const mixed = { 'linux-x64': 3, 'linux-arm64': 1 };
  assert.equal(agentRolloutSelector('2.0.0', 'linux-arm64', versions, mixed), '');
  assert.equal(agentRolloutSelector('1.9.0', 'linux-x64', versions, mixed), 'agent.platform=linux-x64');
  assert.equal(agentRolloutSelector('1.9.0', 'linux-x64', versions, { 'linux-x64': 2, unknown: 1 }), '');
  assert.equal(agentRolloutSelector('1.9.0', 'linux-x64', versions, {}), '');
});
