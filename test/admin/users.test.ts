import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { basic, call, EXAMPLE_RECEIPT, login, backends, startAdminServer, type Admin } from './helpers.js';

const codeOf = (res: { json: <T>() => T }) => res.json<{ errors: { code: string; field?: string }[] }>().errors[0];

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`admin users on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeEach(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterEach(async () => {
      await server.cleanup();
    });

    const create = (login: string, extra: Record<string, unknown> = {}) =>
      call(server, admin, 'POST', '/admin/api/users', { login, name: `${login} name`, password: 'p@55w0rd', is_active: true, is_superuser: false, ...extra });

    it('creates a user who appears in the list and can use the REST API; logins are unique', async () => {
      const res = await create('demo');
      expect(res.statusCode).toBe(200);
      const list = await call(server, admin, 'GET', '/admin/api/users');
      expect(list.json<{ login: string }[]>().map((u) => u.login)).toEqual(['admin', 'demo']);
      expect((await server.app.inject({ method: 'GET', url: '/service_groups/', headers: { authorization: basic('demo', 'p@55w0rd') } })).statusCode).toBe(200);
      const dup = await create('demo');
      expect(dup.statusCode).toBe(409);
      expect(codeOf(dup)).toMatchObject({ code: 'login_taken', field: 'login' });
      expect((await create('bad:login')).statusCode).toBe(400);
      const audit = await server.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'user.create').execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ login: 'admin', target: `user:${res.json<{ id: number }>().id}` });
      expect(audit[0]?.details).not.toContain('p@55w0rd');
    });

    it('edits, changes the password (old one stops working), deactivates', async () => {
      const id = (await create('demo')).json<{ id: number }>().id;
      const auth = (pw: string) => server.app.inject({ method: 'GET', url: '/service_groups/', headers: { authorization: basic('demo', pw) } });
      expect((await auth('p@55w0rd')).statusCode).toBe(200);
      const edited = await call(server, admin, 'PATCH', `/admin/api/users/${id}`, { name: 'Демо' });
      expect(edited.json<{ name: string }>().name).toBe('Демо');
      expect((await call(server, admin, 'PUT', `/admin/api/users/${id}/password`, { password: 'n3w-secret' })).statusCode).toBe(200);
      expect((await auth('p@55w0rd')).statusCode).toBe(401);
      expect((await auth('n3w-secret')).statusCode).toBe(200);
      expect((await call(server, admin, 'PATCH', `/admin/api/users/${id}`, { is_active: false })).statusCode).toBe(200);
      expect((await auth('n3w-secret')).statusCode).toBe(401);
    });

    it('never deactivates, demotes or deletes yourself or the last active superuser', async () => {
      expect(codeOf(await call(server, admin, 'PATCH', `/admin/api/users/${admin.userId}`, { is_active: false }))?.code).toBe('cannot_demote_self');
      expect(codeOf(await call(server, admin, 'PATCH', `/admin/api/users/${admin.userId}`, { is_superuser: false }))?.code).toBe('cannot_demote_self');
      expect(codeOf(await call(server, admin, 'DELETE', `/admin/api/users/${admin.userId}`))?.code).toBe('cannot_delete_self');

      // Another superuser may not remove the last active superuser either.
      const other = (await create('root2', { is_superuser: true })).json<{ id: number }>().id;
      const root2 = await login(server, 'root2', 'p@55w0rd');
      expect((await call(server, root2, 'PATCH', `/admin/api/users/${admin.userId}`, { is_active: false })).statusCode).toBe(200);
      // Now root2 is the only active superuser: admin is inactive.
      const again = await call(server, root2, 'DELETE', `/admin/api/users/${other}`);
      expect(codeOf(again)?.code).toBe('cannot_delete_self');
      expect((await call(server, root2, 'PATCH', `/admin/api/users/${admin.userId}`, { is_active: true })).statusCode).toBe(200);
      expect((await call(server, root2, 'DELETE', `/admin/api/users/${admin.userId}`)).statusCode).toBe(200);
      const fresh = await create('x', {}).catch(() => null);
      expect(fresh?.statusCode).toBe(401); // admin's session died with the user
    });

    it('refuses to delete a user with receipts and suggests deactivation', async () => {
      const id = (await create('demo')).json<{ id: number }>().id;
      expect((await call(server, admin, 'PUT', '/admin/api/service_groups/1/access', { user_ids: [id] })).statusCode).toBe(200);
      const posted = await server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: basic('demo', 'p@55w0rd') }, payload: EXAMPLE_RECEIPT });
      expect(posted.statusCode).toBe(200);
      const del = await call(server, admin, 'DELETE', `/admin/api/users/${id}`);
      expect(del.statusCode).toBe(409);
      expect(codeOf(del)?.code).toBe('user_has_receipts');
      expect(codeOf(del)).toMatchObject({ code: 'user_has_receipts' });
      const other = (await create('temp')).json<{ id: number }>().id;
      expect((await call(server, admin, 'DELETE', `/admin/api/users/${other}`)).statusCode).toBe(200);
      expect((await call(server, admin, 'GET', '/admin/api/users')).json<{ login: string }[]>().map((u) => u.login)).toEqual(['admin', 'demo']);
    });
  });
}
