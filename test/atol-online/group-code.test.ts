import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, emulatorGroup, startAdminServer, type Admin } from '../admin/helpers.js';
import type { TestServer } from '../support/server.js';

type Group = { id: number; settings: { group_code: string | null } };

/** The group code of the ATOL Online API as the dashboard's admin API sets it: validated, unique, audited. */
describe.each(backends)('the ATOL Online group code of a service group on $backend', ({ backend, skip }) => {
  let server: TestServer;
  let admin: Admin;
  beforeAll(async () => {
    if (skip) return;
    ({ server, admin } = await startAdminServer(backend));
  });
  afterAll(async () => {
    if (!skip) await server.cleanup();
  });

  it.skipIf(skip)('is set on create and edit, shown in both APIs, cleared with an empty value', async () => {
    const created = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('АТОЛ Онлайн'), group_code: '  v4-online-atol-ru_4179 ' });
    expect(created.statusCode, created.body).toBe(200);
    const g = created.json<Group>();
    expect(g.settings.group_code).toBe('v4-online-atol-ru_4179');
    const rest = await server.app.inject({ url: `/service_groups/${g.id}`, headers: { authorization: server.admin } });
    expect(rest.json<Group>().settings.group_code).toBe('v4-online-atol-ru_4179');

    const edited = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { group_code: 'shop.main-1' });
    expect(edited.json<Group>().settings.group_code).toBe('shop.main-1');
    // Other edits keep it.
    expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { shift_duration: 600 })).json<Group>().settings.group_code).toBe('shop.main-1');
    const audit = (await call(server, admin, 'GET', '/admin/api/audit?limit=5')).json<{ action: string; details: string }[]>();
    expect(audit.find((e) => e.action === 'service_group.update' && e.details.includes('shop.main-1'))).toBeDefined();

    expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { group_code: '' })).json<Group>().settings.group_code).toBeNull();
    expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { group_code: 'again' })).json<Group>().settings.group_code).toBe('again');
    expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { group_code: null })).json<Group>().settings.group_code).toBeNull();
  });

  it.skipIf(skip)('refuses a malformed code with 400 and a taken one with 409, naming the field', async () => {
    const bad = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Плохой код'), group_code: 'код с пробелом' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { field: string; code: string }[] }>().errors).toEqual([expect.objectContaining({ field: 'group_code', code: 'invalid_format' })]);
    const long = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Длинный код'), group_code: 'x'.repeat(65) });
    expect(long.statusCode).toBe(400);

    const first = (await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Первый'), group_code: 'taken' })).json<Group>();
    const dup = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Второй'), group_code: 'taken' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<{ errors: { field: string; code: string }[] }>().errors).toEqual([expect.objectContaining({ field: 'group_code', code: 'group_code_taken' })]);
    const second = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Второй'))).json<Group>();
    const clash = await call(server, admin, 'PATCH', `/admin/api/service_groups/${second.id}`, { group_code: 'taken' });
    expect(clash.statusCode).toBe(409);
    // Its own code again is no clash.
    expect((await call(server, admin, 'PATCH', `/admin/api/service_groups/${first.id}`, { group_code: 'taken' })).statusCode).toBe(200);
    // Two racing for one code: the unique index decides, the loser gets the same 409.
    const racing = await Promise.all(['Гонка 1', 'Гонка 2'].map((name) => call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(name), group_code: 'raced' })));
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });
});
