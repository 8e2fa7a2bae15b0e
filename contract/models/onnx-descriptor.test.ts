import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { ONNX_DESCRIPTOR } from './onnx-descriptor.ts';

test('onnx-descriptor.ts matches onnx.proto (regenerate with node contract/models/gen-onnx-descriptor.mjs)', () => {
  const proto = readFileSync(new URL('./onnx.proto', import.meta.url), 'utf8');
  const expected = protobuf.parse(proto, { keepCase: true }).root.toJSON();
  assert.deepEqual(JSON.parse(JSON.stringify(ONNX_DESCRIPTOR)), JSON.parse(JSON.stringify(expected)));
});
