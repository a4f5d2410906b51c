import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testServer, type TestServer } from '../support/server.js';
import { ORIGINAL_EXAMPLE, clone } from '../api/fixtures.js';
import { apiUser, atolGroup, fixture } from '../atol-online/helpers.js';
import { call, emulatorGroup, startAdminServer, type Admin } from '../admin/helpers.js';
import { DEFAULT_POOL_POLICY } from '../../src/domain/pool.js';

/** FUZZ_RUNS=100000 for a longer local campaign; FUZZ_SEED to replay one CI printed. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

/** Values a hostile or careless client might put anywhere in a receipt. */
const nasty = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 0.1 + 0.2, 1e-7, 123.456, '', ' ', '0', '-1', '1e3',
    '99999999999999999999999999999.99', '12345678901234567890', '100.005', 'NaN', 'Infinity', '٣', '１００', '\u0000', '\ud800', '💥'.repeat(40),
    'a'.repeat(5000), '31.02.2026', '00.00.0000', '2026-02-30', '29:02:2025', '__proto__', 'constructor', '<script>alert(1)</script>',
    "'; DROP TABLE receipts; --", [], {}, [[[[[]]]]], { __proto__: { admin: true } }),
  fc.integer(),
  fc.double(),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 4 }),
);

type Json = Record<string, unknown>;
const FIELDS = ['receiptType', 'email', 'phone_number', 'tax_system', 'order_id', 'need_print', 'mistaken_receipt_number', 'correction_reason', 'correction_date', 'doc_number', 'precept', 'cashier', 'products', 'payments'];
const ITEM_FIELDS = ['name', 'price', 'quantity', 'payment_state_int', 'commodity_type_int', 'tax_type_int', 'tax_type', 'quantity_unit', 'quantity_prec'];

/** A valid receipt with a few fields replaced by nasty values, removed, or nested deeply. */
const mutatedReceipt = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(nasty, { nil: undefined })), { maxLength: 3 }),
    fc.array(fc.tuple(fc.constantFrom(...ITEM_FIELDS), fc.option(nasty, { nil: undefined })), { maxLength: 3 }),
    fc.integer({ min: 0, max: 40 }),
    fc.constantFrom(1, 2, 4, 5, 7, 8, 9, 10),
  )
  .map(([top, item, depth, receiptType]) => {
    const r = { ...clone(ORIGINAL_EXAMPLE), receiptType } as Json;
    const p = (r.products as Json[])[0] as Json;
    for (const [k, v] of top) if (v === undefined) delete r[k]; else r[k] = v;
    for (const [k, v] of item) if (v === undefined) delete p[k]; else p[k] = v;
    if (depth > 30) {
      let deep: unknown = 1;
      for (let i = 0; i < depth; i++) deep = [deep];
      r.extra = deep;
    }
    return JSON.stringify(r);
  });

const rawBody = fc.oneof(
  mutatedReceipt,
  mutatedReceipt,
  mutatedReceipt,
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  mutatedReceipt.map((s) => s.slice(0, Math.max(1, Math.floor(s.length / 2)))),
  fc.constantFrom('', '{', 'null', '[]', '"x"', '{"receiptType": 1e999}', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}', `${'['.repeat(5000)}`),
);

const request = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
  path: fc.oneof(
    fc.constant('/service_groups/1/receipts/'),
    fc.constant('/service_groups/1/receipts'),
    fc.constantFrom('/service_groups/999/receipts/', '/service_groups/-1/receipts/', '/service_groups/1e3/receipts/', '/service_groups/%00/receipts/',
      '/service_groups/1/receipts/99999999999999999999', '/service_groups/1/receipts/?limit=-5&date_start=20261340', '/service_groups/1/receipts/?cursor=%FF%FE',
      '/service_groups/1/documents/abc', '/service_groups/1/receipts/1/print', '/../../etc/passwd', '/service_groups/1/shift/open?x=%E0%A4%A'),
    fc.string({ maxLength: 40 }).map((s) => `/service_groups/1/receipts/${encodeURIComponent(s)}`),
  ),
  contentType: fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined),
  auth: fc.constantFrom('good', 'good', 'good', 'good', 'bad', 'garbage', 'none'),
  idempotencyKey: fc.option(fc.oneof(fc.string({ maxLength: 140 }), fc.constant('x'.repeat(129))), { nil: undefined }),
  body: rawBody,
  ip: fc.ipV4(),
  lang: fc.constantFrom(undefined, 'ru', 'en', 'ru-RU,ru;q=0.9', '*'),
});

