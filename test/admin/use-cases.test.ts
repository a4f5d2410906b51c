import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { eventually } from '../support/server.js';
import { backends, basic, call, EXAMPLE_RECEIPT, startAdminServer, type Admin } from './helpers.js';

interface Errors { errors: { code: string; message: string }[] }

/**
 * What issue #12 changed at the dashboard's edge: the session probe, logins in the journal,
 * failed logins journaled (bounded), the API user on receipts, one 409 body for a stale state in
 * both route families, and shift operations answered as soon as the worker finishes them.
 */
for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`one use case, one place on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeAll(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterAll(async () => {
      await server?.cleanup();
    });

    it('answers the session probe with 200 { user: null } without a session, and the session with one', async () => {
      const none = await server.app.inject({ method: 'GET', url: '/admin/api/session' });
      expect(none.statusCode).toBe(200);
      expect(none.json()).toEqual({ user: null });
      const bogus = await server.app.inject({ method: 'GET', url: '/admin/api/session', headers: { cookie: 'cr_admin=not-a-session' } });
      expect(bogus.statusCode).toBe(200);
      expect(bogus.json()).toEqual({ user: null });
      const me = await call(server, admin, 'GET', '/admin/api/session');
      expect(me.statusCode).toBe(200);
      const body = me.json<Record<string, unknown>>();
      expect(Object.keys(body).sort()).toEqual(['csrf_token', 'expires_at', 'user']);
      expect(body.user).toMatchObject({ login: 'admin', is_superuser: true });
      // Every other admin endpoint still needs a session.
      expect((await server.app.inject({ method: 'GET', url: '/admin/api/users' })).statusCode).toBe(401);
    });

    it('journals failed logins with their reason, one entry per login and address per minute, and names actors by login', async () => {
      for (let i = 0; i < 4; i++) {
        await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'mallory', password: `guess-${i}` }, remoteAddress: '10.9.9.9' });
      }
      const failed = await server.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'auth.login_failed').execute();
      const mine = failed.filter((a) => a.details?.includes('"mallory"'));
      expect(mine).toHaveLength(1);
      expect(JSON.parse(mine[0]?.details ?? '{}')).toMatchObject({ login: 'mallory', ip: '10.9.9.9', reason: 'bad_credentials', count: 1 });

      const api = await server.app.inject({ method: 'GET', url: '/service_groups/', headers: { authorization: basic('admin', 'wrong') }, remoteAddress: '10.8.8.8' });
      expect(api.statusCode).toBe(401);
      const viaApi = await eventually(async () => {
        const rows = await server.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'auth.login_failed').execute();
        return rows.find((a) => a.ip === '10.8.8.8');
      });
      expect(JSON.parse(viaApi.details ?? '{}')).toMatchObject({ login: 'admin', reason: 'bad_credentials' });

      const journal = await call(server, admin, 'GET', '/admin/api/audit?limit=200');
      expect(journal.statusCode).toBe(200);
      const entries = journal.json<{ action: string; user_id: number | null; actor_login: string | null }[]>();
      expect(entries.find((e) => e.action === 'session.login')).toMatchObject({ user_id: admin.userId, actor_login: 'admin' });
      expect(entries.find((e) => e.action === 'auth.login_failed')).toMatchObject({ user_id: null, actor_login: null });
    });

    it('shows the API user on admin receipts, and answers a stale state with the same 409 on both route families', async () => {
      const posted = await server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: basic('admin', 'admin') }, payload: EXAMPLE_RECEIPT });
      expect(posted.statusCode).toBe(200);
      const id = Number(posted.json<{ id: string }>().id);
      const one = await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}`);
      expect(one.json<{ user_login: string }>().user_login).toBe('admin');
      const list = await call(server, admin, 'GET', '/admin/api/service_groups/1/receipts');
      expect(list.json<{ items: { id: number; user_login: string }[] }>().items.find((r) => r.id === id)?.user_login).toBe('admin');
      // The REST resource is unchanged.
      const rest = await server.app.inject({ method: 'GET', url: `/service_groups/1/receipts/${id}`, headers: { authorization: basic('admin', 'admin') } });
      expect(rest.json()).not.toHaveProperty('user_login');

      await eventually(async () => (await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}`)).json<{ state: string }>().state === 'success', 20_000);
      const viaDashboard = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${id}/cancel`);
      const viaApi = await server.app.inject({ method: 'POST', url: `/service_groups/1/receipts/${id}/cancel`, headers: { authorization: basic('admin', 'admin') } });
      expect(viaDashboard.statusCode).toBe(409);
      expect(viaApi.statusCode).toBe(409);
      expect(viaApi.json<Errors>()).toEqual(viaDashboard.json<Errors>());
      expect(viaApi.json<Errors>().errors[0]).toMatchObject({ code: 'receipt_not_pending', message: 'Only a pending receipt can be canceled; this one is success' });
    });

    it('uses one page size for FN documents on both route families', async () => {
      const viaDashboard = await call(server, admin, 'GET', '/admin/api/service_groups/1/documents');
      const viaApi = await server.app.inject({ method: 'GET', url: '/service_groups/1/documents/', headers: { authorization: basic('admin', 'admin') } });
      expect(viaDashboard.statusCode).toBe(200);
      expect(viaApi.statusCode).toBe(200);
      const d = viaDashboard.json<{ items: unknown[]; last_fd_number: number }>();
      const a = viaApi.json<{ items: unknown[] }>();
      expect(d.items).toHaveLength(Math.min(50, d.last_fd_number));
      expect(a.items).toHaveLength(d.items.length);
    });

    it('answers a shift operation as soon as the worker has done it, without polling for it', async () => {
      const started = performance.now();
      const res = await server.app.inject({ method: 'POST', url: '/service_groups/1/reports/x', headers: { authorization: basic('admin', 'admin') } });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ state: string }>().state).toBe('success');
      // The safety re-read is every 5 s: an answer well before it came from the completion signal.
      expect(performance.now() - started).toBeLessThan(4000);
    });
  });
}
