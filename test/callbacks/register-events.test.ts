import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/passwords.js';
import { createUserRepository } from '../../src/storage/users.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { basic, eventually, testServer, type TestServer } from '../support/server.js';
import { call, emulatorGroup, EXAMPLE_RECEIPT, login, type Admin } from '../admin/helpers.js';
import { startReceiver, verify, type Receiver } from './receiver.js';

const pgOk = await postgresReachable();

/** Test timing: short backoff and polls (the behaviour, not the numbers, is tested). */
const FAST = { baseDelayMs: 100, capDelayMs: 2000, connectTimeoutMs: 1000, responseTimeoutMs: 700, pollMs: 50, leaseMs: 5000 };

type Errors = { errors: { code: string; field?: string }[] };
interface GroupView {
  id: number;
  name: string;
  registers: { id: number; forecast: { warning: { what: string } | null } | null; registration: { registration_number: string; fn_serial: string } | null }[];
  settings: { events_url: string | null; events_user_id: number | null };
}

/**
 * Register events (docs/api.md "Register events") end to end on SQLite and PostgreSQL: a virtual
 * register whose FN expires in two days raises an FN forecast warning, and the group's events URL —
 * a real receiver on 127.0.0.1, allowed with CR_CALLBACK_ALLOW — gets exactly one signed
 * register.fn_warning for it, however often the worker judges the register afterwards and across
 * a restart of its worker. A group without an events URL sends nothing; the admin API checks the URL.
 */
