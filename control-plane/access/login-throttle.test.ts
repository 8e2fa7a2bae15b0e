import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TooManyAttemptsError } from '../errors.ts';
import { createLoginThrottle } from './login-throttle.ts';

function refusal(f: () => void): TooManyAttemptsError | null {
  try {
    f();
    return null;
  } catch (err) {
    assert.ok(err instanceof TooManyAttemptsError);
    return err;
  }
}

describe('login throttle', () => {
  it('allows the free attempts, then locks the username with a doubling lockout up to the cap', () => {
    const clock = { t: 0 };
    const th = createLoginThrottle({ now: () => clock.t, freePerUser: 3, baseLockMs: 1000, capLockMs: 4000 });
    for (let i = 0; i < 2; i++) { assert.equal(refusal(() => th.check('Alice', null)), null); th.fail('Alice', null); }
    assert.equal(refusal(() => th.check('alice', null)), null);
    th.fail('alice', null); // third failure: locked 1 s
    const e = refusal(() => th.check('ALICE', null));
    assert.deepEqual([e?.key, e?.retryAfterSeconds, e?.message], ['username', 1, 'login: too many failed attempts for this username; retry in 1 s']);
    clock.t += 1000;
    assert.equal(refusal(() => th.check('alice', null)), null);
    th.fail('alice', null); // 2 s
    clock.t += 1999;
    assert.equal(refusal(() => th.check('alice', null))?.retryAfterSeconds, 1);
    clock.t += 1;
    th.fail('alice', null); // 4 s
    th.fail('alice', null); // 8 s, capped at 4 s
    assert.equal(refusal(() => th.check('alice', null))?.retryAfterSeconds, 4);
    assert.equal(refusal(() => th.check('bob', null)), null, 'other usernames are not affected');
  });

  it('a success clears the username; the window forgets old failures', () => {
    const clock = { t: 0 };
    const th = createLoginThrottle({ now: () => clock.t, freePerUser: 3, windowMs: 60_000 });
    th.fail('carol', null); th.fail('carol', null);
    th.succeed('carol');
    th.fail('carol', null); th.fail('carol', null);
    assert.equal(refusal(() => th.check('carol', null)), null);
    clock.t += 60_001;
    th.fail('carol', null); th.fail('carol', null);
    assert.equal(refusal(() => th.check('carol', null)), null, 'failures from an earlier window are forgotten');
  });

  it('counts an address across usernames, and keeps memory bounded', () => {
    const th = createLoginThrottle({ now: () => 0, freePerAddress: 4, maxKeys: 50 });
    for (let i = 0; i < 4; i++) th.fail(`user${i}`, '198.51.100.7');
    assert.equal(refusal(() => th.check('someone-else', '198.51.100.7'))?.key, 'address');
    assert.equal(refusal(() => th.check('someone-else', '198.51.100.8')), null);
    for (let i = 0; i < 200; i++) th.fail(`spray${i}`, `203.0.113.${i % 250}`);
    assert.ok(th.size() <= 50, `size ${th.size()}`);
  });
});
