import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECEIPT_TYPES, VAT_1199_CODES, vatOf } from '../../domain/enums.js';
import type { FfdVersion, PaymentType, ReceiptType, Vat1199 } from '../../domain/enums.js';
import { lineCost } from '../../domain/quantity.js';
import { HOUR_MS } from './datetime.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice } from './fiscal-device.js';
import { verifyFiscalSign } from './fiscal-sign.js';
import type { StoredDocument } from './store.js';
import { TAG } from './tags.js';
import { fakeClock, item, receipt, rejection, tempDir } from './testing.js';
import { tagLists, tagNumber } from '../ffd/tag-list.js';
import { VAT_TOTALS } from './vat.js';

/**
 * Random sessions of receipts, refunds, corrections, shift opens/closes, clock steps and
 * "restarts" (reopening the FN file), checked against a tiny model of the counters and, at the
 * end, against the fiscal rules over the whole journal.
 */

type Op =
  | { kind: 'receipt'; receiptType: ReceiptType; items: { price: number; quantity: number; vat: Vat1199 }[]; pay: Pay; autoOpen: boolean }
  | { kind: 'openShift' }
  | { kind: 'closeShift' }
  | { kind: 'stateReport' }
  | { kind: 'restart' }
  | { kind: 'advance'; ms: number };

type Pay = { mode: 'cash'; extra: number } | { mode: 'card' } | { mode: 'mixed'; permille: number; extra: number } | { mode: 'short' };

const vatArb = fc.constantFrom(...VAT_1199_CODES);
const payArb: fc.Arbitrary<Pay> = fc.oneof(
  fc.record({ mode: fc.constant('cash' as const), extra: fc.integer({ min: 0, max: 5_000 }) }),
  fc.record({ mode: fc.constant('card' as const) }),
  fc.record({ mode: fc.constant('mixed' as const), permille: fc.integer({ min: 0, max: 1000 }), extra: fc.integer({ min: 0, max: 5_000 }) }),
  fc.record({ mode: fc.constant('short' as const) }),
);
const receiptArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('receipt' as const),
  receiptType: fc.constantFrom<ReceiptType>(1, 1, 2, 4, 5, 7, 8, 9, 10),
  items: fc.array(
    fc.record({ price: fc.integer({ min: 0, max: 200_000 }), quantity: fc.integer({ min: 1, max: 3_000_000 }), vat: vatArb }),
    { minLength: 1, maxLength: 4 },
  ),
  pay: payArb,
  autoOpen: fc.boolean(),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: receiptArb },
  { weight: 1, arbitrary: fc.constant({ kind: 'openShift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'closeShift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stateReport' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 5 * HOUR_MS }) }) },
);

function payments(total: number, pay: Pay): { type: PaymentType; sum: number }[] {
  switch (pay.mode) {
    case 'cash': return [{ type: 0, sum: total + pay.extra }];
    case 'card': return [{ type: 1, sum: total }];
    case 'mixed': {
      const card = Math.floor((total * pay.permille) / 1000);
      return [{ type: 1, sum: card }, { type: 0, sum: total - card + pay.extra }];
    }
    case 'short': return [{ type: 0, sum: Math.max(0, total - 1) }];
  }
}

interface Model {
  fd: number;
  shift: number;
  open: boolean;
  openedAt: number;
  inShift: number;
}

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

let runNo = 0;

function runSession(ffd: FfdVersion, ops: Op[]): void {
  const file = join(dir, `fn-${runNo++}.sqlite`);
  const clock = fakeClock();
  const openDevice = (): FiscalDevice => openFiscalDevice({ file, seed: String(runNo), clock, identity: { ffdVersion: ffd } });
  let d = openDevice();
  const m: Model = { fd: 1, shift: 0, open: false, openedAt: 0, inShift: 0 };
  const expired = (): boolean => m.open && clock.now() - m.openedAt >= 24 * HOUR_MS;
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'advance':
          clock.advance(op.ms);
          break;
        case 'restart':
          d.close();
          d = openDevice();
          break;
        case 'openShift':
          if (m.open) {
            expect(rejection(() => d.openShift(null)).code).toBe('shift_already_open');
          } else {
            expect(d.openShift(null)).toMatchObject({ fdNumber: m.fd + 1, shiftNumber: m.shift + 1 });
            Object.assign(m, { fd: m.fd + 1, shift: m.shift + 1, open: true, openedAt: clock.now(), inShift: 0 });
          }
          break;
        case 'closeShift':
          if (!m.open) {
            expect(rejection(() => d.closeShift(null)).code).toBe('shift_closed');
          } else {
            expect(d.closeShift(null)).toMatchObject({ fdNumber: m.fd + 1, shiftNumber: m.shift });
            Object.assign(m, { fd: m.fd + 1, open: false });
          }
          break;
        case 'stateReport':
          expect(d.stateReport().fdNumber).toBe(m.fd + 1);
          m.fd += 1;
          break;
        case 'receipt':
          applyReceipt(d, m, ffd, op, expired());
          break;
      }
      expect(d.lastFdNumber()).toBe(m.fd);
    }
    checkJournal(d, m);
  } finally {
    d.close();
  }

  function applyReceipt(dev: FiscalDevice, model: Model, version: FfdVersion, op: Extract<Op, { kind: 'receipt' }>, isExpired: boolean): void {
    const items = op.items.map((i) => item({ ...i, unit: 'шт' }));
    const total = items.reduce((a, i) => a + i.total, 0);
    const r = receipt({ receiptType: op.receiptType, items, payments: payments(total, op.pay) });
    const correction = RECEIPT_TYPES[op.receiptType].correction;
    const expectedError =
      isExpired ? 'shift_expired'
      : !model.open && !op.autoOpen ? 'shift_closed'
      : correction && version === '105' && (r.operationType === 2 || r.operationType === 4) ? 'invalid_document'
      : total === 0 ? 'zero_total'
      : op.pay.mode === 'short' ? 'insufficient_payment'
      : null;
    if (expectedError) {
      expect(rejection(() => dev.register(r, { autoOpenShift: op.autoOpen })).code).toBe(expectedError);
      return;
    }
    const opened = !model.open;
    const res = dev.register(r, { autoOpenShift: op.autoOpen });
    if (opened) Object.assign(model, { fd: model.fd + 1, shift: model.shift + 1, open: true, openedAt: clock.now(), inShift: 0 });
    expect(res).toMatchObject({ fdNumber: model.fd + 1, shiftNumber: model.shift, receiptInShift: model.inShift + 1, total });
    const paid = r.payments.reduce((a, p) => a + p.sum, 0);
    expect(res.change).toBe(paid - total);
    model.fd += 1;
    model.inShift += 1;
  }
}

