import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { sellReceipt } from './fixtures.js';

const pgOk = await postgresReachable();

describe.each(BACKENDS)('CSV export of receipts on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;

  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend);
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  const get = (url: string) => s.app.inject({ url, headers: { authorization: s.admin } });

  it.skipIf(skip)('streams every receipt of the filter, oldest first, with a BOM, ; and Russian headings by default', async () => {
    const ids: string[] = [];
    for (const order of ['A-1', '=HYPERLINK("x")', 'с;точкой']) {
      const r = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: sellReceipt({ order_id: order }) });
      ids.push(r.json<{ id: string }>().id);
    }
    await eventually(async () => ((await get(`/service_groups/1/receipts/${ids[2] ?? ''}`)).json<{ state: string }>().state === 'success' ? true : null));

    const res = await get('/service_groups/1/receipts.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="receipts-1.csv"');
    const lines = res.body.split('\r\n').filter((l) => l !== '');
    expect(lines[0]?.startsWith('\uFEFFID;Создан;Состояние;')).toBe(true);
    expect(lines).toHaveLength(1 + ids.length);
    expect(lines.slice(1).map((l) => l.split(';')[0])).toEqual(ids);
    // A value a spreadsheet would run as a formula is quoted and defused; the delimiter inside a value is quoted.
    expect(lines[2]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(lines[3]).toContain('"с;точкой"');
    expect(lines[1]).toMatch(/;success;1;1;0;A-1;200\.00;/);

    const en = await get('/service_groups/1/receipts.csv?lang=en&delimiter=,&state=success');
    expect(en.body.split('\r\n')[0]).toBe('\uFEFFid,created_at,state,receipt_type,operation_type,correction,order_id,total,cash,electronic,prepaid,credit,other,tax_system,fiscal_datetime,fd_number,fiscal_sign,shift_number,receipt_in_shift,fn_serial,registration_number,email,phone,error_code');
    const none = await get('/service_groups/1/receipts.csv?state=failed');
    expect(none.body.split('\r\n').filter((l) => l !== '')).toHaveLength(1);
  });

  it.skipIf(skip)('shows the fiscal result and the payments by kind as the receipt itself does, the change taken from the cash', async () => {
    const r = await s.app.inject({
      method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin },
      payload: sellReceipt({ order_id: 'fiscal-cols', email: 'buyer@example.ru', payments: [{ payment_type_int: 0, payment_sum: 150 }, { payment_type_int: 1, payment_sum: 100 }] }),
    });
    expect(r.statusCode).toBe(200);
    const id = r.json<{ id: string }>().id;
    const view = await eventually(async () => {
      const v = (await get(`/service_groups/1/receipts/${id}`)).json<Record<string, unknown>>();
      return v.state === 'success' ? v : null;
    });
    const res = await get('/service_groups/1/receipts.csv?lang=en');
    const [head = '', ...lines] = res.body.split('\r\n').filter((l) => l !== '');
    const names = head.replace('\uFEFF', '').split(';');
    const line = lines.find((l) => l.startsWith(`${id};`));
    expect(line).toBeDefined();
    const row: Record<string, string> = Object.fromEntries((line ?? '').split(';').map((v, i): [string, string] => [names[i] ?? `${i}`, v]));
    expect(row).toMatchObject({
      state: 'success', receipt_type: '1', operation_type: '1', correction: '0', order_id: 'fiscal-cols', total: '200.00',
      // 250 paid against 200: the 50 change comes out of the cash.
      cash: '100.00', electronic: '100.00', prepaid: '0.00', credit: '0.00', other: '0.00',
      tax_system: String(view.tax_system),
      fiscal_datetime: view.registration_datetime, fd_number: String(view.receipt_num), fiscal_sign: view.fiscal_sign,
      shift_number: String(view.shift_num), receipt_in_shift: String(view.receipt_in_shift_num),
      fn_serial: view.fn_serial, registration_number: view.registration_number,
      email: 'buyer@example.ru', phone: '', error_code: '',
    });
    expect(row.fiscal_sign).toMatch(/^\d+$/);
  });

  it.skipIf(skip)('refuses a bad filter before the first byte, naming the field', async () => {
    const bad = await get('/service_groups/1/receipts.csv?date_start=2026-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { field: string; code: string }[] }>().errors).toContainEqual(expect.objectContaining({ field: 'date_start', code: 'invalid_date' }));
    expect((await get('/service_groups/999/receipts.csv')).statusCode).toBe(404);
  });
  it.skipIf(skip)('reads in keyset batches, each read while the previous one is written out: every receipt once, in order', async () => {
    const { createReceiptExport } = await import('../../src/storage/receipt-export.js');
    for (let i = 0; i < 5; i += 1) await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: sellReceipt({ order_id: `batch-${i}` }) });
    const all = (await s.db.kysely.selectFrom('receipts').select('id').where('group_id', '=', 1).orderBy('id').execute()).map((r) => Number(r.id));
    expect(all.length).toBeGreaterThanOrEqual(5);
    const exporter = createReceiptExport(s.db);
    const filter = { groupId: 1, createdFrom: null, createdTo: null, state: null };
    const seen: number[] = [];
    for await (const rows of exporter.batches(filter, 2)) {
      expect(rows.length).toBeLessThanOrEqual(2);
      seen.push(...rows.map((r) => Number(r.id)));
    }
    expect(seen).toEqual(all);
    // A download abandoned after its first batch leaves nothing running that could fail unhandled.
    for await (const rows of exporter.batches(filter, 2)) {
      expect(rows).toHaveLength(2);
      break;
    }
  });
});
