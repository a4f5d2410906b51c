import { describe, expect, it } from 'vitest';
import { correctionLines, mapRequest, type AtolDocument, type AtolItem, type AtolRequest } from '../../src/atol-online/mapping.js';
import { CALLBACK_URL_MASK, parseAtolTimestamp, registerLocalTimestamp } from '../../src/atol-online/protocol.js';
import { atolReportOf, failureOf } from '../../src/atol-online/report.js';
import { redactUrl } from '../../src/atol-online/routes.js';
import { idempotencyKeyOf } from '../../src/atol-online/service.js';
import type { AtolReceiptRecord } from '../../src/storage/atol-online.js';
import type { ReceiptRecord } from '../../src/storage/receipts.js';
import { fixture, matching, satisfies } from './helpers.js';

const CTX = { ffdVersion: '120' as const, companyInn: '770123456703', defaultVat: null };

describe('ATOL request → native receipt', () => {
  it('maps ATOL\'s example sale field by field', () => {
    const m = mapRequest('v4', 'sell', fixture<AtolRequest>('requests/v4-sell.json'), CTX);
    expect(m.issues).toEqual([]);
    expect(m.input).toEqual({
      receiptType: 1,
      order_id: '17052917561851307',
      tax_system: 1,
      email: 'kkt@kkt.ru',
      products: [
        { name: 'колбаса Клинский Брауншвейгская с/к в/с ', price: 1000, quantity: 0.3, payment_state_int: 4, commodity_type_int: 1, quantity_unit: 'кг', tax_type: 'vat20' },
        { name: 'яйцо Окское куриное С0 белое', price: 100, quantity: 1, payment_state_int: 4, commodity_type_int: 1, quantity_unit: 'Упаковка 10 шт.', tax_type: 'vat10' },
      ],
      payments: [{ payment_type_int: 1, payment_sum: 400 }],
    });
  });

  it('maps a v5 sale: mark codes, fractions, agents, suppliers, buyer, cashier, props', () => {
    const m = mapRequest('v5', 'sell', fixture<AtolRequest>('requests/v5-sell.json'), CTX);
    expect(m.issues).toEqual([]);
    const [shoes, yogurt, card, coffee] = m.input.products;
    expect(shoes).toMatchObject({ commodity_type_int: 33, measure: 0, marking_code: matching(/^MDEw/), industry_requisites: [{ foiv_id: '030', doc_date: '21.11.2023', doc_number: '1944' }] });
    expect(yogurt).toMatchObject({ fractional_quantity: { numerator: 3, denominator: 10 } });
    expect(card).toMatchObject({ agent_sign: 32, agent: { operation: 'Комиссия', phones: ['+74951234567'] }, supplier: { inn: '7707083893', name: 'ООО «Партнёр»', phones: ['+74957654321'] }, tax_type: 'none' });
    expect(coffee).toMatchObject({ product_code: { kind: 'ean13', value: '4601234567893' }, tax_type: 'vat22' });
    expect(m.input).toMatchObject({
      phone_number: '+79161234567',
      buyer: { name: 'ООО «Покупатель»', inn: '7736207543' },
      cashier: { name: 'Петрова А.А.', inn: '500100732259' },
      user_requisite: { name: 'Номер заказа', value: '200777' },
      operational_requisite: { id: 0, data: 'Доставка курьером', date_time: '2026-03-14T12:15:30' },
    });
  });

  it('names each native error by the ATOL field it came from', () => {
    const m = mapRequest('v5', 'sell', fixture<AtolRequest>('requests/v5-sell.json'), CTX);
    expect(m.translate([
      { field: 'products[2].agent.phones[0]', code: 'invalid_phone', message: 'x' },
      { field: 'products[0].marking_code', code: 'invalid_marking_code', message: 'x' },
      { field: 'products[3].product_code.value', code: 'invalid_product_code', message: 'x' },
      { field: 'buyer.birth_date', code: 'invalid_date', message: 'x' },
      { field: 'industry_requisites[1].foiv_id', code: 'invalid_foiv_id', message: 'x' },
      { field: 'payments[0].payment_sum', code: 'invalid_money', message: 'x' },
      { field: 'products', code: 'zero_total', message: 'x' },
      { field: 'cashier.inn', code: 'required', message: 'x' },
      { code: 'tax_system_not_registered', message: 'x' },
    ]).map((i) => `${i.kind}: ${i.pointer}`)).toEqual([
      'InvalidPhone: #/receipt/items/2/agent_info/paying_agent/phones/0',
      'InvalidMarkingCode: #/receipt/items/0/mark_code/gs1m',
      'InvalidProductCode: #/receipt/items/3/mark_code/ean13',
      'InvalidDate: #/receipt/client/birthdate',
      'InvalidFoivId: #/receipt/sectoral_check_props/1/federal_id',
      'InvalidMoney: #/receipt/payments/0/sum',
      'ZeroTotal: #/receipt/items',
      'PropertyRequired: #/receipt/cashier_inn',
      'TaxSystemNotRegistered: #/receipt',
    ]);
  });

  it('checks what ATOL checks: timestamp, sums, total, VAT, INN; marks the 1.05-only tag', () => {
    const body = fixture<AtolRequest & { receipt: AtolDocument & { items: AtolItem[] } }>('requests/v4-sell.json');
    body.timestamp = '31.02.2017 13:45:00';
    const first = body.receipt.items[0];
    if (first) Object.assign(first, { sum: 301, nomenclature_code: '00 00 00 01 00 21' });
    body.receipt.total = 402;
    body.receipt.company.inn = '7707083893';
    const issues = mapRequest('v4', 'sell', body, CTX).issues.map((i) => `${i.kind}: ${i.pointer}`);
    expect(issues).toEqual([
      'PatternMismatch: #/timestamp',
      'IncorrectValue: #/receipt/company/inn',
      'IncorrectValue: #/receipt/items/0/sum',
      'NotSupported: #/receipt/items/0/nomenclature_code',
      'IncorrectValue: #/receipt/total',
    ]);
  });

  it('makes the lines of a v4 correction from its VAT sums', () => {
    // ATOL's example: 10.00 at 20 %, 20.00 at 10 %, 2000.00 paid: the rest was paid without VAT.
    expect(correctionLines([{ type: 'vat20', sum: 10 }, { type: 'vat10', sum: 20 }], 200_000)).toEqual([
      { index: 0, type: 'vat20', sum: 6000 }, { index: 1, type: 'vat10', sum: 22_000 }, { index: -1, type: 'none', sum: 172_000 },
    ]);
    // One rate for the whole sum, its VAT rounded: the rounding goes back to the line.
    expect(correctionLines([{ type: 'vat20', sum: 166.67 }], 100_000)).toEqual([{ index: 0, type: 'vat20', sum: 100_000 }]);
    expect(correctionLines([{ type: 'vat120', sum: 16.67 }, { type: 'vat0', sum: 0 }], 15_000)).toEqual([{ index: 0, type: 'vat120', sum: 10_002 }, { index: 1, type: 'vat0', sum: 4998 }]);
    // More VAT than the payments can carry.
    expect(correctionLines([{ type: 'vat20', sum: 500 }], 100_000)).toMatch(/не сходятся/);
    expect(correctionLines([{ type: 'none', sum: 0 }], 0)).toMatch(/равна нулю/);
  });
});

