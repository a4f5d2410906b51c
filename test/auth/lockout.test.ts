import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/services/auth.js';
import { cheapHash, countingHasher, memoryUsers, outcome } from './helpers.js';

/**
 * Issue 4a: an attacker who knows a login must not be able to stop a shop's fiscalization or lock
 * the admin out. Authenticator level, with a cheap (real scrypt, N=1024) hash and a counting hasher.
 */
function setup() {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const users = memoryUsers([
    { id: 1, login: 'shop1', password_hash: cheapHash('shop-secret'), is_active: true, is_superuser: false, credentials_version: 1 },
    { id: 2, login: 'admin', password_hash: cheapHash('admin-secret'), is_active: true, is_superuser: true, credentials_version: 1 },
    { id: 3, login: 'clerk', password_hash: cheapHash('clerk-secret'), is_active: true, is_superuser: false, credentials_version: 1 },
  ]);
  const hasher = countingHasher({ cheapDummy: true });
  const auth = createAuthenticator({ users: users.repo, now: () => t, verifyPassword: hasher.fn });
  return { auth, hasher, advance: (ms: number) => (t += ms) };
}

describe('throttling does not lock out the legitimate client (4a)', () => {
  it('25 addresses × 5 wrong passwords: the shop backend served from the cache and the admin from a new address still get in', async () => {
    const { auth, hasher } = setup();
    // Backend 1 logs in (scrypt); backend 2, a moment later, is answered from the verified-credential cache.
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('ok');
    const hashes = hasher.calls();
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.2'))).toBe('ok');
    expect(hasher.calls()).toBe(hashes); // served from the cache, no scrypt

    // The attack: 5 wrong passwords for shop1 and for admin from each of 25 addresses.
    await Promise.all(
      Array.from({ length: 25 }, async (_, a) => {
        for (let i = 0; i < 5; i++) {
          await outcome(auth.verify('shop1', `guess-${a}-${i}`, `203.0.113.${a + 1}`));
          await outcome(auth.verify('admin', `guess-${a}-${i}`, `203.0.113.${a + 1}`));
        }
      }),
    );

    // Both backends keep fiscalizing; the admin logs in from an address never seen before.
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.2'))).toBe('ok');
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('ok');
    expect(await outcome(auth.verify('admin', 'admin-secret', '198.51.100.77'))).toBe('ok');
    // Even a never-seen backend address with the right password is admitted.
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.3'))).toBe('ok');
  });

  it('an address answered from the cache is trusted: failures of other logins from it do not lock its login out', async () => {
    const { auth } = setup();
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('ok');
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.2'))).toBe('ok'); // from the cache
    // A misconfigured client behind the same address fails 60 times with other logins.
    for (let i = 0; i < 60; i++) await outcome(auth.verify(`ghost${i}`, 'x', '10.0.0.2'));
    // A login that never succeeded from that address is throttled there…
    expect(await outcome(auth.verify('clerk', 'clerk-secret', '10.0.0.2'))).toBe('too_many_failed_logins');
    // …but the shop's backend, trusted there since the cache answered it, is not.
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.2'))).toBe('ok');
  });

  it('a sprayed login: a correct password from a new address is accepted; wrong guesses from new addresses are throttled sooner', async () => {
    const { auth } = setup();
    // 1000 failures from 200 addresses: far beyond the login-wide limit.
    await Promise.all(
      Array.from({ length: 200 }, async (_, a) => {
        for (let i = 0; i < 5; i++) await outcome(auth.verify('admin', `guess-${a}-${i}`, `198.18.${a >> 8}.${a & 255}`));
      }),
    );
    expect(await outcome(auth.verify('admin', 'admin-secret', '192.0.2.10'))).toBe('ok');
    // A new address guessing the sprayed login gets one free failure instead of five.
    expect(await outcome(auth.verify('admin', 'guess', '192.0.2.11'))).toBe('invalid_credentials');
    expect(await outcome(auth.verify('admin', 'guess', '192.0.2.11'))).toBe('too_many_failed_logins');
    // Another login is not affected.
    for (let i = 0; i < 5; i++) expect(await outcome(auth.verify('clerk', `guess-${i}`, '192.0.2.12'))).toBe('invalid_credentials');
  });

  it('its own failures still throttle a trusted pair, and a success clears them', async () => {
    const { auth, advance } = setup();
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('ok');
    for (let i = 0; i < 5; i++) expect(await outcome(auth.verify('shop1', `stale-${i}`, '10.0.0.1'))).toBe('invalid_credentials');
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('too_many_failed_logins');
    advance(1500);
    expect(await outcome(auth.verify('shop1', 'shop-secret', '10.0.0.1'))).toBe('ok');
    for (let i = 0; i < 4; i++) expect(await outcome(auth.verify('shop1', `stale-${i}`, '10.0.0.1'))).toBe('invalid_credentials');
  });
});