describe('fuzz: hostile and malformed requests', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer('sqlite');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it(`answers ${RUNS} generated requests with 2xx/4xx only, keeps serving and keeps memory bounded`, { timeout: 300_000 }, async () => {
    const rssBefore = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (q) => {
        const headers: Record<string, string> = {};
        if (q.contentType) headers['content-type'] = q.contentType;
        if (q.auth === 'good') headers.authorization = s.admin;
        if (q.auth === 'bad') headers.authorization = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
        if (q.auth === 'garbage') headers.authorization = 'Basic ###';
        if (q.idempotencyKey !== undefined) headers['idempotency-key'] = q.idempotencyKey.replace(/[\r\n]/g, '');
        if (q.lang) headers['accept-language'] = q.lang;
        let res;
        try {
          res = await s.app.inject({
            method: q.method as 'POST',
            url: q.path,
            headers,
            remoteAddress: q.auth === 'good' ? '127.0.0.1' : q.ip,
            ...(q.method === 'GET' || q.method === 'DELETE' ? {} : { payload: q.body }),
          });
        } catch (e) {
          // light-my-request refuses some header values itself (invalid characters): not the server's answer.
          if (e instanceof TypeError || (e instanceof Error && /header|Invalid character/i.test(e.message))) return;
          throw e;
        }
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${q.method} ${q.path}: ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) {
          const body = res.json<{ errors: { code: string; message: string }[] }>();
          expect(body.errors.length).toBeGreaterThan(0);
          expect(typeof body.errors[0]?.code).toBe('string');
        }
      }),
      { numRuns: RUNS, ...SEED },
    );
    const health = await s.app.inject('/health');
    expect(health.statusCode).toBe(200);
    const ok = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: ORIGINAL_EXAMPLE });
    expect(ok.statusCode).toBe(200);
    // Whatever was accepted is served back: every page of the list and the CSV render.
    let listed = 0;
    for (let cursor: string | null = null; ; ) {
      const url: string = `/service_groups/1/receipts/?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await s.app.inject({ url, headers: { authorization: s.admin } });
      expect(page.statusCode, page.body.slice(0, 300)).toBe(200);
      const body = page.json<{ items: unknown[]; next_cursor: string | null }>();
      listed += body.items.length;
      if (!body.next_cursor) break;
      cursor = body.next_cursor;
    }
    expect(listed).toBeGreaterThan(0);
    const csv = await s.app.inject({ url: '/service_groups/1/receipts.csv', headers: { authorization: s.admin } });
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split('\n').length).toBeGreaterThanOrEqual(listed + 1);
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(growthMb).toBeLessThan(200);
    // The run exercised the paths it claims to: validation errors, auth errors, and accepted receipts.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(100);
    expect([...statuses.keys()].every((c) => c < 500)).toBe(true);
  });

  // The run above mostly tests refusals: few of its receipts are accepted. Here each receipt is the
  // original example with one or two fields changed, so many are, and each accepted one must be
  // served back whole (a VAT name taken from Object.prototype once stored an item without a rate).
  it('serves back every receipt it accepts, with a known VAT rate on every item', { timeout: 300_000 }, async () => {
    let accepted = 0;
    const oneField = fc.tuple(
      fc.option(fc.tuple(fc.constantFrom(...FIELDS.filter((f) => f !== 'receiptType')), nasty), { nil: undefined, freq: 2 }),
      fc.tuple(fc.constantFrom(...ITEM_FIELDS), fc.oneof(nasty, fc.constantFrom('constructor', '__proto__', 'toString', 'valueOf', 'vat20', 'кг'))),
    );
    await fc.assert(
      fc.asyncProperty(oneField, async ([top, [itemField, itemValue]]) => {
        const r = clone(ORIGINAL_EXAMPLE) as Json;
        ((r.products as Json[])[0] as Json)[itemField] = itemValue;
        if (top) r[top[0]] = top[1];
        const res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: r });
        if (res.statusCode >= 500) throw new Error(`${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (res.statusCode !== 200) return;
        accepted++;
        const back = await s.app.inject({ url: `/service_groups/1/receipts/${res.json<{ id: string }>().id}`, headers: { authorization: s.admin } });
        expect(back.statusCode, back.body.slice(0, 300)).toBe(200);
        for (const c of back.json<{ commodities: { tax_type: unknown }[] }>().commodities) expect(typeof c.tax_type).toBe('string');
      }),
      { numRuns: Math.ceil(RUNS / 5), ...SEED },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});

