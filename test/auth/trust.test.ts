import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../src/services/auth.js';
import { verifyPassword } from '../../src/services/passwords.js';
import { createLoginTrustRepository, type LoginTrustRepository } from '../../src/storage/login-trust.js';
import { createUserRepository, type UserRepository } from '../../src/storage/users.js';
import type { Db } from '../../src/storage/db.js';
import { openMigratedDb } from '../support/databases.js';
import { backends, cheapHash, outcome, twoNodes } from './helpers.js';

const DAY = 24 * 3600_000;
// Unknown logins are checked against a full-cost dummy hash; answer those at once to keep the suite fast.
const fastHasher = (password: string, stored: string) => (stored.startsWith('scrypt$1024$') ? verifyPassword(password, stored) : Promise.resolve(false));

/** 60 failures with other logins from `ip` (a misconfigured client behind the same address): its address counter is over the limit. */
async function poison(auth: Authenticator, ip: string): Promise<void> {
  for (let i = 0; i < 60; i++) await outcome(auth.verify(`ghost${i}`, 'x', ip));
}

async function seed(users: UserRepository) {
  const shop = await users.create({ login: 'shop', name: '', passwordHash: cheapHash('shop-pass'), isActive: true, isSuperuser: false }, 0);
  await users.create({ login: 'clerk', name: '', passwordHash: cheapHash('clerk-pass'), isActive: true, isSuperuser: false }, 0);
  return shop;
}

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`persistent login trust on ${backend}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });
    async function single(): Promise<{ db: Db; users: UserRepository; trust: LoginTrustRepository }> {
      const opened = await openMigratedDb(backend, 'cr_trust');
      const db = opened.db;
      cleanups.push(() => opened.close());
      return { db, users: createUserRepository(db.kysely), trust: createLoginTrustRepository(db.kysely) };
    }

    it('survives a restart: a new authenticator over the same database still trusts the pair', async () => {
      const { db, users, trust } = await single();
      const shop = await seed(users);
      let t = Date.parse('2030-01-01T00:00:00Z');
      const node = () => createAuthenticator({ users, trust, now: () => t, verifyPassword: fastHasher });

      const before = node();
      expect(await outcome(before.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      const rows = await db.kysely.selectFrom('login_trust').selectAll().execute();
      expect(rows).toEqual([{ user_id: shop.id, ip: '10.0.0.5', credentials_version: shop.credentials_version, expires_at: t + 30 * DAY }]);

      t += 60_000;
      const after = node(); // the restart: nothing in memory
      await poison(after, '10.0.0.5');
      expect(await outcome(after.verify('clerk', 'clerk-pass', '10.0.0.5'))).toBe('too_many_failed_logins');
      expect(await outcome(after.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
    });

    it('is shared by nodes: trust earned on node A is honoured on node B', async () => {
      const nodes = await twoNodes(backend);
      cleanups.push(() => nodes.close());
      const usersA = createUserRepository(nodes.a.kysely);
      const usersB = createUserRepository(nodes.b.kysely);
      await seed(usersA);
      const t = Date.parse('2030-01-01T00:00:00Z');
      const a = createAuthenticator({ users: usersA, trust: createLoginTrustRepository(nodes.a.kysely), now: () => t, verifyPassword: fastHasher });
      const b = createAuthenticator({ users: usersB, trust: createLoginTrustRepository(nodes.b.kysely), now: () => t, verifyPassword: fastHasher });
      // Node B is already running (it has loaded what was trusted then) when A sees the backend.
      expect(await outcome(b.verify('clerk', 'clerk-pass', '10.0.0.9'))).toBe('ok');
      expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.6'))).toBe('ok');
      await poison(b, '10.0.0.6');
      expect(await outcome(b.verify('clerk', 'clerk-pass', '10.0.0.6'))).toBe('too_many_failed_logins');
      expect(await outcome(b.verify('shop', 'shop-pass', '10.0.0.6'))).toBe('ok');
    });

    it('ends when the credentials change, in memory and in the table', async () => {
      const { users, trust } = await single();
      const shop = await seed(users);
      let t = Date.parse('2030-01-01T00:00:00Z');
      const node = () => createAuthenticator({ users, trust, now: () => t, verifyPassword: fastHasher });
      const a = node();
      expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      // The password is changed (as by another node: this authenticator is not told).
      await users.update(shop.id, { passwordHash: cheapHash('new-pass') }, t);
      await poison(a, '10.0.0.5');
      expect(await outcome(a.verify('shop', 'new-pass', '10.0.0.5'))).toBe('too_many_failed_logins');
      t += 60_000;
      const b = node();
      await poison(b, '10.0.0.5');
      expect(await outcome(b.verify('shop', 'new-pass', '10.0.0.5'))).toBe('too_many_failed_logins');
      // A successful login with the new password earns trust anew.
      expect(await outcome(b.verify('shop', 'new-pass', '10.0.0.7'))).toBe('ok');
      await poison(b, '10.0.0.7');
      expect(await outcome(b.verify('shop', 'new-pass', '10.0.0.7'))).toBe('ok');
    });

    it('lasts 30 days, renewed on use with at most one write per pair per hour', async () => {
      const { users, trust } = await single();
      await seed(users);
      let writes = 0;
      const counted: LoginTrustRepository = { ...trust, upsert: async (p) => { writes++; await trust.upsert(p); } };
      let t = Date.parse('2030-01-01T00:00:00Z');
      const node = () => createAuthenticator({ users, trust: counted, now: () => t, verifyPassword: fastHasher });
      const a = node();
      expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      expect(writes).toBe(1);
      // Used every minute for 59 minutes (from the cache and, after its 5-minute TTL, by scrypt): no write.
      for (let i = 0; i < 59; i++) {
        t += 60_000;
        expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      }
      expect(writes).toBe(1);
      t += 2 * 60_000;
      expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      expect(writes).toBe(2);

      // Renewed on day 20, the pair is still trusted on day 40 (after a restart)…
      t += 20 * DAY;
      expect(await outcome(a.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      t += 20 * DAY;
      const b = node();
      await poison(b, '10.0.0.5');
      expect(await outcome(b.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('ok');
      // …and forgotten after 30 days without use, in memory and after a restart.
      t += 31 * DAY;
      await poison(b, '10.0.0.5');
      expect(await outcome(b.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('too_many_failed_logins');
      const c = node();
      await poison(c, '10.0.0.5');
      expect(await outcome(c.verify('shop', 'shop-pass', '10.0.0.5'))).toBe('too_many_failed_logins');
    });
  });
}
