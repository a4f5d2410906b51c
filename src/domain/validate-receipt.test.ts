import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { validateReceipt } from './validate-receipt.js';
import { normalizePhone } from './contact.js';
import { parseCorrectionDate, parseQueryDate } from './dates.js';
import { parseReceiptQr, receiptQr } from './qr.js';
import type { ReceiptContext, ReceiptInput } from './receipt-input.js';

const ctx: ReceiptContext = { defaultTaxSystem: 1, defaultVat: null, ffdVersion: '105', registeredTaxSystems: 1 | 2, today: '2026-11-28' };
const base: ReceiptInput = {
  receiptType: 1,
  email: 'a@b.ru',
  products: [{ name: 'A', price: 100, quantity: 1, payment_state_int: 4, commodity_type_int: 1 }],
  payments: [{ payment_type_int: 0, payment_sum: 150 }],
};
const codes = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e.errors.map((x) => x.code);
    throw e;
  }
  return [];
};

describe('receipt validation', () => {
  it('normalizes a valid receipt: kopecks, change, defaults and tag values', () => {
    const r = validateReceipt(base, ctx);
    expect(r).toMatchObject({ receiptType: 1, operationType: 1, taxSystem: 1, total: 10000, change: 5000, email: 'a@b.ru' });
    expect(r.items[0]).toMatchObject({ price: 10000, quantity: 1_000_000, total: 10000, vat: 6, paymentMethod: 4, paymentObject: 1, measure: 0 });
  });

  it('maps VAT codes and names to tag 1199 and uses the group default', () => {
    const p = (x: object) => ({ ...base, products: [{ ...base.products[0]!, ...x }] });
    expect(validateReceipt(p({ tax_type_int: 7 }), ctx).items[0]?.vat).toBe(1);
    expect(validateReceipt(p({ tax_type_int: 8 }), ctx).items[0]?.vat).toBe(3);
    expect(validateReceipt(p({ tax_type: 'vat22' }), ctx).items[0]?.vat).toBe(11);
    expect(validateReceipt(p({ tax_type: 'vat105' }), ctx).items[0]?.vat).toBe(9);
    expect(validateReceipt(base, { ...ctx, defaultVat: 2 }).items[0]?.vat).toBe(2);
  });

  it('takes only the tables\' own names: Object.prototype\'s keys are unknown VAT names and units', () => {
    const p = (x: object) => ({ ...base, products: [{ ...base.products[0]!, ...x }] });
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(codes(() => validateReceipt(p({ tax_type: key }), ctx)), key).toEqual(['invalid_tax_type']);
      expect(validateReceipt(p({ quantity_unit: key }), ctx).items[0]?.measure, key).toBe(255);
    }
  });

  it('checks the taxation system against the device registration', () => {
    expect(codes(() => validateReceipt({ ...base, tax_system: 32 }, ctx))).toEqual(['tax_system_not_registered']);
    expect(codes(() => validateReceipt({ ...base, tax_system: null }, { ...ctx, defaultTaxSystem: null }))).toEqual(['required']);
  });

  it('applies FFD 1.05 rules to corrections: only sell/buy corrections, mistaken receipt number required', () => {
    const corr = { ...base, receiptType: 8, correction_reason: 'r', correction_date: '2026-11-01', doc_number: '1', precept: true, mistaken_receipt_number: '5' };
    expect(codes(() => validateReceipt(corr, ctx))).toEqual(['correction_type_not_supported']);
    expect(validateReceipt(corr, { ...ctx, ffdVersion: '120' }).correction).toEqual({ type: 1, reason: 'r', date: '2026-11-01', docNumber: '1' });
    expect(codes(() => validateReceipt({ ...corr, receiptType: 7, mistaken_receipt_number: null }, ctx))).toEqual(['required']);
    expect(codes(() => validateReceipt({ ...corr, receiptType: 7, correction_date: '2026-12-01' }, ctx))).toEqual(['date_in_future']);
  });

  it('refuses FFD 1.2-only subjects on an FFD 1.05 device', () => {
    const p = { ...base, products: [{ ...base.products[0]!, commodity_type_int: 32 }] };
    expect(codes(() => validateReceipt(p, ctx))).toEqual(['commodity_type_requires_ffd_1_2']);
    expect(validateReceipt(p, { ...ctx, ffdVersion: '120' }).items[0]?.paymentObject).toBe(32);
    // 33 is marked goods sold with their code: the code must come with it (validate-ffd12.test.ts).
    expect(codes(() => validateReceipt({ ...base, products: [{ ...base.products[0]!, commodity_type_int: 33 }] }, { ...ctx, ffdVersion: '120' }))).toEqual(['marking_code_required']);
  });

  it('allows 6 quantity decimals for weighed goods only', () => {
    const p = (unit: string | null) => ({ ...base, products: [{ ...base.products[0]!, quantity: '0.123456', quantity_unit: unit }] });
    expect(validateReceipt(p('кг'), ctx).items[0]).toMatchObject({ quantity: 123_456, measure: 11 });
    expect(codes(() => validateReceipt(p(null), ctx))).toEqual(['invalid_quantity']);
  });

  it('refuses control characters, lone surrogates, bidi overrides and noncharacters in every text field, one error per field', () => {
    const fields = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof DomainError) return e.errors.map((x) => `${x.field ?? ''}:${x.code}`);
        throw e;
      }
      return [];
    };
    const p = (x: object) => ({ ...base, products: [{ ...base.products[0]!, ...x }] });
    for (const c of ['\u0000', '\t', '\u001b', '\u009b', '\ud800', '\udfff', '\u202e', '\u2067', '\ufeff', '\uffff']) {
      expect(fields(() => validateReceipt(p({ name: `Чай${c}` }), ctx)), JSON.stringify(c)).toEqual(['products[0].name:invalid_characters']);
      // The field's other rules do not pile up on it (an e-mail with NUL is not also "not an e-mail").
      expect(fields(() => validateReceipt({ ...base, email: `a@b.ru${c}` }, ctx))).toEqual(['email:invalid_characters']);
      expect(fields(() => validateReceipt({ ...base, order_id: `A-1${c}` }, ctx))).toEqual(['order_id:invalid_characters']);
      expect(fields(() => validateReceipt({ ...base, cashier: { name: `Иванова${c}` } }, ctx))).toEqual(['cashier.name:invalid_characters']);
      expect(fields(() => validateReceipt(p({ price: `100${c}` }), ctx))).toEqual(['products[0].price:invalid_characters']);
    }
    const corr = { ...base, receiptType: 7, correction_reason: 'r\u0000', correction_date: '2026-11-01', doc_number: '1\u202e', precept: true, mistaken_receipt_number: '5' };
    expect(fields(() => validateReceipt(corr, ctx))).toEqual(['correction_reason:invalid_characters', 'doc_number:invalid_characters']);
    const text = 'Молоко «Домик в деревне» 3,2% "1 л" — 🥛👍🏽';
    const ok = validateReceipt({ ...p({ name: text }), order_id: 'заказ 😀', cashier: { name: 'Кассир "Ёлка" 🎄' } }, ctx);
    expect(ok.items[0]?.name).toBe(text);
    expect(ok.cashier?.name).toBe('Кассир "Ёлка" 🎄');
  });
});

