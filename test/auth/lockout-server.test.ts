import { describe, expect, it } from 'vitest';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createUserRepository } from '../../src/storage/users.js';
import { basic, testServer } from '../support/server.js';
import { backends, cheapHash } from './helpers.js';

/**
 * Issue 4a end to end: the REST API's Basic auth and the dashboard login (POST /admin/api/session)
 * share the authenticator. Five wrong passwords for shop1 and for admin from each of 25 addresses
 * must neither stop shop1's backends nor keep the admin out of the dashboard from a new address.
 */
for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`a sprayed login on ${backend} (full server)`, () => {
    it('the shop’s backends keep getting 200 and the admin logs in to the dashboard from a new address', async () => {
      const s = await testServer(backend);
      try {
        const users = createUserRepository(s.db.kysely);
        const shop = await users.create({ login: 'shop1', name: 'Shop', passwordHash: cheapHash('shop-secret'), isActive: true, isSuperuser: false }, Date.now());
        await createGroupRepository(s.db).setAccess(1, [shop.id]);
        // Cheap hashes keep 250 attempts fast; the format and the code path are the production ones.
        await s.db.kysely.updateTable('users').set({ password_hash: cheapHash('admin-secret') }).where('login', '=', 'admin').execute();
        const api = (password: string, ip: string) =>
          s.app.inject({ url: '/service_groups/1', headers: { authorization: basic('shop1', password) }, remoteAddress: ip });
        const dashboard = (password: string, ip: string) =>
          s.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'admin', password }, remoteAddress: ip });

        expect((await api('shop-secret', '10.0.0.1')).statusCode).toBe(200);
        expect((await api('shop-secret', '10.0.0.2')).statusCode).toBe(200); // answered from the credential cache

        const attack: number[] = [];
        await Promise.all(
          Array.from({ length: 25 }, async (_, a) => {
            for (let i = 0; i < 5; i++) {
              attack.push((await api(`guess-${a}-${i}`, `203.0.113.${a + 1}`)).statusCode);
              attack.push((await dashboard(`guess-${a}-${i}`, `203.0.113.${a + 1}`)).statusCode);
            }
          }),
        );
        expect(attack.every((c) => c === 401 || c === 429)).toBe(true);

        expect((await api('shop-secret', '10.0.0.2')).statusCode).toBe(200);
        expect((await api('shop-secret', '10.0.0.1')).statusCode).toBe(200);
        const login = await dashboard('admin-secret', '198.51.100.77');
        expect(login.statusCode).toBe(200);
        expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly/i);
        // The dashboard login earned trust for the new address, persisted for restarts and other nodes.
        const admin = await users.findByLogin('admin');
        const rows = await s.db.kysely.selectFrom('login_trust').select(['user_id', 'ip']).where('ip', '=', '198.51.100.77').execute();
        expect(rows).toEqual([{ user_id: admin?.id, ip: '198.51.100.77' }]);
      } finally {
        await s.cleanup();
      }
    });
  });
}
