import { afterEach, describe, expect, it } from 'vitest';
import { VAT_1199_CODES } from '../../domain/enums.js';
import type { Vat1199 } from '../../domain/enums.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice } from './fiscal-device.js';
import type { IdentityOverrides } from './identity.js';
import { toFnsJson } from './ofd-json.js';
import { TAG } from './tags.js';
import { fakeClock, item, receipt, rejection } from './testing.js';
import type { ReceiptSpec } from './testing.js';
import { tagLists, tagNumber, tagString, tagValue } from '../ffd/tag-list.js';
import type { TagList } from '../ffd/tag-list.js';

const open: FiscalDevice[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

function shiftOpenDevice(identity: IdentityOverrides = {}): FiscalDevice {
  const d = openFiscalDevice({ file: ':memory:', seed: '3', clock: fakeClock(), identity });
  open.push(d);
  d.openShift(null);
  return d;
}

const codeOf = (d: FiscalDevice, spec: ReceiptSpec): string => rejection(() => d.register(receipt(spec), { autoOpenShift: false })).code;

function registered(d: FiscalDevice, spec: ReceiptSpec): TagList {
  const r = d.register(receipt(spec), { autoOpenShift: false });
  const doc = d.document(r.fdNumber);
  if (!doc) throw new Error('document missing');
  return doc.tags;
}

describe('sum and payment rules', () => {
  it('item 1043 must equal lineCost(price, quantity)', () => {
    const d = shiftOpenDevice();
    const bad = { ...item({ price: 333, quantity: 1_500_000 }), total: 499 };
    expect(codeOf(d, { items: [bad], payments: [{ type: 0, sum: 499 }] })).toBe('sum_mismatch');
    // 3.33 × 1.5 = 4.995 → 5.00 half-up
    expect(tagNumber(tagLists(registered(d, { items: [item({ price: 333, quantity: 1_500_000 })] }), TAG.item)[0] ?? [], TAG.itemSum)).toBe(500);
  });

  it('1020 must equal Σ 1043 and be positive', () => {
    const d = shiftOpenDevice();
    const r = { ...receipt(), total: 9_999 };
    expect(rejection(() => d.register(r, { autoOpenShift: false })).code).toBe('sum_mismatch');
    expect(codeOf(d, { items: [item({ price: 0 })], payments: [] })).toBe('zero_total');
    expect(rejection(() => d.register({ ...receipt(), items: [] }, { autoOpenShift: false })).code).toBe('invalid_document');
  });

  it('payments must cover the total; only cash may exceed it; change is the excess cash', () => {
    const d = shiftOpenDevice();
    expect(codeOf(d, { payments: [{ type: 0, sum: 5_000 }, { type: 1, sum: 4_999 }] })).toBe('insufficient_payment');
    expect(codeOf(d, { payments: [{ type: 1, sum: 10_001 }] })).toBe('noncash_exceeds_total');
    expect(codeOf(d, { payments: [{ type: 0, sum: 100 }, { type: 1, sum: 6_000 }, { type: 3, sum: 5_000 }] })).toBe('noncash_exceeds_total');
    const r = d.register(receipt({ payments: [{ type: 0, sum: 50_000 }, { type: 1, sum: 3_000 }] }), { autoOpenShift: false });
    expect([r.total, r.change]).toEqual([10_000, 43_000]);
    const tags = d.document(r.fdNumber)?.tags ?? [];
    // 1031 is cash net of change, so the payment tags add up to 1020.
    expect([tagNumber(tags, TAG.cash), tagNumber(tags, TAG.electronic)]).toEqual([7_000, 3_000]);
    const mixed = registered(d, { payments: [{ type: 2, sum: 1_000 }, { type: 3, sum: 2_000 }, { type: 4, sum: 3_000 }, { type: 1, sum: 4_000 }] });
    expect([TAG.prepaid, TAG.credit, TAG.provision, TAG.electronic, TAG.cash].map((t) => tagNumber(mixed, t))).toEqual([1_000, 2_000, 3_000, 4_000, 0]);
  });

  it('refuses a taxation system outside the registered 1062 set', () => {
    const d = shiftOpenDevice({ taxSystems: 2 | 32 });
    expect(rejection(() => d.register(receipt({ taxSystem: 1 }), { autoOpenShift: false }))).toMatchObject({ code: 'tax_system_not_registered', retryable: false });
    expect(tagNumber(registered(d, { taxSystem: 32 }), TAG.taxSystem)).toBe(32);
  });
});

/** 100.00 rub at each rate: expected item 1200 (null: no 1200) and receipt-level total. */
const VAT_CASES: Record<Vat1199, { itemVat: number | null; tag: number | null; json: string | null; total: number }> = {
  1: { itemVat: 1667, tag: 1102, json: 'nds18', total: 1667 },
  2: { itemVat: 909, tag: 1103, json: 'nds10', total: 909 },
  3: { itemVat: 1667, tag: 1106, json: 'ndsCalculated18', total: 1667 },
  4: { itemVat: 909, tag: 1107, json: 'ndsCalculated10', total: 909 },
  5: { itemVat: 0, tag: 1104, json: 'nds0', total: 10_000 },
  6: { itemVat: null, tag: 1105, json: 'ndsNo', total: 10_000 },
  7: { itemVat: 476, tag: null, json: null, total: 476 },
  8: { itemVat: 654, tag: null, json: null, total: 654 },
  9: { itemVat: 476, tag: null, json: null, total: 476 },
  10: { itemVat: 654, tag: null, json: null, total: 654 },
  11: { itemVat: 1803, tag: null, json: null, total: 1803 },
  12: { itemVat: 1803, tag: null, json: null, total: 1803 },
};

describe('VAT per 1199 rate', () => {
  it.each(VAT_1199_CODES)('rate %i: item 1200 and the receipt total per rate', (vat) => {
    const d = shiftOpenDevice();
    const expected = VAT_CASES[vat];
    const r = d.register(receipt({ items: [item({ vat }), item({ vat, price: 5_000, quantity: 2_000_000 })] }), { autoOpenShift: false });
    const doc = d.document(r.fdNumber);
    if (!doc) throw new Error('document missing');
    for (const it of tagLists(doc.tags, TAG.item)) {
      expect(tagNumber(it, TAG.vatRate)).toBe(vat);
      expect(tagNumber(it, TAG.itemVat)).toBe(expected.itemVat);
    }
    if (expected.tag !== null) expect(tagNumber(doc.tags, expected.tag)).toBe(2 * expected.total);
    const json = toFnsJson(doc).receipt as Record<string, unknown>;
    if (expected.json !== null) {
      expect(json[expected.json]).toBe(2 * expected.total);
      expect(json.amountsReceiptNds).toBeUndefined();
    } else {
      // The 2025–2026 rates: one line of 1115 per rate, as FNS-exported 1.2 receipts show it.
      expect(json.amountsReceiptNds).toEqual({ amountsNds: [{ nds: vat, ndsSum: 2 * expected.total }] });
    }
    for (const other of VAT_1199_CODES.filter((v) => v !== vat)) {
      const name = VAT_CASES[other].json;
      if (name !== null) expect(json[name]).toBeUndefined();
    }
  });

  it('a mixed receipt carries one total per rate', () => {
    const d = shiftOpenDevice();
    const tags = registered(d, { items: VAT_1199_CODES.map((vat) => item({ vat })) });
    expect([1102, 1103, 1104, 1105, 1106, 1107].map((t) => tagNumber(tags, t))).toEqual([1667, 909, 10_000, 10_000, 1667, 909]);
    expect(tagNumber(tags, TAG.total)).toBe(120_000);
  });
});

const correction105 = { type: 0 as const, reason: 'Не пробит чек', date: '2026-10-01', docNumber: '15' };

describe('correction receipts', () => {
  it('FFD 1.05: only 1054 = 1 or 3; 1173 and 1174{1177,1178,1179}', () => {
    const d = shiftOpenDevice({ ffdVersion: '105' });
    expect(codeOf(d, { receiptType: 8 })).toBe('invalid_document');
    expect(codeOf(d, { receiptType: 10 })).toBe('invalid_document');
    for (const receiptType of [7, 9] as const) {
      const r = d.register(receipt({ receiptType, correction: correction105 }), { autoOpenShift: false });
      const doc = d.document(r.fdNumber);
      expect(doc?.code).toBe(31);
      const tags = doc?.tags ?? [];
      expect(tagNumber(tags, TAG.correctionType)).toBe(0);
      const base = tagValue(tags, TAG.correctionBase) as TagList;
      expect(base.map(([t]) => t)).toEqual([1177, 1178, 1179]);
      // 2026-10-01 00:00 on the register's wall clock (UnixTime tags are local time).
      expect(tagNumber(base, TAG.correctionDate)).toBe(Date.UTC(2026, 9, 1) / 1000);
      expect(toFnsJson(doc ?? { code: 31, tags: [], fdNumber: 0, fiscalSign: '', createdAt: 0, ofdAckedAt: null })).toHaveProperty('receiptCorrection.correctionBase.correctionName', 'Не пробит чек');
    }
    expect(codeOf(d, { receiptType: 7, correction: { ...correction105, docNumber: '' } })).toBe('invalid_document');
  });

  it('FFD 1.2: 1054 = 1..4, items with 2108, 1174{1178} or {1178,1179} when 1173=1', () => {
    const d = shiftOpenDevice({ ffdVersion: '120' });
    for (const receiptType of [7, 8, 9, 10] as const) {
      const tags = registered(d, { receiptType, correction: { ...correction105, type: 0 } });
      expect((tagValue(tags, TAG.correctionBase) as TagList).map(([t]) => t)).toEqual([1178]);
      expect(tagLists(tags, TAG.item)).toHaveLength(1);
    }
    const byOrder = registered(d, { receiptType: 7, correction: { ...correction105, type: 1, docNumber: 'ЕД-12/3' } });
    expect(tagValue(byOrder, TAG.correctionBase)).toEqual([[1178, expect.any(Number) as number], [1179, 'ЕД-12/3']]);
    expect(codeOf(d, { receiptType: 7, correction: { ...correction105, type: 1, docNumber: '' } })).toBe('invalid_document');
    expect(codeOf(d, { receiptType: 7, items: [], payments: [{ type: 0, sum: 100 }] })).toBe('invalid_document');
  });

  it('refuses correction data on a normal receipt and a correction without it', () => {
    const d = shiftOpenDevice();
    expect(codeOf(d, { receiptType: 1, correction: correction105 })).toBe('invalid_document');
    expect(rejection(() => d.register({ ...receipt({ receiptType: 7 }), correction: null }, { autoOpenShift: false })).code).toBe('invalid_document');
  });
});

describe('FFD item rules', () => {
  it('1.05 carries 1197 when a unit is given and no 2108; refuses 1212 = 20..27, 30..33', () => {
    const d = shiftOpenDevice({ ffdVersion: '105' });
    const [withUnit, without] = tagLists(registered(d, { items: [item({ unit: 'кг', measure: 11 }), item()] }), TAG.item);
    expect(tagString(withUnit ?? [], TAG.unit)).toBe('кг');
    expect(tagValue(withUnit ?? [], TAG.measure)).toBeUndefined();
    expect(tagValue(without ?? [], TAG.unit)).toBeUndefined();
    for (const paymentObject of [20, 27, 30, 33] as const) expect(codeOf(d, { items: [item({ paymentObject })] })).toBe('invalid_document');
    expect(tagNumber(registered(d, { items: [item({ paymentObject: 19 })] }), TAG.ffdVersion)).toBe(2);
  });

  it('1.2 carries 2108 on every item and never 1197; accepts the 1.2 payment objects', () => {
    const d = shiftOpenDevice({ ffdVersion: '120' });
    const tags = registered(d, { items: [item({ unit: 'кг', measure: 11, paymentObject: 33 }), item()] });
    const items = tagLists(tags, TAG.item);
    expect(items.map((i) => tagNumber(i, TAG.measure))).toEqual([11, 0]);
    expect(items.every((i) => tagValue(i, TAG.unit) === undefined)).toBe(true);
    expect(tagNumber(tags, TAG.ffdVersion)).toBe(4);
    const json = toFnsJson(d.document(tagNumber(tags, TAG.fdNumber) ?? 0) ?? { code: 3, tags: [], fdNumber: 0, fiscalSign: '', createdAt: 0, ofdAckedAt: null });
    expect(json).toHaveProperty('receipt.appliedTaxationType', 1);
    expect(json).toHaveProperty('receipt.items.0.itemsQuantityMeasure', 11);
  });
});
