import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFleetState, modelsByName } from './fleet-state.ts';
import type { StateMessage } from '../../contract/protocol/index.ts';

test('the loaded models are reported by name and bare version; a swap replaces that entry', async () => {
  assert.deepEqual(modelsByName({ anomaly: 'anomaly-multi@5.0.0', disk: 'disk-failure@3.0.0', odd: 'no-version' }), {
    'anomaly-multi': '5.0.0',
    'disk-failure': '3.0.0',
  });
  const sent: StateMessage[] = [];
  const state = createFleetState({
    publish: (m) => void sent.push(m),
    now: () => 1,
    initial: { models: modelsByName({ anomaly: 'anomaly-multi@5.0.0' }) },
  });
  state.setModel('anomaly-multi', '5.0.1');
  await state.publish();
  assert.deepEqual(sent.at(-1)?.models, { 'anomaly-multi': '5.0.1' });
});
