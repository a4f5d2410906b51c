import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { call, cookieOf, login, backends, startTestServer } from './helpers.js';

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`admin session on ${backend}`, () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startTestServer(backend);
    });
    afterEach(async () => {
      await server.cleanup();
    });

    it('logs in with a secure-by-default cookie, reads the session, and logs out', async () => {
      const res = await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'admin', password: 'admin' } });
      expect(res.statusCode).toBe(200);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);
      expect(setCookie).toMatch(/Path=\/admin/);
      expect(setCookie).not.toMatch(/Secure/);
      const body = res.json<{ csrf_token: string; user: { login: string; is_superuser: boolean } }>();
      expect(body.user).toMatchObject({ login: 'admin', is_superuser: true });

      // The table keeps only the token's hash.
      const token = cookieOf(res).split('=')[1] ?? '';
      const rows = await server.db.kysely.selectFrom('sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.id).not.toBe(token);
      expect(rows[0]?.id).toMatch(/^[0-9a-f]{64}$/);

      const admin = { cookie: cookieOf(res), csrf: body.csrf_token, userId: 1 };
      const me = await call(server, admin, 'GET', '/admin/api/session');
      expect(me.statusCode).toBe(200);
      expect(me.json<{ csrf_token: string }>().csrf_token).toBe(body.csrf_token);

      const out = await call(server, admin, 'DELETE', '/admin/api/session');
      expect(out.statusCode).toBe(200);
      expect((await call(server, admin, 'GET', '/admin/api/users')).statusCode).toBe(401);
      const audit = await server.db.kysely.selectFrom('audit_log').select('action').orderBy('id').execute();
      expect(audit.map((a) => a.action)).toEqual(['session.login', 'session.logout']);
    });

    it('marks the cookie Secure behind a TLS proxy', async () => {
      const res = await server.app.inject({ method: 'POST', url: '/admin/api/session', headers: { 'x-forwarded-proto': 'https' }, payload: { login: 'admin', password: 'admin' } });
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    });

    it('refuses wrong passwords with 401 (no Basic challenge) and throttles with 429 + Retry-After', async () => {
      let last = await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'admin', password: 'nope' } });
      expect(last.statusCode).toBe(401);
      expect(last.headers['www-authenticate']).toBeUndefined();
      for (let i = 0; i < 6 && last.statusCode !== 429; i++) {
        last = await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'admin', password: 'nope' } });
      }
      expect(last.statusCode).toBe(429);
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('refuses a non-superuser at login and on the API', async () => {
      const admin = await login(server);
      const created = await call(server, admin, 'POST', '/admin/api/users', { login: 'clerk', name: 'Clerk', password: 'secret1', is_active: true, is_superuser: false });
      expect(created.statusCode).toBe(200);
      const res = await server.app.inject({ method: 'POST', url: '/admin/api/session', payload: { login: 'clerk', password: 'secret1' } });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('not_superuser');
      expect(res.headers['set-cookie']).toBeUndefined();
      // Basic auth is not a dashboard credential.
      const basic = await server.app.inject({ method: 'GET', url: '/admin/api/users', headers: { authorization: `Basic ${Buffer.from('clerk:secret1').toString('base64')}` } });
      expect(basic.statusCode).toBe(401);
    });

    it('ends the session of a superuser who loses the rights (403 while demoted, then gone)', async () => {
      const admin = await login(server);
      const created = await call(server, admin, 'POST', '/admin/api/users', { login: 'boss', name: 'Boss', password: 'secret1', is_active: true, is_superuser: true });
      const boss = await login(server, 'boss', 'secret1');
      expect((await call(server, boss, 'GET', '/admin/api/users')).statusCode).toBe(200);
      await call(server, admin, 'PATCH', `/admin/api/users/${created.json<{ id: number }>().id}`, { is_superuser: false });
      expect([401, 403]).toContain((await call(server, boss, 'GET', '/admin/api/users')).statusCode);
    });

    it('refuses state-changing calls without the CSRF token', async () => {
      const admin = await login(server);
      const payload = { login: 'x1', name: 'X', password: 'secret1', is_active: true, is_superuser: false };
      const noToken = await server.app.inject({ method: 'POST', url: '/admin/api/users', headers: { cookie: admin.cookie }, payload });
      expect(noToken.statusCode).toBe(403);
      expect(noToken.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('csrf_invalid');
      const wrong = await server.app.inject({ method: 'POST', url: '/admin/api/users', headers: { cookie: admin.cookie, 'x-csrf-token': 'x'.repeat(43) }, payload });
      expect(wrong.statusCode).toBe(403);
      expect(await server.db.kysely.selectFrom('users').select('login').where('login', '=', 'x1').executeTakeFirst()).toBeUndefined();
      expect((await call(server, admin, 'POST', '/admin/api/users', payload)).statusCode).toBe(200);
    });

    it('serves the dashboard with security headers and the SPA fallback; API is in the OpenAPI document', async () => {
      const page = await server.app.inject({ method: 'GET', url: '/admin/users' });
      expect([200, 503]).toContain(page.statusCode);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('same-origin');
      expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      const api404 = await server.app.inject({ method: 'GET', url: '/admin/api/nothing' });
      expect(api404.statusCode).toBe(404);
      expect(api404.json<{ errors: unknown[] }>().errors).toHaveLength(1);
      const doc = await server.app.inject({ method: 'GET', url: '/docs/json' });
      const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
      expect(paths).toContain('/admin/api/users');
      expect(paths).toContain('/admin/api/service_groups/{id}/access');
    });
  });
}
