import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactForMessage, redactUrlPassword } from './redact.ts';

test('URL passwords are masked, users and hosts kept', () => {
  assert.equal(redactUrlPassword('mysql://admin:s3cretPW@db/x'), 'mysql://admin:***@db/x');
  assert.equal(redactUrlPassword('postgres://u:p%40ss@127.0.0.1:5432/db'), 'postgres://u:***@127.0.0.1:5432/db');
  assert.equal(redactUrlPassword('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883', 'a port is no password');
  assert.equal(redactUrlPassword('file:/var/lib/x.db'), 'file:/var/lib/x.db');
  assert.equal(
    redactUrlPassword('see mqtts://cp:pw@h:8883 and http://a:b@c'),
    'see mqtts://cp:***@h:8883 and http://a:***@c',
  );
});

test('values of secret-named keys are hidden, also inside objects and arrays', () => {
  assert.equal(redactForMessage('broker.password', 123), '***');
  assert.equal(redactForMessage(['webhooks', 0, 'secret'], 'abc'), '***');
  assert.equal(redactForMessage('admin.apiToken', 'tok'), '***');
  assert.equal(redactForMessage('broker.password', undefined), undefined, 'nothing to hide');
  assert.deepEqual(redactForMessage('broker', { url: 'mqtt://cp:hunter2@h:1', password: 'x', port: 1 }), {
    url: 'mqtt://cp:***@h:1',
    password: '***',
    port: 1,
  });
  assert.deepEqual(redactForMessage('hooks', [{ token: 'a', url: 'x' }]), [{ token: '***', url: 'x' }]);
  assert.equal(redactForMessage('httpPort', 'abc'), 'abc');
});
