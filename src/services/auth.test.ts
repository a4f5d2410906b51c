import { describe, expect, it } from 'vitest';
import { createAuthenticator, parseBasicAuth } from './auth.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { UserRepository, UserRecord } from '../storage/users.js';
import { DomainError } from '../domain/errors.js';

async function fixture() {
  let reads = 0;
  let hashes = 0;
  const user: UserRecord = { id: 1, login: 'shop', name: '', password_hash: await hashPassword('right'), is_active: true, is_superuser: false, credentials_version: 1, created_at: 0, updated_at: 0 };
  const gone: UserRecord = { ...user, id: 2, login: 'gone', is_active: false };
  const rows = [user, gone];
  const users = { findByLogin: async (login: string) => { reads++; const r = rows.find((u) => u.login === login); return r ? { ...r } : undefined; } } as unknown as UserRepository;
  // Counts the scrypt runs (the work an attacker can make the server do, and what a timing attack would see).
  const hasher = async (password: string, stored: string) => { hashes++; return verifyPassword(password, stored); };
  const auth = createAuthenticator({ users, now: () => Date.now(), verifyPassword: hasher });
  return { auth, user, reads: () => reads, hashes: () => hashes };
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
    const f = await fixture();
    const results = await Promise.all(Array.from({ length: 20 }, () => f.auth.verify('shop', 'right', '1.1.1.1')));
    expect(results.every((u) => u.id === 1)).toBe(true);
    expect(f.hashes()).toBe(1); // a single flight for twenty concurrent checks
    await f.auth.verify('shop', 'right', '1.1.1.1');
    await f.auth.verify('shop', 'right', '1.1.1.2');
    expect(f.hashes()).toBe(1); // then the verified-credential cache
  });

  it('does the same work (one scrypt) for an unknown login, a deactivated one and a wrong password', async () => {
    const f = await fixture();
    const cases: [string, string][] = [['nobody', 'x'], ['gone', 'right'], ['gone', 'wrong'], ['shop', 'wrong']];
    for (const [i, [login, password]] of cases.entries()) {
      const before = f.hashes();
      expect(await code(f.auth.verify(login, password, `10.0.0.${i + 1}`))).toBe('invalid_credentials');
      expect(f.hashes() - before, `${login}/${password}`).toBe(1);
    }
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