/** Where a field of ATOL's example documents may be replaced (a path of keys and array indexes). */
const ATOL_PATHS: Record<'v4' | 'v5', string[]> = {
  v4: [
    'external_id', 'timestamp', 'receipt', 'receipt.client', 'receipt.client.email', 'receipt.company.sno', 'receipt.company.inn', 'receipt.company.email',
    'receipt.company.payment_address', 'receipt.items', 'receipt.items.0', 'receipt.items.0.name', 'receipt.items.0.price', 'receipt.items.0.quantity',
    'receipt.items.0.sum', 'receipt.items.0.measurement_unit', 'receipt.items.0.payment_method', 'receipt.items.0.payment_object', 'receipt.items.0.vat',
    'receipt.items.0.vat.type', 'receipt.items.0.vat.sum', 'receipt.payments', 'receipt.payments.0.type', 'receipt.payments.0.sum', 'receipt.total',
    'receipt.vats', 'receipt.cashier', 'receipt.items.0.agent_info', 'receipt.items.0.nomenclature_code',
  ],
  v5: [
    'external_id', 'timestamp', 'ism_optional', 'receipt.client.phone', 'receipt.client.inn', 'receipt.client.name', 'receipt.company.sno', 'receipt.company.inn',
    'receipt.items.0.measure', 'receipt.items.0.payment_object', 'receipt.items.0.mark_processing_mode', 'receipt.items.0.mark_code', 'receipt.items.0.mark_code.gs1m',
    'receipt.items.0.sectoral_item_props.0.date', 'receipt.items.0.sectoral_item_props.0.federal_id', 'receipt.items.1.mark_quantity.numerator',
    'receipt.items.1.mark_quantity', 'receipt.items.2.agent_info.type', 'receipt.items.2.agent_info', 'receipt.items.2.supplier_info.inn',
    'receipt.items.3.mark_code', 'receipt.items.3.vat.type', 'receipt.items.3.price', 'receipt.items.3.quantity', 'receipt.vats.0.type', 'receipt.vats.0.sum',
    'receipt.payments.0.sum', 'receipt.total', 'receipt.cashier', 'receipt.cashier_inn', 'receipt.additional_user_props.name',
    'receipt.operating_check_props.timestamp', 'receipt.operating_check_props', 'receipt.internet',
  ],
};

/** Sets `value` at `path` in a parsed document, creating nothing: a path that is not there is left alone. */
function setAt(doc: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: unknown = doc;
  for (const k of keys.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return;
    at = (at as Json)[k];
  }
  if (typeof at === 'object' && at !== null) (at as Json)[keys[keys.length - 1]!] = value;
}