describe('protocol details', () => {
  it('reads ATOL timestamps and the register\'s local time', () => {
    expect(parseAtolTimestamp('01.02.2017 13:45:00')).toEqual({ date: '01.02.2017', iso: '2017-02-01T13:45:00' });
    expect(parseAtolTimestamp('29.02.2017 13:45:00')).toBeNull();
    expect(parseAtolTimestamp('01.02.2017 24:00:00')).not.toBeNull();
    expect(parseAtolTimestamp('01.02.2017 24:00:01')).toBeNull();
    expect(registerLocalTimestamp('2026-10-22T14:43:50+05:00')).toBe('22.10.2026 14:43:50');
  });

  it('applies ATOL\'s callback_url mask, in linear time', () => {
    for (const ok of ['http://testtest', 'https://shop.example.ru/atol/callback?x=1&y=2', 'http://магазин.рф/cb', 'http://127.0.0.1:8080/cb']) expect(CALLBACK_URL_MASK.test(ok), ok).toBe(true);
    for (const bad of ['ftp://shop.example.ru', 'shop.example.ru/cb', 'http://-shop.ru', 'http://shop.ru/a b']) expect(CALLBACK_URL_MASK.test(bad), bad).toBe(false);
    // ATOL's own form of the mask backtracks exponentially on this; ours answers at once.
    const hostile = `http://${'a'.repeat(240)}!`;
    const started = performance.now();
    expect(CALLBACK_URL_MASK.test(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('keeps secrets of the query out of the log, and derives a stable idempotency key from external_id', () => {
    expect(redactUrl('/possystem/v5/getToken?login=a&PASS=b')).toBe('/possystem/v5/getToken?login=a&PASS=[redacted]');
    expect(redactUrl('/possystem/v4/g/sell')).toBe('/possystem/v4/g/sell');
    expect(idempotencyKeyOf('order-1')).toBe(idempotencyKeyOf('order-1'));
    expect(idempotencyKeyOf('x'.repeat(128))).toMatch(/^atol:[A-Za-z0-9_-]{43}$/);
  });
});

describe('atolReportOf (the report, and the callback body)', () => {
  const atol: AtolReceiptRecord = {
    uuid: '3f6c2a0e-8d1b-4c7e-9a5f-0b2d4e6f8a10', receipt_id: 7, group_id: 1, group_code: 'shop_1', external_id: 'order-1', version: 'v5', operation: 'sell',
    client_timestamp: '14.03.2026 12:15:30', callback_url: 'https://shop.example.ru/cb', callback_warning: null, mark_codes: ['MDEw', null], created_at: 0,
  };
  const registration = {
    registrationNumber: '0000000001012345', registratorSerial: '00106700000001', fnSerial: '9999078900000001', ffdVersion: '120' as const, ofdName: 'ОФД', ofdInn: '7704211201',
    companyName: 'ООО', companyInn: '770123456703', operationsAddress: 'Москва', operationsPlace: 'shop', taxSystems: 1, model: 'virtual',
  };
  const record = (over: Partial<ReceiptRecord>): ReceiptRecord => ({
    id: 7, group_id: 1, user_id: 2, device_id: 3, state: 'pending', attempts: 0, error: null, idempotency_key: 'atol:x', request_hash: 'h',
    request: { receiptType: 1, operationType: 1, taxSystem: 1, items: [], payments: [], total: 174_000, change: 0, email: null, phone: null, correction: null, mistakenReceiptNumber: null, cashier: null, needPrint: false, orderId: 'order-1' },
    order_id: 'order-1', receipt_type: 1, total: 174_000, fd_before: null, fd_number: null, fiscal: null, created_at: 0, updated_at: 0, fiscalized_at: null, claim_epoch: null, callback_url: null,
    ...over,
  });

  it('is ATOL\'s report packet for done, wait and fail', () => {
    const now = Date.parse('2026-03-14T09:42:16Z');
    const done = atolReportOf(record({
      state: 'success', fd_number: 5233,
      fiscal: { fdNumber: 5233, fiscalSign: '3912345678', shiftNumber: 41, receiptInShift: 17, dateTime: '2026-03-14T12:42:00+03:00', total: 174_000, change: 0, registration, markingChecks: [15, null] },
    }), atol, { now });
    expect(done).toMatchObject({
      uuid: atol.uuid, status: 'done', error: null, group_code: 'shop_1', daemon_code: 'cr-server', device_code: '00106700000001', external_id: 'order-1',
      callback_url: 'https://shop.example.ru/cb', warnings: null,
      payload: {
        total: 1740, fns_site: 'www.nalog.gov.ru', fn_number: '9999078900000001', shift_number: 41, receipt_datetime: '14.03.2026 12:42:00', fiscal_receipt_number: 17,
        fiscal_document_number: 5233, ecr_registration_number: '0000000001012345', fiscal_document_attribute: 3912345678, ofd_inn: '7704211201',
        marks_result: [{ position: 0, mark_code: 'MDEw', result: 15 }],
      },
    });
    expect(satisfies('v4-report-response.json', { ...done, warnings: {} }).errors).toEqual([]);

    for (const state of ['pending', 'processing', 'in_doubt'] as const) {
      expect(atolReportOf(record({ state }), atol)).toMatchObject({ status: 'wait', payload: null, error: { code: 34 }, device_code: null });
    }
    const failed = atolReportOf(record({ state: 'failed', error: { code: 'insufficient_payment', message: 'x', device_code: '66' } }), { ...atol, callback_warning: 'callback_url не соответствует маске' });
    expect(failed).toMatchObject({ status: 'fail', payload: null, error: { code: 66, type: 'driver', text: 'сумма оплат меньше итога чека (код ошибки устройства: 66)' }, warnings: { callback_url: 'callback_url не соответствует маске' } });
  });

  it('maps each kind of failure onto ATOL\'s error types', () => {
    expect(failureOf({ code: 'canceled', message: 'x' })).toMatchObject({ code: 1, type: 'system' });
    expect(failureOf({ code: 'paper_out', message: 'x' })).toMatchObject({ code: 44, type: 'driver' });
    expect(failureOf({ code: 'marking_check_failed', message: 'x' })).toMatchObject({ code: 404, type: 'driver' });
    expect(failureOf({ code: 'marking_operator_unavailable', message: 'x' })).toMatchObject({ code: 421, type: 'driver' });
    expect(failureOf({ code: 'something_new', message: 'Новая ошибка' })).toMatchObject({ code: 0, type: 'unknown', text: 'Новая ошибка' });
  });
});
