import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { basic, eventually, testServer, type TestServer } from '../support/server.js';
import { parseReceiptQr } from '../../src/domain/qr.js';
import { hashPassword } from '../../src/services/passwords.js';
import { createUserRepository } from '../../src/storage/users.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { ORIGINAL_EXAMPLE, correctionReceipt, sellReceipt, type Body } from './fixtures.js';

const pgOk = await postgresReachable();

describe.each(BACKENDS)('receipt API on %s', (backend) => {
  let s: TestServer;
  const skip = backend === 'postgres' && !pgOk;

  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend);
    const users = createUserRepository(s.db.kysely);
    const groups = createGroupRepository(s.db);
    const hash = await hashPassword('secret');
    const cashier = await users.create({ login: 'cashier', name: 'Cashier', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    await users.create({ login: 'stranger', name: 'Stranger', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    await users.create({ login: 'inactive', name: 'Inactive', passwordHash: hash, isActive: false, isSuperuser: false }, Date.now());
    await groups.setAccess(1, [cashier.id]);
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  const post = (body: unknown, opts: { auth?: string; group?: number | string; headers?: Record<string, string>; raw?: string } = {}) =>
    s.app.inject({
      method: 'POST',
      url: `/service_groups/${opts.group ?? 1}/receipts/`,
      headers: { authorization: opts.auth ?? s.admin, 'content-type': 'application/json', ...opts.headers },
      payload: opts.raw ?? JSON.stringify(body),
    });
  const get = (url: string, auth?: string) => s.app.inject({ method: 'GET', url, headers: { authorization: auth ?? s.admin } });
  const final = (id: string) =>
    eventually(async () => {
      const r = get(`/service_groups/1/receipts/${id}`);
      const j = (await r).json<Record<string, unknown>>();
      return j.state === 'success' || j.state === 'failed' ? j : null;
    }, 5000);

  it.skipIf(skip)('registers the original example and serves it back fiscalized with every original field', async () => {
    const res = await post(ORIGINAL_EXAMPLE);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ id: string; location: string }>();
    expect(body.id).toMatch(/^\d+$/);
    expect(body.location).toMatch(new RegExp(`/service_groups/1/receipts/${body.id}$`));
    expect(res.headers.location).toBe(body.location);

    // Waits for the outcome itself (up to 5 s), not for a latency.
    const r = await final(body.id);
    expect(r.state).toBe('success');
    for (const field of [
      'id', 'order_id', 'user_id', 'service_id', 'mistaken_receipt_number', 'email', 'phone_number', 'registrator_id', 'fiscal_sign',
      'registration_datetime', 'cashier', 'shift_num', 'tax_system', 'correction_data', 'receipt_in_shift_num', 'need_print', 'receipt_num',
      'payments_total', 'commodities_total_cost', 'commodities', 'payments', 'state', 'registration_number', 'registrator_serial', 'fn_serial',
      'ffd_version', 'ofd_name', 'ffd_inn', 'company_name', 'company_inn', 'operations_address', 'operations_place',
    ]) expect(r, field).toHaveProperty(field);
    expect(r.payments_total).toBe('200.00');
    expect(r.commodities_total_cost).toBe('200.00');
    expect(r.tax_system).toBe(1);
    expect(r.mistaken_receipt_number).toBeNull();
    expect(r.fiscal_sign).toMatch(/^\d{1,10}$/);
    expect(r.receipt_num).toBeGreaterThan(0);
    expect(r.shift_num).toBeGreaterThan(0);
    expect(r.receipt_in_shift_num).toBeGreaterThan(0);
    expect(r.registration_number).toMatch(/^\d{16}$/);
    expect(r.fn_serial).toMatch(/^\d{16}$/);
    expect(r.payments).toEqual([{ payment_sum: '200.00', paymetn_sum: '200.00', payment_type_int: 1 }]);
    expect((r.commodities as Body[])[0]).toMatchObject({ name: 'Grain crusher', quantity: '1', price: '100.00', commodity_type_int: 1, payment_state_int: 1, tax_type_int: 6 });
    const qr = parseReceiptQr(r.qr as string);
    expect(qr).not.toBeNull();
    expect(qr).toMatchObject({ s: '200.00', fn: r.fn_serial, i: r.receipt_num, fp: r.fiscal_sign, n: 1 });
  });

  it.skipIf(skip)('answers 401 with WWW-Authenticate for a wrong password or no credentials', async () => {
    const wrong = await post(ORIGINAL_EXAMPLE, { auth: basic('admin', 'nope') });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm="cr-server"/);
    expect(wrong.json()).toEqual({ errors: [expect.objectContaining({ code: 'invalid_credentials' })] });
    const none = await s.app.inject({ method: 'GET', url: '/service_groups/1/receipts/1' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBeDefined();
    const inactive = await get('/service_groups/', basic('inactive', 'secret'));
    expect(inactive.statusCode).toBe(401);
  });

  it.skipIf(skip)('answers 403 for a user not allowed on the group, and lets an allowed user in', async () => {
    expect((await post(ORIGINAL_EXAMPLE, { auth: basic('stranger', 'secret') })).statusCode).toBe(403);
    expect((await get('/service_groups/1', basic('stranger', 'secret'))).statusCode).toBe(403);
    expect((await get('/service_groups/', basic('stranger', 'secret'))).json()).toEqual([]);
    const ok = await post(ORIGINAL_EXAMPLE, { auth: basic('cashier', 'secret') });
    expect(ok.statusCode).toBe(200);
    const list = (await get('/service_groups/', basic('cashier', 'secret'))).json<Body[]>();
    expect(list.map((g) => g.id)).toEqual([1]);
  });

  it.skipIf(skip)('serves a fiscalized receipt again from its cached body, still checking access on every read', async () => {
    const cashier = basic('cashier', 'secret');
    const { id } = (await post(ORIGINAL_EXAMPLE, { auth: cashier })).json<{ id: string }>();
    const first = await final(id); // rendered from the database, then kept
    const url = `/service_groups/1/receipts/${id}`;
    const again = await get(url, cashier);
    expect(again.statusCode).toBe(200);
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(again.json()).toEqual(first);
    expect((await get(url)).body).toBe(again.body);
    expect((await get(url, basic('stranger', 'secret'))).statusCode).toBe(403);
    // Access revoked: the cached body is not served any more.
    const groups = createGroupRepository(s.db);
    const before = await groups.accessList(1);
    await groups.setAccess(1, []);
    try {
      expect((await get(url, cashier)).statusCode).toBe(403);
    } finally {
      await groups.setAccess(1, before);
    }
    expect((await get(url, cashier)).statusCode).toBe(200);
    // The same id under another group is not this receipt.
    expect((await get(`/service_groups/999/receipts/${id}`)).statusCode).toBe(404);
  });

  it.skipIf(skip)('answers 404 for unknown groups and receipts', async () => {
    expect((await post(ORIGINAL_EXAMPLE, { group: 999 })).statusCode).toBe(404);
    expect((await get('/service_groups/1/receipts/999999')).json()).toEqual({ errors: [expect.objectContaining({ code: 'receipt_not_found' })] });
    expect((await get('/service_groups/1/receipts/999999')).statusCode).toBe(404);
    expect((await get('/service_groups/abc/receipts/1')).statusCode).toBe(404);
    expect((await get('/service_groups/999')).statusCode).toBe(404);
  });

  // Each rule of api.md broken on its own → the status and the field it names.
  const cases: [string, Body, number, string, string][] = [
    ['missing receiptType', (() => { const b = sellReceipt(); delete b.receiptType; return b; })(), 400, 'receiptType', 'required'],
    ['unknown receiptType', sellReceipt({ receiptType: 3 }), 400, 'receiptType', 'invalid_receipt_type'],
    ['receiptType as string', sellReceipt({ receiptType: '1' }), 400, 'receiptType', 'invalid_type'],
    ['empty products', sellReceipt({ products: [] }), 400, 'products', 'too_few_items'],
    ['missing payments', (() => { const b = sellReceipt(); delete b.payments; return b; })(), 400, 'payments', 'required'],
    ['price with 3 decimals', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: '1.005', commodity_type_int: 1, quantity: 1 }] }), 400, 'products[0].price', 'invalid_money'],
    ['negative price', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: -1, commodity_type_int: 1, quantity: 1 }] }), 400, 'products[0].price', 'invalid_money'],
    ['price not numeric', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: '1e3', commodity_type_int: 1, quantity: 1 }] }), 400, 'products[0].price', 'invalid_money'],
    ['zero quantity', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 1, commodity_type_int: 1, quantity: 0 }] }), 400, 'products[0].quantity', 'invalid_quantity'],
    ['quantity with 4 decimals', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 1, commodity_type_int: 1, quantity: 1.0001 }] }), 400, 'products[0].quantity', 'invalid_quantity'],
    ['missing product name', sellReceipt({ products: [{ payment_state_int: 1, price: 1, commodity_type_int: 1, quantity: 1 }] }), 400, 'products[0].name', 'required'],
    ['bad payment_state_int', sellReceipt({ products: [{ name: 'A', payment_state_int: 9, price: 200, commodity_type_int: 1, quantity: 1 }] }), 400, 'products[0].payment_state_int', 'invalid_payment_state'],
    ['bad commodity_type_int', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 200, commodity_type_int: 99, quantity: 1 }] }), 400, 'products[0].commodity_type_int', 'invalid_commodity_type'],
    ['bad tax_type_int', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 200, commodity_type_int: 1, quantity: 1, tax_type_int: 9 }] }), 400, 'products[0].tax_type_int', 'invalid_tax_type'],
    ['both tax_type and tax_type_int', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 200, commodity_type_int: 1, quantity: 1, tax_type_int: 1, tax_type: 'vat20' }] }), 400, 'products[0].tax_type', 'conflicting_fields'],
    ['bad payment type', sellReceipt({ payments: [{ payment_type_int: 7, payment_sum: 200 }] }), 400, 'payments[0].payment_type_int', 'invalid_payment_type'],
    ['bad tax_system', sellReceipt({ tax_system: 3 }), 400, 'tax_system', 'invalid_tax_system'],
    ['no email nor phone', sellReceipt({ email: undefined }), 400, 'email', 'contact_required'],
    ['invalid email', sellReceipt({ email: 'not-an-email' }), 400, 'email', 'invalid_email'],
    ['invalid phone', sellReceipt({ email: undefined, phone_number: '12-34' }), 400, 'phone_number', 'invalid_phone'],
    ['correction fields on a sell receipt', sellReceipt({ correction_reason: 'x' }), 400, 'correction_reason', 'not_allowed'],
    ['correction without date', correctionReceipt({ correction_date: undefined }), 400, 'correction_date', 'required'],
    ['correction with a date that does not exist', correctionReceipt({ correction_date: '31.02.2026' }), 400, 'correction_date', 'invalid_date'],
    ['correction without precept', correctionReceipt({ precept: undefined }), 400, 'precept', 'required'],
    ['payments below total', sellReceipt({ payments: [{ payment_type_int: 0, payment_sum: 199.99 }] }), 422, 'payments', 'insufficient_payment'],
    ['card above total', sellReceipt({ payments: [{ payment_type_int: 1, payment_sum: 300 }] }), 422, 'payments', 'noncash_exceeds_total'],
    ['zero total', sellReceipt({ products: [{ name: 'A', payment_state_int: 1, price: 0, commodity_type_int: 1, quantity: 1 }], payments: [{ payment_type_int: 0, payment_sum: 0 }] }), 422, 'products', 'zero_total'],
  ];
  it.skipIf(skip).each(cases)('refuses %s', async (_name, body, status, field, code) => {
    const res = await post(body);
    expect(res.statusCode).toBe(status);
    expect(res.json<{ errors: Body[] }>().errors).toContainEqual(expect.objectContaining({ field, code }));
  });

  it.skipIf(skip)('accepts change in cash, phone numbers, string money and named VAT rates', async () => {
    const res = await post(sellReceipt({
      email: undefined,
      phone_number: '8 (912) 345-67-89',
      products: [{ name: 'Молоко', payment_state_int: 4, price: '89.90', commodity_type_int: 1, quantity: '2', tax_type: 'vat10' }],
      payments: [{ payment_type_int: 0, payment_sum: '200' }],
      order_id: 'A-17',
    }));
    expect(res.statusCode).toBe(200);
    const r = await final(res.json<{ id: string }>().id);
    expect(r).toMatchObject({ state: 'success', phone_number: '+79123456789', commodities_total_cost: '179.80', payments_total: '200.00', change: '20.20', order_id: 'A-17' });
  });

  it.skipIf(skip)('refuses malformed JSON, other content types and oversized bodies with 4xx', async () => {
    const bad = await post(null, { raw: '{"receiptType": 1,' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: Body[] }>().errors[0]).toMatchObject({ code: 'malformed_json' });
    const form = await post(null, { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.statusCode).toBe(415);
    const huge = await post(null, { raw: JSON.stringify({ ...ORIGINAL_EXAMPLE, pad: 'x'.repeat(400_000) }) });
    expect(huge.statusCode).toBe(413);
    const deep = await post(null, { raw: `${'['.repeat(100)}${']'.repeat(100)}` });
    expect(deep.statusCode).toBe(400);
    const proto = await post(null, { raw: '{"__proto__": {"x": 1}, "receiptType": 1}' });
    expect(proto.statusCode).toBe(400);
  });

  it.skipIf(skip)('honours Idempotency-Key: same body → same receipt, one document; other body → 409', async () => {
    const key = `order-${backend}-${Date.now()}`;
    const a = await post(ORIGINAL_EXAMPLE, { headers: { 'idempotency-key': key } });
    const b = await post({ ...ORIGINAL_EXAMPLE, payments: [{ payment_type_int: 1, payment_sum: '200.00' }] }, { headers: { 'idempotency-key': key } });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json()).toEqual(a.json());
    const r = await final(a.json<{ id: string }>().id);
    const c = await post(sellReceipt({ email: 'other@mail.ru' }), { headers: { 'idempotency-key': key } });
    expect(c.statusCode).toBe(409);
    expect(c.json<{ errors: Body[] }>().errors[0]).toMatchObject({ code: 'idempotency_key_reused' });
    // One document: no other receipt of this device carries the same FD number, and the key maps to one row.
    const rows = await s.db.kysely.selectFrom('receipts').select(['id', 'fd_number']).where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.fd_number).toBe(r.receipt_num);
    const bad = await post(ORIGINAL_EXAMPLE, { headers: { 'idempotency-key': 'x'.repeat(129) } });
    expect(bad.statusCode).toBe(400);
  });

  it.skipIf(skip)('lists receipts newest first with filters and cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post(sellReceipt({ order_id: `list-${backend}-${i % 2}` }))).json<{ id: string }>().id);
    const page1 = (await get('/service_groups/1/receipts/?limit=2')).json<{ items: Body[]; next_cursor: string | null }>();
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]?.id).toBeGreaterThan(page1.items[1]?.id as number);
    expect(page1.next_cursor).toBeTruthy();
    const page2 = (await get(`/service_groups/1/receipts/?limit=2&cursor=${page1.next_cursor}`)).json<{ items: Body[] }>();
    expect(page2.items[0]?.id).toBeLessThan(page1.items[1]?.id as number);
    const byOrder = (await get(`/service_groups/1/receipts/?order_id=list-${backend}-1`)).json<{ items: Body[] }>();
    expect(byOrder.items.map((r) => String(r.id))).toEqual([ids[3], ids[1]]);
    const today = new Date();
    const d = `${today.getFullYear()}${String(today.getMonth() + 1).padStart(2, '0')}${String(today.getDate()).padStart(2, '0')}`;
    const byDate = (await get(`/service_groups/1/receipts/?date_start=${d}&date_end=${d}`)).json<{ items: Body[] }>();
    expect(byDate.items.length).toBeGreaterThanOrEqual(5);
    const past = (await get('/service_groups/1/receipts/?date_start=20200101&date_end=20200131')).json<{ items: Body[] }>();
    expect(past.items).toEqual([]);
    expect((await get('/service_groups/1/receipts/?date_start=20261301')).statusCode).toBe(400);
    expect((await get('/service_groups/1/receipts/?date_start=20261110&date_end=20261101')).statusCode).toBe(400);
    expect((await get('/service_groups/1/receipts/?state=bogus')).statusCode).toBe(400);
    expect((await get('/service_groups/1/receipts/?limit=0')).statusCode).toBe(400);
  });

  it.skipIf(skip)('serves group state with device status, health, readiness, metrics and the OpenAPI document', async () => {
    const g = (await get('/service_groups/1')).json<Body & { device: Body }>();
    expect(g).toMatchObject({ id: 1, state: 'running', device_model: 'emulator' });
    expect(g.device).toMatchObject({ online: true, registration: expect.objectContaining({ ffd_version: '105' }) as unknown });
    expect((await s.app.inject('/health')).json()).toEqual({ status: 'ok' });
    expect((await s.app.inject('/ready')).statusCode).toBe(200);
    const metrics = await s.app.inject('/metrics');
    expect(metrics.body).toMatch(/^cr_receipts_accepted_total\{service_group="1"\} [1-9]/m);
    expect(metrics.body).toContain('cr_queue_length{service_group="1"}');
    expect(metrics.body).toContain('cr_device_operation_duration_seconds_bucket');
    expect(metrics.body).toContain('cr_http_requests_total');
    const doc = (await s.app.inject('/docs/json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toContain('/service_groups/{service_group_id}/receipts/');
  });
});