describe('contacts, dates and QR', () => {
  it.each([
    ['+7 (912) 345-67-89', '+79123456789'], ['89123456789', '+79123456789'], ['9123456789', '+79123456789'],
    ['+375 29 123 45 67', '+375291234567'], ['123', null], ['+7 912 abc', null],
  ])('phone %s → %s', (input, out) => expect(normalizePhone(input)).toBe(out));

  it.each([
    ['01.11.2026', '2026-11-01'], ['01:11:2026', '2026-11-01'], ['2026-11-01', '2026-11-01'], ['29.02.2024', '2024-02-29'],
    ['29.02.2026', null], ['31.04.2026', null], ['2026-13-01', null], ['1.11.2026', null],
  ])('correction date %s → %s', (input, out) => expect(parseCorrectionDate(input)).toBe(out));

  it('parses list dates in both formats', () => {
    expect(parseQueryDate('20261031')).toBe('2026-10-31');
    expect(parseQueryDate('2026-10-31')).toBe('2026-10-31');
    expect(parseQueryDate('20261032')).toBeNull();
  });

  it('builds the standard QR payload and parses it back', () => {
    const qr = receiptQr({ dateTime: '2026-10-22T14:43:50+03:00', total: 20000, fnSerial: '9999078900000001', fdNumber: 1412, fiscalSign: '3625795987', operationType: 1 });
    expect(qr).toBe('t=20261022T1443&s=200.00&fn=9999078900000001&i=1412&fp=3625795987&n=1');
    expect(parseReceiptQr(qr)).toEqual({ t: '20261022T1443', s: '200.00', fn: '9999078900000001', i: 1412, fp: '3625795987', n: 1 });
  });
});
