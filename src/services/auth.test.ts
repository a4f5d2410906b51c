import { describe, expect, it } from 'vitest';
import { createAuthenticator, parseBasicAuth } from './auth.js';
import { hashPassword } from './passwords.js';
import type { UserRepository, UserRow } from '../storage/users.js';
import { DomainError } from '../domain/errors.js';

async function fixture() {
  let reads = 0;
  const user: UserRow = { id: 1, login: 'shop', name: '', password_hash: await hashPassword('right'), is_active: 1, is_superuser: 0, credentials_version: 1, created_at: 0, updated_at: 0 };
  const users = { findByLogin: async (login: string) => { reads++; return login === 'shop' ? { ...user } : undefined; } } as unknown as UserRepository;
  const auth = createAuthenticator({ users, now: () => Date.now() });
  return { auth, user, reads: () => reads };
}
const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof DomainError ? e.errors[0]?.code : String(e)));

describe('Basic-auth verification', () => {
  it('parses the header strictly', () => {
    expect(parseBasicAuth(`Basic ${Buffer.from('a:b:c').toString('base64')}`)).toEqual({ login: 'a', password: 'b:c' });
    expect(parseBasicAuth('Bearer x')).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from(':pw').toString('base64')}`)).toBeNull();
    expect(parseBasicAuth(undefined)).toBeNull();
  });

  it('runs scrypt once for many concurrent requests, then answers from the cache', async () => {
    const single = await fixture();
    let t = performance.now();
    await single.auth.verify('shop', 'right', '1.1.1.1');
    const one = performance.now() - t;
    const f = await fixture();
    t = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => f.auth.verify('shop', 'right', '1.1.1.1')));
    const twenty = performance.now() - t;
    expect(results.every((u) => u.id === 1)).toBe(true);
    // Twenty parallel scrypt runs on two cores would take ~10× one; a single flight takes about one.
    expect(twenty).toBeLessThan(one * 4);
    t = performance.now();
    await f.auth.verify('shop', 'right', '1.1.1.1');
    expect(performance.now() - t).toBeLessThan(one / 2);
  });

  it('refuses a wrong password even with a warm cache, and an unknown login', async () => {
    const f = await fixture();
    await f.auth.verify('shop', 'right', '1.1.1.1');
    expect(await code(f.auth.verify('shop', 'wrong', '1.1.1.1'))).toBe('invalid_credentials');
    expect(await code(f.auth.verify('nobody', 'x', '1.1.1.1'))).toBe('invalid_credentials');
  });

  it('forgets a login at once on this node', async () => {
    const f = await fixture();
    await f.auth.verify('shop', 'right', '1.1.1.1');
    const before = f.reads();
    await f.auth.verify('shop', 'right', '1.1.1.1');
    expect(f.reads()).toBe(before); // served from the verified-user cache
    f.auth.forget('shop');
    await f.auth.verify('shop', 'right', '1.1.1.1');
    expect(f.reads()).toBe(before + 1);
  });
});