describe.each(BACKENDS)('register events on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  let admin: Admin;
  let rx: Receiver;

  beforeAll(async () => {
    if (skip) return;
    rx = await startReceiver();
    s = await testServer(backend, { env: { CR_CALLBACK_ALLOW: '127.0.0.1/32' }, callbacks: FAST });
    admin = await login(s);
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await s.cleanup();
    await rx.close();
  });

  const group = async (id: number) => (await call(s, admin, 'GET', `/admin/api/service_groups/${id}`)).json<GroupView>();
  /** A running group whose virtual FN expires in two days (within the default 15 warning days). */
  async function expiringGroup(name: string, extra: Record<string, unknown> = {}): Promise<GroupView> {
    const res = await call(s, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup(name), config: { ...emulatorGroup().config, fn_lifetime_days: 2 }, ...extra });
    expect(res.statusCode, res.body).toBe(200);
    const g = res.json<GroupView>();
    expect((await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/start`)).statusCode).toBe(200);
    return eventually(async () => {
      const v = await group(g.id);
      return v.registers.every((r) => r.forecast?.warning?.what === 'expiry') ? v : null;
    }, 15_000);
  }
  const receipts = async (groupId: number, n: number) => {
    for (let i = 0; i < n; i += 1) {
      const res = await s.app.inject({ method: 'POST', url: `/service_groups/${groupId}/receipts/`, headers: { authorization: basic('admin', 'admin') }, payload: EXAMPLE_RECEIPT });
      expect(res.statusCode).toBe(200);
    }
    await eventually(async () => (await s.db.kysely.selectFrom('receipts').select('id').where('group_id', '=', groupId).where('state', 'in', ['pending', 'processing']).execute()).length === 0, 15_000);
  };
  const eventsOf = (groupId: number) => rx.requests.filter((r) => r.headers['x-cr-event'] === 'register.fn_warning' && (r.json.service_group as { id?: number } | undefined)?.id === groupId);
  const outboxOf = (groupId: number) => s.db.kysely.selectFrom('callback_deliveries').selectAll().where('group_id', '=', groupId).orderBy('id').execute();
  const warningsAudited = async (groupId: number) =>
    (await s.db.kysely.selectFrom('audit_log').select('details').where('action', '=', 'device.fn_forecast_warning').execute())
      .filter((a) => (JSON.parse(a.details ?? '{}') as { service_group?: number }).service_group === groupId).length;

  it.skipIf(skip)('refuses an events URL the callback rules refuse, naming events_url', async () => {
    for (const [url, code] of [
      ['ftp://ops.example.com/cr', 'invalid_format'],
      ['not a url', 'invalid_format'],
      ['https://user:pw@ops.example.com/cr', 'invalid_format'],
      ['http://10.1.2.3/cr', 'destination_not_allowed'],
      ['http://[::1]:8080/cr', 'destination_not_allowed'],
      ['http://169.254.169.254/latest', 'destination_not_allowed'],
      [`https://ops.example.com/${'x'.repeat(2100)}`, 'invalid_length'],
    ] as const) {
      const res = await call(s, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Bad'), events_url: url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<Errors>().errors[0], url).toMatchObject({ field: 'events_url' });
      if (code !== 'invalid_length') expect(res.json<Errors>().errors[0]?.code, url).toBe(code);
      expect((await call(s, admin, 'PATCH', '/admin/api/service_groups/1', { events_url: url })).statusCode, url).toBe(400);
    }
    expect((await group(1)).settings.events_url).toBeNull();
    // The REST API's users cannot set it (the REST group view only shows it).
    const rest = await s.app.inject({ method: 'PATCH', url: '/service_groups/1', headers: { authorization: basic('admin', 'admin') }, payload: { events_url: rx.url } });
    expect(rest.statusCode).toBe(404);
  });

  it.skipIf(skip)('sends one signed register.fn_warning per warning, verified with the setter\'s callback secret', async () => {
    const g = await expiringGroup('С уведомлениями', { events_url: rx.url });
    expect(g.settings).toMatchObject({ events_url: rx.url, events_user_id: admin.userId });
    const [register] = g.registers;
    if (!register?.registration) throw new Error('no registration');
    const [req] = await eventually(async () => (eventsOf(g.id).length > 0 ? eventsOf(g.id) : null), 10_000);
    if (!req) throw new Error('no event');

    // The body and headers.
    const eventId = String(req.headers['x-cr-event-id']);
    expect(req.json).toEqual({
      event: 'register.fn_warning',
      event_id: eventId,
      occurred_at: expect.any(String) as unknown,
      service_group: { id: g.id, name: 'С уведомлениями' },
      register: { id: register.id, model: 'emulator', rnm: register.registration.registration_number, fn_serial: register.registration.fn_serial },
      warning: { what: 'expiry', at: expect.any(String) as unknown, days_left: expect.any(Number) as unknown },
      sent_at: expect.any(String) as unknown,
    });
    const warning = req.json.warning as { at: string; days_left: number };
    expect(Date.parse(warning.at) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(warning.at) - Date.now()).toBeLessThan(2 * 86_400_000 + 60_000);
    expect([1, 2]).toContain(warning.days_left);
    expect(Math.abs(Date.parse(String(req.json.occurred_at)) - Date.now())).toBeLessThan(60_000);
    expect(req.headers['x-cr-event']).toBe('register.fn_warning');
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(String(req.headers['x-cr-signature'])).toMatch(/^v1=[0-9a-f]{64}$/);

    // Signed with the callback secret of the superuser who set the URL (made on first need), and no other.
    const secrets = await createUserRepository(s.db.kysely).callbackSecrets(admin.userId);
    expect(verify(secrets?.current ?? '', req.headers, req.body)).toBe(true);
    expect(verify('crcb_wrong', req.headers, req.body)).toBe(false);
    expect(verify(secrets?.current ?? '', req.headers, req.body.replace('expiry', 'archive'))).toBe(false);

    // The outbox row: a delivered event delivery without a receipt, with its attempt logged.
    const [delivery, ...more] = await eventually(async () => {
      const rows = await outboxOf(g.id);
      return rows[0]?.state === 'delivered' ? rows : null;
    });
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ receipt_id: null, event: 'register.fn_warning', kind: 'event', user_id: admin.userId, url: rx.url, attempts: 1, last_status: 200 });
    expect(String(delivery?.event_id)).toBe(eventId);
    const attempts = await s.db.kysely.selectFrom('callback_attempts').selectAll().where('delivery_id', '=', delivery?.id ?? 0).execute();
    expect(attempts.map((a) => [a.status, a.node])).toEqual([[200, 'test-node']]);
    expect(await warningsAudited(g.id)).toBe(1);

    // More judgements (every receipt's claim judges the register again) and a restart of the
    // worker (it reads the stored health back): the warning is not new, nothing more is sent.
    await receipts(g.id, 3);
    expect((await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/stop`)).statusCode).toBe(200);
    expect((await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/start`)).statusCode).toBe(200);
    await receipts(g.id, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsOf(g.id)).toHaveLength(1);
    expect((await outboxOf(g.id)).filter((d) => d.event === 'register.fn_warning')).toHaveLength(1);
    expect(await warningsAudited(g.id)).toBe(1);

    // The receipts' own callbacks are untouched: these had no callback_url, their logs are empty.
    const [first] = await s.db.kysely.selectFrom('receipts').select('id').where('group_id', '=', g.id).orderBy('id').execute();
    const log = await s.app.inject({ url: `/service_groups/${g.id}/receipts/${first?.id ?? 0}/callbacks`, headers: { authorization: basic('admin', 'admin') } });
    expect(log.statusCode).toBe(200);
    expect(log.json()).toEqual({ callback_url: null, deliveries: [] });

    // The REST group view shows the setting (read-only).
    const view = await s.app.inject({ url: `/service_groups/${g.id}`, headers: { authorization: basic('admin', 'admin') } });
    expect(view.json<GroupView>().settings).toMatchObject({ events_url: rx.url, events_user_id: admin.userId });
  });

  it.skipIf(skip)("lists a group's register events with their attempts, and sends one again (superusers, audited)", async () => {
    const g = await expiringGroup('Журнал уведомлений', { events_url: rx.url });
    const [first] = await eventually(async () => {
      const rows = await outboxOf(g.id);
      return rows[0]?.state === 'delivered' ? rows : null;
    });
    const [received] = eventsOf(g.id);
    if (!first || !received) throw new Error('no event delivered');
    type EventLog = { events_url: string | null; deliveries: { id: number; event_id: string; event: string; kind: string; state: string; attempts: number; payload: Record<string, unknown>; log: { status: number | null; node?: string }[] }[] };

    // The dashboard's log names the node of each attempt; the REST API's does not. The body is the
    // event as sent, without the attempt's sent_at.
    const { sent_at: _sentAt, ...body } = received.json;
    const log = (await call(s, admin, 'GET', `/admin/api/service_groups/${g.id}/events`)).json<EventLog>();
    expect(log).toEqual({
      events_url: rx.url,
      deliveries: [expect.objectContaining({ id: first.id, event_id: received.headers['x-cr-event-id'], event: 'register.fn_warning', kind: 'event', state: 'delivered', attempts: 1, payload: body, log: [expect.objectContaining({ status: 200, node: 'test-node' })] })],
    });
    const restLog = await s.app.inject({ url: `/service_groups/${g.id}/events`, headers: { authorization: basic('admin', 'admin') } });
    expect(restLog.statusCode).toBe(200);
    expect(restLog.json<EventLog>().deliveries[0]?.log).toEqual([expect.not.objectContaining({ node: expect.anything() as unknown })]);

    // Over the REST API a user with access to the group reads the log, but only a superuser sends
    // an event again; a user without access reads nothing. (The dashboard is for superusers.)
    const users = createUserRepository(s.db.kysely);
    const clerk = await users.create({ login: 'clerk', name: 'Clerk', passwordHash: await hashPassword('secret'), isActive: true, isSuperuser: false }, Date.now());
    await users.create({ login: 'stranger', name: 'Stranger', passwordHash: await hashPassword('secret'), isActive: true, isSuperuser: false }, Date.now());
    expect((await call(s, admin, 'PUT', `/admin/api/service_groups/${g.id}/access`, { user_ids: [clerk.id] })).statusCode).toBe(200);
    const asClerk = { authorization: basic('clerk', 'secret') };
    expect((await s.app.inject({ url: `/service_groups/${g.id}/events`, headers: asClerk })).json<EventLog>().deliveries).toHaveLength(1);
    const refused = await s.app.inject({ method: 'POST', url: `/service_groups/${g.id}/events/${first.id}/resend`, headers: asClerk });
    expect([refused.statusCode, refused.json<Errors>().errors[0]?.code]).toEqual([403, 'superuser_required']);
    const stranger = await s.app.inject({ url: `/service_groups/${g.id}/events`, headers: { authorization: basic('stranger', 'secret') } });
    expect([stranger.statusCode, stranger.json<Errors>().errors[0]?.code]).toEqual([403, 'access_denied']);
    const missing = await call(s, admin, 'GET', '/admin/api/service_groups/999999/events');
    expect([missing.statusCode, missing.json<Errors>().errors[0]?.code]).toEqual([404, 'service_group_not_found']);
    // Another group's delivery, or one that does not exist, is not this group's to send.
    const other = await call(s, admin, 'POST', `/admin/api/service_groups/1/events/${first.id}/resend`);
    expect([other.statusCode, other.json<Errors>().errors[0]?.code]).toEqual([404, 'delivery_not_found']);
    expect((await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/events/999999/resend`)).statusCode).toBe(404);

    // Sent again: a new delivery of the same body under a new event id, signed, audited.
    const resent = await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/events/${first.id}/resend`);
    expect(resent.statusCode, resent.body).toBe(200);
    const d = resent.json<{ id: number; event_id: string; kind: string; state: string }>();
    expect(d).toMatchObject({ kind: 'resend', state: 'pending' });
    expect(d.event_id).not.toBe(received.headers['x-cr-event-id']);
    const [, again] = await eventually(async () => (eventsOf(g.id).length === 2 ? eventsOf(g.id) : null), 10_000);
    if (!again) throw new Error('not sent again');
    expect(again.headers['x-cr-event-id']).toBe(d.event_id);
    const { sent_at: _again, ...againBody } = again.json;
    expect(againBody).toEqual({ ...body, event_id: d.event_id });
    const secrets = await users.callbackSecrets(admin.userId);
    expect(verify(secrets?.current ?? '', again.headers, again.body)).toBe(true);
    const after = await eventually(async () => {
      const l = (await call(s, admin, 'GET', `/admin/api/service_groups/${g.id}/events`)).json<EventLog>();
      return l.deliveries[0]?.state === 'delivered' ? l : null;
    });
    expect(after.deliveries.map((x) => [x.kind, x.state, x.attempts])).toEqual([['resend', 'delivered', 1], ['event', 'delivered', 1]]);
    const audit = await s.db.kysely.selectFrom('audit_log').select(['login', 'target', 'details']).where('action', '=', 'group.event_resend').execute();
    expect(audit.map((a) => [a.login, a.target, JSON.parse(a.details ?? '{}') as unknown])).toEqual([['admin', `service_group:${g.id}`, { event: 'register.fn_warning', event_id: d.event_id, resent: received.headers['x-cr-event-id'] }]]);

    // Without an events URL there is nowhere to send it; the history stays readable.
    expect((await call(s, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { events_url: '' })).statusCode).toBe(200);
    const nowhere = await call(s, admin, 'POST', `/admin/api/service_groups/${g.id}/events/${first.id}/resend`);
    expect([nowhere.statusCode, nowhere.json<Errors>().errors[0]?.code]).toEqual([409, 'events_not_configured']);
    const rest = await s.app.inject({ method: 'POST', url: `/service_groups/${g.id}/events/${first.id}/resend`, headers: { authorization: basic('admin', 'admin') } });
    expect(rest.statusCode).toBe(409);
    const kept = (await call(s, admin, 'GET', `/admin/api/service_groups/${g.id}/events`)).json<EventLog>();
    expect([kept.events_url, kept.deliveries.length]).toEqual([null, 2]);
  });

  it.skipIf(skip)('sends nothing for a group without an events URL', async () => {
    const g = await expiringGroup('Без уведомлений');
    expect(g.settings).toMatchObject({ events_url: null, events_user_id: null });
    await eventually(async () => (await warningsAudited(g.id)) === 1, 10_000);
    await receipts(g.id, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await outboxOf(g.id)).toEqual([]);
    expect(eventsOf(g.id)).toEqual([]);
  });

  it.skipIf(skip)('keeps the signer when the form is saved again, and makes a new URL\'s setter the signer', async () => {
    const users = createUserRepository(s.db.kysely);
    await users.create({ login: 'ops', name: 'Ops', passwordHash: await hashPassword('secret'), isActive: true, isSuperuser: true }, Date.now());
    const ops = await login(s, 'ops', 'secret');
    const res = await call(s, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('Подписи'), events_url: rx.url });
    const id = res.json<GroupView>().id;
    // The dashboard sends every field on save: the same URL keeps the signer.
    const same = await call(s, ops, 'PATCH', `/admin/api/service_groups/${id}`, { name: 'Подписи 2', events_url: rx.url });
    expect(same.json<GroupView>().settings).toMatchObject({ events_url: rx.url, events_user_id: admin.userId });
    const other = `${rx.url}?shop=2`;
    const moved = await call(s, ops, 'PATCH', `/admin/api/service_groups/${id}`, { events_url: other });
    expect(moved.json<GroupView>().settings).toMatchObject({ events_url: other, events_user_id: ops.userId });
    const audit = await s.db.kysely.selectFrom('audit_log').select(['details', 'login']).where('action', '=', 'service_group.update').where('target', '=', `service_group:${id}`).orderBy('id').execute();
    expect(audit.map((a) => [a.login, (JSON.parse(a.details ?? '{}') as { events_user_id?: number }).events_user_id])).toEqual([['ops', undefined], ['ops', ops.userId]]);
    const cleared = await call(s, admin, 'PATCH', `/admin/api/service_groups/${id}`, { events_url: '' });
    expect(cleared.json<GroupView>().settings).toMatchObject({ events_url: null, events_user_id: null });
  });
});
