import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TooManyAttemptsError } from '../../contract/errors.ts';
import { addressKey, createLoginThrottle } from './login-throttle.ts';

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
  it('lets the free attempts through, then locks the username with a doubling lockout up to the cap', () => {
    const clock = { t: 0 };
    const th = createLoginThrottle({ now: () => clock.t, freePerUser: 3, baseLockMs: 1000, capLockMs: 4000 });
    for (const name of ['Alice', 'alice', 'ALICE'])
      assert.equal(
        refusal(() => th.attempt(name, null)),
        null,
      ); // the third locks 1 s
    const e = refusal(() => th.attempt('alice', null));
    assert.deepEqual(
      [e?.key, e?.retryAfterSeconds, e?.message],
      ['username', 1, 'login: too many failed attempts for this username; retry in 1 s'],
    );
    clock.t += 1000;
    assert.equal(
      refusal(() => th.attempt('alice', null)),
      null,
    ); // 2 s
    clock.t += 1999;
    assert.equal(refusal(() => th.attempt('alice', null))?.retryAfterSeconds, 1);
    clock.t += 1;
    assert.equal(
      refusal(() => th.attempt('alice', null)),
      null,
    ); // 4 s
    clock.t += 4000;
    assert.equal(
      refusal(() => th.attempt('alice', null)),
      null,
    ); // 8 s, capped at 4 s
    assert.equal(refusal(() => th.attempt('alice', null))?.retryAfterSeconds, 4);
    assert.equal(
      refusal(() => th.attempt('bob', null)),
      null,
      'other usernames are not affected',
    );
  });

  it('a burst of parallel attempts gets only the free ones through: each counts from the moment it passes', () => {
    const th = createLoginThrottle({ now: () => 0, freePerUser: 5 });
    const passed = Array.from({ length: 40 }, () => refusal(() => th.attempt('admin', '192.0.2.1')) === null).filter(
      Boolean,
    ).length;
    assert.equal(passed, 5);
  });

  it('a success clears the username and gives the address its attempt back; an abandoned attempt costs nothing; the window forgets', () => {
    const clock = { t: 0 };
    const th = createLoginThrottle({ now: () => clock.t, freePerUser: 3, freePerAddress: 4, windowMs: 60_000 });
    th.attempt('carol', '192.0.2.9');
    th.attempt('carol', '192.0.2.9');
    th.succeed('carol', '192.0.2.9');
    th.attempt('carol', '192.0.2.9');
    th.abandon('carol', '192.0.2.9');
    th.attempt('carol', '192.0.2.9');
    assert.equal(
      refusal(() => th.attempt('carol', '192.0.2.9')),
      null,
      'the username has 2 attempts counted, the address 3',
    );
    assert.equal(
      refusal(() => th.attempt('carol', '192.0.2.9')),
      null,
      'the third for the username, the fourth for the address: both lock after it',
    );
    assert.equal(refusal(() => th.attempt('carol', '192.0.2.9'))?.key, 'username');
    assert.equal(refusal(() => th.attempt('erin', '192.0.2.9'))?.key, 'address');
    clock.t += 60_001 + 30_000;
    th.attempt('dave', null);
    th.attempt('dave', null);
    clock.t += 60_001;
    assert.equal(
      refusal(() => th.attempt('dave', null)),
      null,
      'attempts from an earlier window are forgotten',
    );
  });

  it('counts an address across usernames, an IPv6 client by its /64', () => {
    const th = createLoginThrottle({ now: () => 0, freePerAddress: 4 });
    for (let i = 0; i < 4; i++) th.attempt(`user${i}`, '198.51.100.7');
    assert.equal(refusal(() => th.attempt('someone-else', '198.51.100.7'))?.key, 'address');
    assert.equal(
      refusal(() => th.attempt('someone-else', '198.51.100.8')),
      null,
    );
    for (let i = 0; i < 4; i++) th.attempt(`v6user${i}`, `2001:db8:1:2::${i + 1}`);
    assert.equal(
      refusal(() => th.attempt('next', '2001:db8:1:2:ffff::9'))?.key,
      'address',
      'another address in the same /64',
    );
    assert.deepEqual(
      [
        addressKey('::ffff:203.0.113.5'),
        addressKey('2001:0db8:0001:0002:0:0:0:1'),
        addressKey('2001:db8::1'),
        addressKey('::1'),
      ],
      ['203.0.113.5', '2001:db8:1:2::/64', '2001:db8:0:0::/64', '0:0:0:0::/64'],
    );
  });

  it('keeps memory bounded, forgetting unlocked keys first, so a spray of new addresses cannot push a lockout out', () => {
    const th = createLoginThrottle({ now: () => 0, freePerUser: 2, freePerAddress: 1000, maxKeys: 50 });
    th.attempt('admin', null);
    th.attempt('admin', null);
    assert.equal(refusal(() => th.attempt('admin', null))?.key, 'username');
    for (let i = 0; i < 500; i++) th.attempt(`spray${i}`, `203.0.113.${i % 250}`);
    assert.ok(th.size() <= 50, `size ${th.size()}`);
    assert.equal(refusal(() => th.attempt('admin', null))?.key, 'username', 'the lockout survived the spray');
  });
});