describe('fuzz: the ATOL Online API', () => {
  let s: TestServer;
  let token = '';
  const codes = { v4: 'fuzz-v4', v5: 'fuzz-v5' } as const;
  const groupOf = { v4: 0, v5: 0 };
  beforeAll(async () => {
    s = await testServer('sqlite');
    groupOf.v4 = await atolGroup(s, codes.v4, { ffd_version: '105' });
    groupOf.v5 = await atolGroup(s, codes.v5, { ffd_version: '120' });
    await apiUser(s, 'fuzz', 'fuzz-secret', [groupOf.v4, groupOf.v5]);
    const r = await s.app.inject({ method: 'POST', url: '/possystem/v4/getToken', payload: { login: 'fuzz', pass: 'fuzz-secret' } });
    token = r.json<{ token: string }>().token;
  }, 120_000);
  afterAll(async () => {
    await s.cleanup();
  });

  // ATOL's example sell documents with one to three fields replaced, removed, or given a key
  // Object.prototype has: every answer is ATOL's envelope with a 2xx or 4xx, never a 500, and every
  // document it accepted is answered by its report and served by the native API.
  it('answers mutated ATOL documents in ATOL\'s envelope, and serves back every document it accepts', { timeout: 300_000 }, async () => {
    let accepted = 0;
    const mutation = (version: 'v4' | 'v5') =>
      fc.tuple(fc.constantFrom(...ATOL_PATHS[version]), fc.option(fc.oneof(nasty, fc.constantFrom('constructor', '__proto__', 'toString', 'vat20', 'osn', 'commodity')), { nil: undefined }));
    const doc = fc.constantFrom('v4' as const, 'v5' as const).chain((version) =>
      fc.record({ version: fc.constant(version), changes: fc.array(mutation(version), { minLength: 1, maxLength: 3 }), protoKey: fc.nat(9).map((n) => n === 0) }));
    let seq = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(doc, async ({ version, changes, protoKey }) => {
        const body = fixture(`requests/${version}-sell.json`);
        delete body.service;
        body.external_id = `fuzz-${++seq}`;
        // undefined: the key is dropped from the JSON text, as a removed field.
        for (const [path, value] of changes) setAt(body, path, value);
        let text = JSON.stringify(body);
        // A "__proto__" key in the JSON text itself (JSON.parse makes it an own property).
        if (protoKey) text = text.replace('"receipt":{', '"receipt":{"__proto__":{"total":1},');
        const res = await s.app.inject({ method: 'POST', url: `/possystem/${version}/${codes[version]}/sell`, headers: { token, 'content-type': 'application/json' }, payload: text });
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${version} ${JSON.stringify(changes)}: ${res.body.slice(0, 300)}`);
        const reply = res.json<{ uuid?: string; error: { code: number; text: string } | null }>();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 400 || reply.error !== null) {
          expect(typeof reply.error?.code, res.body.slice(0, 300)).toBe('number');
          return;
        }
        accepted++;
        const report = await s.app.inject({ url: `/possystem/${version}/${codes[version]}/report/${reply.uuid ?? ''}`, headers: { token } });
        expect(report.statusCode, report.body.slice(0, 300)).toBeLessThan(500);
        // The native receipt: by its order_id, which an external_id of at most 64 characters becomes
        // (docs/atol-online.md); a longer one is linked through the ATOL table only.
        const externalId = String(body.external_id);
        const link = await s.db.kysely.selectFrom('atol_receipts').select('receipt_id').where('uuid', '=', reply.uuid ?? '').executeTakeFirstOrThrow();
        const native = await s.app.inject({ url: `/service_groups/${groupOf[version]}/receipts/${link.receipt_id}`, headers: { authorization: s.admin } });
        expect(native.statusCode, native.body.slice(0, 300)).toBe(200);
        expect(native.json<{ order_id: string | null }>().order_id).toBe(externalId.length <= 64 ? externalId : null);
        if (externalId.length <= 64) {
          const listed = await s.app.inject({ url: `/service_groups/${groupOf[version]}/receipts/?order_id=${encodeURIComponent(externalId)}`, headers: { authorization: s.admin } });
          expect(listed.statusCode, listed.body.slice(0, 300)).toBe(200);
          expect(listed.json<{ items: { id: number }[] }>().items.map((r) => r.id)).toEqual([link.receipt_id]);
        }
      }),
      { numRuns: Math.ceil(RUNS / 5), ...SEED },
    );
    expect(accepted).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
  });
});

describe('fuzz: the dashboard\'s group settings', () => {
  let s: TestServer;
  let admin: Admin;
  beforeAll(async () => {
    ({ server: s, admin } = await startAdminServer('sqlite'));
  });
  afterAll(async () => {
    await s.cleanup();
  });

  const GROUP_FIELDS = ['name', 'driver', 'config', 'default_tax_system', 'default_vat', 'auto_open_shift', 'shift_duration', 'daily_close_time', 'marking_policy', 'group_code', 'events_url', 'pool_policy', 'enabled'];
  const NESTED = ['config.company_name', 'config.ofd_ack_delay_ms', 'config.latency_ms', 'config.ffd_version', 'config.__proto__', 'config.constructor',
    'pool_policy.fn_expiry_days', 'pool_policy.warn_days', 'pool_policy.ofd_backlog_days', 'pool_policy.toString'];

  // A group created, or an existing group edited, with fields replaced by hostile values (Object.prototype's
  // keys among them): a 4xx in the error format, or a 2xx after which the group still reads back
  // in the dashboard and in the REST API, and the list of groups still renders.
  it('answers created and edited groups with 2xx/4xx only, and every group it keeps still renders', { timeout: 300_000 }, async () => {
    let kept = 0;
    const change = fc.tuple(fc.constantFrom(...GROUP_FIELDS, ...NESTED), fc.option(fc.oneof(nasty, fc.constantFrom('constructor', '__proto__', 'toString', 'emulator', 'atol', '120')), { nil: undefined }));
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(change, { minLength: 1, maxLength: 2 }), async (create, changes) => {
        const body = (create ? { ...emulatorGroup('Фазз'), pool_policy: { ...DEFAULT_POOL_POLICY } } : {}) as Json;
        for (const [path, value] of changes) {
          const [head, leaf] = path.split('.') as [string, string | undefined];
          if (leaf === undefined) body[head] = value;
          else {
            const inner = (typeof body[head] === 'object' && body[head] !== null ? body[head] : {}) as Json;
            Object.defineProperty(inner, leaf, { value, enumerable: true, configurable: true, writable: true });
            body[head] = inner;
          }
        }
        const res = await call(s, admin, create ? 'POST' : 'PATCH', create ? '/admin/api/service_groups' : '/admin/api/service_groups/1', JSON.parse(JSON.stringify(body)) as Json);
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${create ? 'POST' : 'PATCH'} ${JSON.stringify(changes)}: ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) {
          expect(typeof res.json<{ errors: { code: string }[] }>().errors[0]?.code, res.body.slice(0, 300)).toBe('string');
          return;
        }
        kept++;
        const id = res.json<{ id: number }>().id;
        for (const url of [`/admin/api/service_groups/${id}`, '/admin/api/service_groups']) {
          const back = await call(s, admin, 'GET', url);
          expect(back.statusCode, `${url}: ${back.body.slice(0, 300)}`).toBe(200);
        }
        const rest = await s.app.inject({ url: `/service_groups/${id}`, headers: { authorization: s.admin } });
        expect(rest.statusCode, rest.body.slice(0, 300)).toBe(200);
      }),
      { numRuns: Math.ceil(RUNS / 20), ...SEED },
    );
    expect(kept).toBeGreaterThan(10);
  });
});
