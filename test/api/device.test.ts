import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { ORIGINAL_EXAMPLE, sellReceipt, type Body } from './fixtures.js';

const pgOk = await postgresReachable();

/** A clock the test moves: the server, its workers and the virtual register all read it. */
const fakeClock = (start = Date.parse('2026-11-28T09:00:00Z')) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

describe.each(BACKENDS)('device operations on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  const clock = fakeClock();
  let s: TestServer;

  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend, { clock });
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    s.app.inject({ method, url, headers: { authorization: s.admin }, ...(payload === undefined ? {} : { payload: payload as Body }) });
  const register = async (body: Body = ORIGINAL_EXAMPLE) => {
    const res = await req('POST', '/service_groups/1/receipts/', body);
    expect(res.statusCode).toBe(200);
    const id = res.json<{ id: string }>().id;
    return eventually(async () => {
      const r = (await req('GET', `/service_groups/1/receipts/${id}`)).json<Body & { state: string }>();
      return r.state === 'success' || r.state === 'failed' ? r : null;
    });
  };

  it.skipIf(skip)('a +05:00 register not in automatic mode: 422 cashier_required, documents in local time with rawData', async () => {
    const groups = createGroupRepository(s.db);
    const { group } = await groups.create(
      { name: 'Екатеринбург', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: { automatic_mode: false, timezone_offset: '+05:00', company_inn: '7825706086', ffd_version: '120' } },
      clock.now(),
    );
    await groups.setRunning(group.id, true, clock.now());
    await s.workers.reconcile();
    const info = await eventually(async () => {
      const g = (await req('GET', `/service_groups/${group.id}`)).json<{ device: { registration: Body | null } }>();
      return g.device.registration ? g.device.registration : null;
    });
    expect(info).toMatchObject({ automatic_mode: false, company_inn: '7825706086' });

    const refused = await req('POST', `/service_groups/${group.id}/receipts/`, sellReceipt());
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ errors: Body[] }>().errors).toContainEqual(expect.objectContaining({ field: 'cashier', code: 'cashier_required' }));
    expect((await req('GET', `/service_groups/${group.id}/receipts/`)).json<{ items: unknown[] }>().items).toEqual([]);

    const ok = await req('POST', `/service_groups/${group.id}/receipts/`, sellReceipt({ cashier: { name: 'Иванова А. А.', inn: '500100732259' } }));
    expect(ok.statusCode).toBe(200);
    const id = ok.json<{ id: string }>().id;
    const r = await eventually(async () => {
      const x = (await req('GET', `/service_groups/${group.id}/receipts/${id}`)).json<Body & { state: string }>();
      return x.state === 'success' ? x : null;
    });
    const doc = (await req('GET', `/service_groups/${group.id}/documents/${r.receipt_num as number}`)).json<{ receipt: Body }>().receipt;
    // 09:00Z is 14:00 in Yekaterinburg: 1012 holds the wall clock, as the QR code does.
    expect(String(r.registration_datetime)).toMatch(/^2026-11-28T14:00:\d\d\+05:00$/);
    expect(String(doc.dateTime)).toBe(String(r.registration_datetime).slice(0, 19));
    expect(String(r.qr)).toContain('t=20261128T1400');
    expect(doc).toMatchObject({ userInn: '7825706086  ', operator: 'Иванова А. А.', operatorInn: '500100732259', appliedTaxationType: 1 });
    const raw = Buffer.from(String(doc.rawData), 'base64');
    expect(raw.readUInt16LE(0)).toBe(3);
    expect(raw.readUInt16LE(2)).toBe(raw.length - 4);
  });

  it.skipIf(skip)('serves FN documents in the FNS JSON form, newest first, and one by number', async () => {
    const r = await register();
    const doc = (await req('GET', `/service_groups/1/documents/${r.receipt_num as number}`)).json<Record<string, Record<string, unknown>>>();
    expect(Object.keys(doc)).toEqual(['receipt']);
    expect(doc.receipt).toMatchObject({ fiscalDocumentNumber: r.receipt_num, totalSum: 20000, operationType: 1, fiscalDocumentFormatVer: 2, fiscalDriveNumber: r.fn_serial });
    expect(String(doc.receipt?.fiscalSign)).toBe(r.fiscal_sign);
    const list = (await req('GET', '/service_groups/1/documents/?limit=3')).json<{ items: Record<string, Record<string, number>>[]; next_before: number | null; last_fd_number: number }>();
    expect(list.items.length).toBeGreaterThan(0);
    const numbers = list.items.map((d) => Object.values(d)[0]?.fiscalDocumentNumber);
    expect(numbers[0]).toBe(list.last_fd_number);
    expect(numbers).toEqual([...numbers].sort((a, b) => (b ?? 0) - (a ?? 0)));
    expect((await req('GET', '/service_groups/1/documents/999999')).statusCode).toBe(404);
  });

  it.skipIf(skip)('renders the printable receipt with the QR code as SVG', async () => {
    const r = await register(sellReceipt({ products: [{ name: 'Чайник <b>', payment_state_int: 4, price: '1200.00', commodity_type_int: 1, quantity: 1, tax_type: 'vat20' }], payments: [{ payment_type_int: 0, payment_sum: 1500 }] }));
    const res = await req('GET', `/service_groups/1/receipts/${r.id as number}/print`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<svg');
    expect(res.body).toContain('КАССОВЫЙ ЧЕК · ПРИХОД');
    expect(res.body).toContain('Чайник &lt;b&gt;');
    expect(res.body).toContain('СДАЧА');
    expect(res.body).toContain('300.00');
    expect(res.body).toContain('СУММА НДС 20%');
    expect(res.body).toContain('200.00'); // 1200 × 20/120
    expect(res.body).toContain(String(r.fiscal_sign));
  });

  it.skipIf(skip)('runs shift operations through the queue: X-report, close (Z), open', async () => {
    const x = (await req('POST', '/service_groups/1/reports/x')).json<Body & { result: Body }>();
    expect(x).toMatchObject({ kind: 'x_report', state: 'success' });
    const close = (await req('POST', '/service_groups/1/shift/close')).json<Body & { result: { fdNumber: number; shiftNumber: number } }>();
    expect(close).toMatchObject({ kind: 'close_shift', state: 'success' });
    const closedDoc = (await req('GET', `/service_groups/1/documents/${close.result.fdNumber}`)).json<Record<string, unknown>>();
    expect(Object.keys(closedDoc)).toEqual(['closeShift']);
    const again = (await req('POST', '/service_groups/1/shift/close')).json<Body & { error: { code: string } }>();
    expect(again.state).toBe('failed');
    expect(again.error.code).toBe('shift_closed');
    const open = (await req('POST', '/service_groups/1/shift/open')).json<Body & { result: { shiftNumber: number } }>();
    expect(open.state).toBe('success');
    expect(open.result.shiftNumber).toBe(close.result.shiftNumber + 1);
    const audit = await s.db.kysely.selectFrom('audit_log').select(['action', 'login']).where('action', 'like', 'service_group.%').orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['service_group.x_report', 'service_group.close_shift', 'service_group.open_shift']));
    const g = (await req('GET', '/service_groups/1')).json<{ device: { shift: Body } }>();
    expect(g.device.shift).toMatchObject({ state: 'open', number: open.result.shiftNumber, receipts_in_shift: 0 });
  });

  it.skipIf(skip)('a shift older than 24 h refuses receipts; with automatic shift management the server closes and reopens it', async () => {
    const groups = createGroupRepository(s.db);
    await groups.update(1, { autoOpenShift: false }, clock.now());
    const first = await register();
    expect(first.state).toBe('success');
    clock.advance(24 * 3600_000 + 60_000);
    const refused = await register();
    expect(refused.state).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'shift_expired' });

    await groups.update(1, { autoOpenShift: true }, clock.now());
    const ok = await register();
    expect(ok.state).toBe('success');
    expect(ok.shift_num).toBe((first.shift_num as number) + 1);
    expect(ok.receipt_in_shift_num).toBe(1);
  });

  it.skipIf(skip)('closes the shift before it reaches the group’s shift duration', async () => {
    const groups = createGroupRepository(s.db);
    await groups.update(1, { shiftDurationMin: 60 }, clock.now());
    const a = await register();
    clock.advance(60 * 60_000);
    s.workers.notify(1);
    await eventually(async () => (await req('GET', '/service_groups/1')).json<{ device: { shift: { state: string } } }>().device.shift.state === 'closed', 15_000);
    const b = await register();
    expect(b.shift_num).toBe((a.shift_num as number) + 1);
    await groups.update(1, { shiftDurationMin: 1440 }, clock.now());
  });

  it.skipIf(skip)('injects faults only for superusers and shows the device and receipt state afterwards', async () => {
    // Paper out: the receipt waits at the head of the queue, the group shows the error, nothing is fiscalized.
    expect((await req('POST', '/service_groups/1/device/faults', { kind: 'paper_out' })).statusCode).toBe(200);
    const res = await req('POST', '/service_groups/1/receipts/', ORIGINAL_EXAMPLE);
    const id = res.json<{ id: string }>().id;
    const waiting = await eventually(async () => {
      const g = (await req('GET', '/service_groups/1')).json<{ state: string; state_reason: string | null }>();
      return g.state === 'error' ? g : null;
    });
    expect(waiting.state_reason).toMatch(/paper_out/);
    const pendingView = (await req('GET', `/service_groups/1/receipts/${id}`)).json<Body>();
    // Waiting at the head of the queue (the worker retries with backoff, so it may be at the device again).
    expect(['pending', 'processing']).toContain(pendingView.state);
    expect(pendingView.error).toMatchObject({ code: 'paper_out', retryable: true });
    expect(pendingView.receipt_num).toBeNull();
    expect((await req('DELETE', '/service_groups/1/device/faults')).json()).toEqual({ active: [] });
    clock.advance(1000);
    s.workers.notify(1);
    const done = await eventually(async () => {
      const r = (await req('GET', `/service_groups/1/receipts/${id}`)).json<{ state: string }>();
      return r.state === 'success' ? r : null;
    }, 15_000);
    expect(done.state).toBe('success');
    expect((await req('POST', '/service_groups/1/device/faults', { kind: 'melt' })).statusCode).toBe(400);
  });

  it.skipIf(skip)('lets a superuser cancel a pending receipt and retry a failed one, with an audit record', async () => {
    await createGroupRepository(s.db).setRunning(1, false, clock.now());
    await s.workers.reconcile();
    // Stopped group: new receipts are refused with 503.
    expect((await req('POST', '/service_groups/1/receipts/', ORIGINAL_EXAMPLE)).statusCode).toBe(503);
    const row = await s.db.kysely.selectFrom('receipts').select(['id']).where('state', '=', 'success').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect((await req('POST', `/service_groups/1/receipts/${row.id}/cancel`)).statusCode).toBe(409);
    await s.db.kysely.updateTable('receipts').set({ state: 'pending' }).where('id', '=', row.id).execute();
    const canceled = await req('POST', `/service_groups/1/receipts/${row.id}/cancel`);
    expect(canceled.json()).toMatchObject({ state: 'failed', error: { code: 'canceled' } });
    const retried = await req('POST', `/service_groups/1/receipts/${row.id}/retry`);
    expect(retried.json()).toMatchObject({ state: 'pending', error: null });
    const audit = await s.db.kysely.selectFrom('audit_log').selectAll().where('target', '=', `receipt:${row.id}`).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['receipt.cancel', 'receipt.retry']);
    expect(audit[0]).toMatchObject({ login: 'admin' });
    await s.db.kysely.updateTable('receipts').set({ state: 'success' }).where('id', '=', row.id).execute();
    await createGroupRepository(s.db).setRunning(1, true, clock.now());
    await s.workers.reconcile();
  });
});
