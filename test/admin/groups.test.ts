import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { basic, call, emulatorGroup, EXAMPLE_RECEIPT, backends, startAdminServer, type Admin } from './helpers.js';

type Errors = { errors: { code: string; field?: string }[] };

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`admin service groups on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeEach(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterEach(async () => {
      await server.cleanup();
    });

    const until = async (pred: () => Promise<boolean>, ms = 10_000) => {
      const end = Date.now() + ms;
      while (!(await pred())) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    it('lists drivers with their device models and config schema', async () => {
      const res = await call(server, admin, 'GET', '/admin/api/drivers');
      const emulator = res.json<{ model: string; device_models: string[]; config_schema: { properties: Record<string, { title?: string }> } }[]>().find((d) => d.model === 'emulator');
      expect(emulator?.device_models).toContain('Virtual register');
      expect(emulator?.config_schema.properties.company_inn?.title).toBe('Company INN');
    });

    it('creates a group, validating the device config against the driver schema', async () => {
      const bad = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), config: { company_inn: '12', ffd_version: '999', nonsense: 1 } });
      expect(bad.statusCode).toBe(400);
      const fields = bad.json<Errors>().errors.map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['config.company_inn', 'config.ffd_version', 'config.nonsense']));
      const unknownDriver = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), driver: 'nope' });
      expect(unknownDriver.json<Errors>().errors[0]).toMatchObject({ field: 'driver', code: 'unknown_driver' });
      const badShift = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), shift_duration: 1441 });
      expect(badShift.statusCode).toBe(400);
      const badTime = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), daily_close_time: '25:00' });
      expect(badTime.json<Errors>().errors[0]).toMatchObject({ field: 'daily_close_time' });

      const ok = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), daily_close_time: '23:30' });
      expect(ok.statusCode).toBe(200);
      const g = ok.json<{ id: number; running: boolean; config: Record<string, unknown>; settings: { daily_close_time: string } }>();
      expect(g.running).toBe(false);
      expect(g.config).toMatchObject({ company_name: 'ООО "Ромашка"', ffd_version: '105' });
      expect(g.settings.daily_close_time).toBe('23:30');
      const list = await call(server, admin, 'GET', '/admin/api/service_groups');
      expect(list.json<{ id: number }[]>().map((x) => x.id)).toContain(g.id);
    });

    it('access settings, start, a granted user’s receipt, refusal elsewhere, stop', async () => {
      const user = (await call(server, admin, 'POST', '/admin/api/users', { login: 'demo', name: 'Demo', password: 'p@55w0rd', is_active: true, is_superuser: false })).json<{ id: number }>();
      const g = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup())).json<{ id: number }>();
      const post = (groupId: number) => server.app.inject({ method: 'POST', url: `/service_groups/${groupId}/receipts/`, headers: { authorization: basic('demo', 'p@55w0rd') }, payload: EXAMPLE_RECEIPT });

      expect((await post(g.id)).statusCode).toBe(403);
      const access = await call(server, admin, 'PUT', `/admin/api/service_groups/${g.id}/access`, { user_ids: [user.id] });
      expect(access.json<{ user_ids: number[] }>().user_ids).toEqual([user.id]);
      expect((await post(g.id)).statusCode).toBe(503); // stopped

      const started = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/start`);
      expect(started.json<{ running: boolean }>().running).toBe(true);
      expect(server.workers.isRunning(g.id)).toBe(true);
      const posted = await post(g.id);
      expect(posted.statusCode).toBe(200);
      const rid = posted.json<{ id: string }>().id;
      await until(async () => (await call(server, admin, 'GET', `/admin/api/service_groups/${g.id}/receipts/${rid}`)).json<{ state: string }>().state === 'success');
      const list = await call(server, admin, 'GET', `/admin/api/service_groups/${g.id}/receipts?state=success`);
      expect(list.json<{ items: { id: number }[] }>().items.map((r) => String(r.id))).toEqual([rid]);
      expect((await post(1)).statusCode).toBe(403);

      const x = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/reports/x`);
      expect(x.json<{ state: string }>().state).toBe('success');

      const stopped = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/stop`);
      expect(stopped.json<{ running: boolean }>().running).toBe(false);
      expect(server.workers.isRunning(g.id)).toBe(false);
      const actions = (await server.db.kysely.selectFrom('audit_log').select('action').execute()).map((a) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['service_group.create', 'service_group.access', 'service_group.start', 'service_group.x_report', 'service_group.stop']));

      const overview = await call(server, admin, 'GET', '/admin/api/overview?days=7');
      const mine = overview.json<{ groups: { id: number; counts: number[]; sums: number[] }[] }>().groups.find((o) => o.id === g.id);
      expect(mine?.counts.at(-1)).toBe(1);
      expect(mine?.sums.at(-1)).toBe(200);
    });

    it('refuses to delete a group while receipts are pending; deletes an empty one', async () => {
      const user = (await call(server, admin, 'POST', '/admin/api/users', { login: 'demo', name: 'Demo', password: 'p@55w0rd', is_active: true, is_superuser: false })).json<{ id: number }>();
      const g = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup())).json<{ id: number }>();
      await call(server, admin, 'PUT', `/admin/api/service_groups/${g.id}/access`, { user_ids: [user.id] });
      await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/start`);
      await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/stop`);
      // Stopped, but the receipt is queued directly (a receipt accepted just before «Стоп»).
      await server.db.kysely.updateTable('service_groups').set({ running: 1 }).where('id', '=', g.id).execute();
      const posted = await server.app.inject({ method: 'POST', url: `/service_groups/${g.id}/receipts/`, headers: { authorization: basic('demo', 'p@55w0rd') }, payload: EXAMPLE_RECEIPT });
      expect(posted.statusCode).toBe(200);
      await server.db.kysely.updateTable('service_groups').set({ running: 0 }).where('id', '=', g.id).execute();
      const del = await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}`);
      expect(del.statusCode).toBe(409);
      expect(del.json<Errors>().errors[0]?.code).toBe('receipts_in_progress');

      const empty = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Пустая'))).json<{ id: number }>();
      expect((await call(server, admin, 'DELETE', `/admin/api/service_groups/${empty.id}`)).statusCode).toBe(200);
      expect((await call(server, admin, 'GET', `/admin/api/service_groups/${empty.id}`)).statusCode).toBe(404);
    });

    it('edits settings and device config, and disables a group (start refused)', async () => {
      const g = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup())).json<{ id: number }>();
      const edited = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { name: 'Склад', config: { company_name: 'ООО "Склад"' }, shift_duration: 720 });
      expect(edited.statusCode).toBe(200);
      expect(edited.json<{ name: string; config: { company_name: string }; settings: { shift_duration: number } }>()).toMatchObject({ name: 'Склад', config: { company_name: 'ООО "Склад"' }, settings: { shift_duration: 720 } });
      const bad = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { config: { latency_ms: -1 } });
      expect(bad.json<Errors>().errors[0]?.field).toBe('config.latency_ms');
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { enabled: false });
      const start = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/start`);
      expect(start.json<Errors>().errors[0]?.code).toBe('service_group_disabled');
    });
  });
}
