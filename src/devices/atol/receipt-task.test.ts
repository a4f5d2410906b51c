import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FiscalReceipt } from '../../domain/receipt.js';
import { item, receipt } from '../fiscal-core/testing.js';
import { kopecksToRubles, rublesToKopecks } from './money.js';
import type { JsonObject } from './protocol.js';
import { TaskError, receiptToTask, taskToReceipt } from './receipt-task.js';

const fixture = (name: string): JsonObject =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as JsonObject;

/** The receipt behind fixtures/sell-ffd105.json. */
function sell105(): FiscalReceipt {
  return {
    ...receipt({
      taxSystem: 2,
      items: [
        { ...item({ name: 'Поилка ниппельная', price: 9999, quantity: 3_000_000, vat: 6, unit: 'шт' }) },
        { ...item({ name: 'Доставка', price: 10, vat: 1, paymentObject: 4 }), paymentMethod: 1 },
        item({ name: 'Гвозди', price: 20, quantity: 1_500_000, vat: 3, unit: 'кг', measure: 11 }),
      ],
      payments: [
        { type: 1, sum: 20_000 },
        { type: 0, sum: 15_000 },
      ],
      email: 'buyer@example.com',
    }),
    cashier: { name: 'Иванов И.И.', inn: '123456789047' },
  };
}

function correction120(): FiscalReceipt {
  return {
    ...receipt({
      receiptType: 8,
      taxSystem: 1,
      items: [item({ name: 'Сахар', price: 8550, quantity: 2_125_000, vat: 2, measure: 11 })],
      payments: [{ type: 1, sum: 18_169 }],
      correction: { type: 1, reason: 'Предписание', date: '2026-10-01', docNumber: 'ПР-15' },
    }),
    mistakenReceiptNumber: '42',
    cashier: null,
    needPrint: true,
  };
}

describe('money at the ATOL edge', () => {
  it('converts kopecks to rubles and back without drift', () => {
    expect(kopecksToRubles(29_997)).toBe(299.97);
    expect(kopecksToRubles(1)).toBe(0.01);
    expect(rublesToKopecks(0.1 + 0.2)).toBe(30);
    expect(rublesToKopecks(99.99 * 3)).toBe(29_997);
    expect(rublesToKopecks(1.005)).toBe(100); // 1.005 is 1.00499999… as a double: the device sent 1.00
    expect(rublesToKopecks(0)).toBe(0);
    for (let k = 0; k < 100_000; k += 7) expect(rublesToKopecks(kopecksToRubles(k))).toBe(k);
    expect(rublesToKopecks(kopecksToRubles(9_999_999_999_99))).toBe(9_999_999_999_99);
  });

  it('refuses non-integer kopecks and non-finite rubles', () => {
    expect(() => kopecksToRubles(1.5)).toThrow(RangeError);
    expect(() => rublesToKopecks(Number.NaN)).toThrow(RangeError);
  });
});

describe('FiscalReceipt → ATOL JSON task', () => {
  it('lays out an FFD 1.05 sell receipt (free-text units, cashier, buyer e-mail)', () => {
    expect(receiptToTask(sell105(), '105')).toEqual(fixture('sell-ffd105.json'));
  });

  it('lays out an FFD 1.2 return correction (2108 measure, correction base, 1192)', () => {
    expect(receiptToTask(correction120(), '120')).toEqual(fixture('sell-return-correction-ffd120.json'));
  });

  it('names every receipt type as the ATOL task type', () => {
    const names = ([1, 2, 4, 5, 7, 8, 9, 10] as const).map((t) => receiptToTask(receipt({ receiptType: t }), '120').type);
    expect(names).toEqual(['sell', 'sellReturn', 'buy', 'buyReturn', 'sellCorrection', 'sellReturnCorrection', 'buyCorrection', 'buyReturnCorrection']);
  });

  it('maps every taxation system', () => {
    const names = ([1, 2, 4, 8, 16, 32] as const).map((t) => receiptToTask(receipt({ taxSystem: t }), '105').taxationType);
    expect(names).toEqual(['osn', 'usnIncome', 'usnIncomeOutcome', 'envd', 'esn', 'patent']);
  });

  it('sends the phone when there is no e-mail, and 1.05 corrections carry the base name (1177)', () => {
    const r = { ...receipt({ receiptType: 7 }), phone: '+79001234567' };
    const t = receiptToTask(r, '105');
    expect(t.clientInfo).toEqual({ emailOrPhone: '+79001234567' });
    expect(t).toMatchObject({ correctionType: 'self', correctionBaseName: 'Не пробит чек', correctionBaseDate: '2026.10.01' });
    expect(receiptToTask(r, '120').correctionBaseName).toBeUndefined();
  });
});

describe('ATOL JSON task → FiscalReceipt (the emulated device reading it)', () => {
  it('reads back the same receipt (1.05)', () => {
    const r = sell105();
    expect(taskToReceipt(fixture('sell-ffd105.json'), '105')).toEqual({ ...r, change: 4963, items: r.items.map((i) => ({ ...i, measure: 0 })) });
  });

  it('reads back the same receipt (1.2 has no 1177 correction base name)', () => {
    const r = correction120();
    const expected = { ...r, correction: { type: 1, reason: '', date: '2026-10-01', docNumber: 'ПР-15' } };
    expect(taskToReceipt(fixture('sell-return-correction-ffd120.json'), '120')).toEqual(expected);
  });

  it('round-trips every receipt type (1.05 keeps the correction reason)', () => {
    for (const t of [1, 2, 4, 5, 7, 8, 9, 10] as const) {
      const r = receipt({ receiptType: t });
      expect(taskToReceipt({ ...receiptToTask(r, '105') }, '105')).toEqual(r);
    }
  });

  it('refuses unknown enumeration strings with INVALID_PARAM', () => {
    const bad = { ...fixture('sell-ffd105.json'), taxationType: 'usn' };
    expect(() => taskToReceipt(bad, '105')).toThrow(TaskError);
    try {
      taskToReceipt({ ...fixture('sell-return-correction-ffd120.json'), items: [{ type: 'position', name: 'x' }] }, '120');
    } catch (e) {
      expect(e).toBeInstanceOf(TaskError);
      expect((e as TaskError).atolCode).toBe(13);
    }
  });
});