/** The rules over the whole archive, independent of how it was produced. */
function checkJournal(d: FiscalDevice, m: Model): void {
  const journal = d.journal();
  expect(journal.map((j) => j.fdNumber)).toEqual(Array.from({ length: m.fd }, (_, i) => i + 1));
  let shift = 0;
  let inShift = 0;
  for (const doc of journal) {
    expect(verifyFiscalSign(d.secret, doc)).toBe(true);
    switch (doc.code) {
      case 2:
        expect(tagNumber(doc.tags, TAG.shiftNumber)).toBe(++shift);
        inShift = 0;
        break;
      case 3:
      case 31:
        expect(tagNumber(doc.tags, TAG.shiftNumber)).toBe(shift);
        expect(tagNumber(doc.tags, TAG.receiptInShift)).toBe(++inShift);
        checkReceiptSums(doc);
        break;
      case 5:
        expect(tagNumber(doc.tags, TAG.shiftReceiptCount)).toBe(inShift);
        break;
      case 6:
        // The report on closing the FN names the last shift; the property run never makes one.
        expect(tagNumber(doc.tags, TAG.shiftNumber)).toBe(shift);
        break;
      case 1:
      case 21:
        break;
    }
  }
}

function checkReceiptSums(doc: StoredDocument): void {
  const items = tagLists(doc.tags, TAG.item);
  let sum = 0;
  const perRate = new Map<number, number>();
  for (const it of items) {
    const itemSum = tagNumber(it, TAG.itemSum) ?? -1;
    expect(itemSum).toBe(lineCost(tagNumber(it, TAG.price) ?? -1, tagNumber(it, TAG.quantity) ?? -1));
    const vat = tagNumber(it, TAG.vatRate) as Vat1199;
    const itemVat = vat === 6 ? undefined : vatOf(itemSum, vat);
    expect(tagNumber(it, TAG.itemVat) ?? undefined).toBe(itemVat);
    const add = VAT_TOTALS[vat].turnover ? itemSum : (itemVat ?? 0);
    perRate.set(vat, (perRate.get(vat) ?? 0) + add);
    sum += itemSum;
  }
  const total = tagNumber(doc.tags, TAG.total);
  expect(total).toBe(sum);
  expect(total).toBeGreaterThan(0);
  const paid = [TAG.cash, TAG.electronic, TAG.prepaid, TAG.credit, TAG.provision].map((t) => tagNumber(doc.tags, t) ?? -1);
  expect(paid.every((p) => p >= 0)).toBe(true);
  expect(paid.reduce((a, b) => a + b, 0)).toBe(total);
  for (const code of VAT_1199_CODES) {
    const tag = VAT_TOTALS[code].tag;
    if (tag !== null) expect(tagNumber(doc.tags, tag) ?? undefined).toBe(perRate.get(code));
  }
}

describe('fiscal device under random sessions', () => {
  it('keeps counters, sums, VAT and fiscal signs consistent across restarts', () => {
    fc.assert(
      fc.property(fc.constantFrom<FfdVersion>('105', '120'), fc.array(opArb, { minLength: 1, maxLength: 40 }), runSession),
      { numRuns: 60 },
    );
  });
});
