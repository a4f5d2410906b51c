import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { deviceStatus } from '../storage/records.js';
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

    type Settings = { id: number; settings: { marking_policy: string } };
    it('sets the marking policy on create and edit, offline_allowed by default, and refuses another value naming the field', async () => {
      const byDefault = await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('По умолчанию'));
      expect(byDefault.json<Settings>().settings.marking_policy).toBe('offline_allowed');
      for (const policy of ['strict', 'offline_allowed', 'record_only']) {
        const created = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(`Группа ${policy}`), marking_policy: policy });
        expect(created.statusCode).toBe(200);
        const g = created.json<Settings>();
        expect(g.settings.marking_policy).toBe(policy);
        expect((await call(server, admin, 'GET', `/admin/api/service_groups/${g.id}`)).json<Settings>().settings.marking_policy).toBe(policy);
      }

      const g = byDefault.json<Settings>();
      for (const policy of ['record_only', 'strict', 'offline_allowed']) {
        const edited = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { marking_policy: policy });
        expect(edited.statusCode).toBe(200);
        expect(edited.json<Settings>().settings.marking_policy).toBe(policy);
        // What the device worker reads before every receipt.
        expect((await createGroupRepository(server.db).forWorker(g.id))?.group.marking_policy).toBe(policy);
      }
      // Another setting's edit leaves the policy alone.
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { marking_policy: 'strict' });
      expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { shift_duration: 600 })).json<Settings>().settings.marking_policy).toBe('strict');

      for (const bad of ['lenient', '', 'STRICT', 1, null]) {
        const created = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Плохая'), marking_policy: bad });
        expect(created.statusCode, String(bad)).toBe(400);
        expect(created.json<Errors>().errors).toEqual([expect.objectContaining({ field: 'marking_policy', code: 'invalid_value' })]);
        const edited = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { marking_policy: bad });
        expect(edited.statusCode, String(bad)).toBe(400);
        expect(edited.json<Errors>().errors[0]).toMatchObject({ field: 'marking_policy', code: 'invalid_value' });
      }
      expect((await createGroupRepository(server.db).get(g.id))?.marking_policy).toBe('strict');
      const groups = await server.db.kysely.selectFrom('service_groups').select('name').execute();
      expect(groups.map((r) => r.name)).not.toContain('Плохая');

      // Audited: the create with the policy, the edit with the new value.
      const audit = await server.db.kysely.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `service_group:${g.id}`).orderBy('id').execute();
      const details = (d: string | null) => JSON.parse(d ?? '{}') as { marking_policy?: string };
      expect(details(audit[0]?.details ?? null)).toMatchObject({ marking_policy: 'offline_allowed' });
      expect(audit.some((a) => a.action === 'service_group.update' && details(a.details).marking_policy === 'record_only')).toBe(true);
    });

    it('shows the FN marking state as device.marking in the REST and dashboard views', async () => {
      const g = (await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(), marking_policy: 'strict' })).json<{ id: number }>();
      const rest = () => server.app.inject({ method: 'GET', url: `/service_groups/${g.id}`, headers: { authorization: basic('admin', 'admin') } });
      const restView = (await rest()).json<{ settings: { marking_policy: string }; device: { marking: unknown } }>();
      expect(restView.settings.marking_policy).toBe('strict');
      // Not read yet (the group is stopped): null.
      expect(restView.device.marking).toBeNull();

      // The status as the worker stores it: a register without marking, then one that is blocked.
      const devices = createDeviceRepository(server.db);
      const device = await devices.deviceOf(g.id);
      if (!device) throw new Error('no device');
      await devices.updateDevice(device.id, { status: { ...deviceStatus, marking: null }, statusAt: Date.now() }, Date.now());
      expect((await rest()).json<{ device: { marking: unknown } }>().device.marking).toBeNull();
      await devices.updateDevice(device.id, { status: { ...deviceStatus, marking: { blocked: true, unconfirmedNotifications: 17, oldestUnconfirmedAt: '2026-05-29T10:15:00+03:00' } }, statusAt: Date.now() }, Date.now());
      const marking = { blocked: true, unconfirmed_notifications: 17, oldest_unconfirmed_at: '2026-05-29T10:15:00+03:00' };
      expect((await rest()).json<{ device: { marking: unknown } }>().device.marking).toEqual(marking);
      expect((await call(server, admin, 'GET', `/admin/api/service_groups/${g.id}`)).json<{ device: { marking: unknown } }>().device.marking).toEqual(marking);
      const list = (await call(server, admin, 'GET', '/admin/api/service_groups')).json<{ id: number; device: { marking: unknown } }[]>();
      expect(list.find((x) => x.id === g.id)?.device.marking).toEqual(marking);
    });
  });
}
