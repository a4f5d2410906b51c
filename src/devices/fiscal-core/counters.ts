import type { OperationType, Vat1199 } from '../../domain/enums.js';
import { isVat1199 } from '../../domain/enums.js';
import { tagLists, tagNumber } from '../ffd/tag-list.js';
import type { TagEntry, TagList } from '../ffd/tag-list.js';
import { DOC_CODES, TAG } from './tags.js';
import type { DocCode } from './tags.js';
import { VAT_TOTALS } from './vat.js';

/**
 * The FN's sum counters: per settlement sign (1054), receipts and corrections apart, the count,
 * the total, each payment form and the VAT of each rate that has a counter tag. FFD 1.2 makes them
 * mandatory in the close-shift report (1194 for the shift, 1157 for the FN's life) and in the state
 * report (1157) (docs/domain.md §1.2).
 */
export type OperationKey = 'sell' | 'sellReturn' | 'buy' | 'buyReturn';

export interface OperationCounter {
  count: number;
  total: number;
  cash: number;
  electronic: number;
  prepaid: number;
  credit: number;
  provision: number;
  /** receipt-level VAT (or turnover, for 0 % and "without VAT") per 1199 rate */
  vat: Partial<Record<Vat1199, number>>;
}

export interface SumCounters {
  receipts: Record<OperationKey, OperationCounter>;
  corrections: Record<OperationKey, OperationCounter>;
}

const OPERATION_KEYS: Record<OperationType, OperationKey> = { 1: 'sell', 2: 'sellReturn', 3: 'buy', 4: 'buyReturn' };

const zero = (): OperationCounter => ({ count: 0, total: 0, cash: 0, electronic: 0, prepaid: 0, credit: 0, provision: 0, vat: {} });
const zeroes = (): Record<OperationKey, OperationCounter> => ({ sell: zero(), sellReturn: zero(), buy: zero(), buyReturn: zero() });
export const emptyCounters = (): SumCounters => ({ receipts: zeroes(), corrections: zeroes() });

/** The 1199 rates with a receipt-level tag of their own (vat.ts), listed once. */
const VAT_TAGS: readonly { rate: Vat1199; tag: number }[] = Object.entries(VAT_TOTALS).flatMap(([rate, spec]) =>
  spec.tag === null ? [] : [{ rate: Number(rate) as Vat1199, tag: spec.tag }],
);

const isOperationType = (n: number | null): n is OperationType => n === 1 || n === 2 || n === 3 || n === 4;

/** What a closed receipt (3) or correction (31) adds, read from its own tags. Null for other documents. */
function sumsOf(code: DocCode, tags: TagList): { correction: boolean; key: OperationKey; add: OperationCounter } | null {
  if (code !== DOC_CODES.receipt && code !== DOC_CODES.correction) return null;
  const op = tagNumber(tags, TAG.operationType);
  if (!isOperationType(op)) return null;
  const vat: Partial<Record<Vat1199, number>> = {};
  for (const { rate, tag } of VAT_TAGS) {
    const sum = tagNumber(tags, tag);
    if (sum !== null) vat[rate] = sum;
  }
  for (const container of tagLists(tags, TAG.receiptVat)) {
    for (const line of tagLists(container, TAG.receiptVatLine)) {
      const rate = tagNumber(line, TAG.vatRate);
      if (rate !== null && isVat1199(rate)) vat[rate] = tagNumber(line, TAG.receiptVatLineSum) ?? 0;
    }
  }
  const n = (tag: number): number => tagNumber(tags, tag) ?? 0;
  return {
    correction: code === DOC_CODES.correction,
    key: OPERATION_KEYS[op],
    add: { count: 1, total: n(TAG.total), cash: n(TAG.cash), electronic: n(TAG.electronic), prepaid: n(TAG.prepaid), credit: n(TAG.credit), provision: n(TAG.provision), vat },
  };
}

function plus(a: OperationCounter, b: OperationCounter): OperationCounter {
  const vat = { ...a.vat };
  for (const [rate, sum] of Object.entries(b.vat)) vat[Number(rate) as Vat1199] = (vat[Number(rate) as Vat1199] ?? 0) + sum;
  return {
    count: a.count + b.count, total: a.total + b.total, cash: a.cash + b.cash, electronic: a.electronic + b.electronic,
    prepaid: a.prepaid + b.prepaid, credit: a.credit + b.credit, provision: a.provision + b.provision, vat,
  };
}

/** The counters after a document closed (unchanged for reports). */
export function countDocument(c: SumCounters, code: DocCode, tags: TagList): SumCounters {
  const s = sumsOf(code, tags);
  if (!s) return c;
  const side = s.correction ? 'corrections' : 'receipts';
  return { ...c, [side]: { ...c[side], [s.key]: plus(c[side][s.key], s.add) } };
}

/** Counters rebuilt from journal documents: for an FN whose store predates them. */
export const countDocuments = (docs: readonly { code: DocCode; tags: TagList }[]): SumCounters =>
  docs.reduce((c, d) => countDocument(c, d.code, d.tags), emptyCounters());

/** The counter STLV of one settlement sign (1129–1132, 1145/1146/1232/1233). */
function operationTags(c: OperationCounter): TagList {
  const v = (rate: Vat1199): number => c.vat[rate] ?? 0;
  return [
    [1135, c.count], [1201, c.total], [1136, c.cash], [1138, c.electronic], [1218, c.prepaid], [1219, c.credit], [1220, c.provision],
    // 20 %, 10 %, 20/120, 10/110, 0 % (turnover), without VAT (turnover). The 2025–2026 rates have no counter tag.
    [1139, v(1)], [1140, v(2)], [1141, v(3)], [1142, v(4)], [1143, v(5)], [1183, v(6)],
  ];
}

/** The body of 1194 (shift) or 1157 (FN): receipts per sign, then the corrections (1133). */
export function countersTags(c: SumCounters): TagList {
  const receipts = Object.values(c.receipts).reduce((n, o) => n + o.count, 0);
  const corrections = Object.values(c.corrections).reduce((n, o) => n + o.count, 0);
  const out: TagEntry[] = [
    [1134, receipts],
    [1129, operationTags(c.receipts.sell)],
    [1130, operationTags(c.receipts.sellReturn)],
    [1131, operationTags(c.receipts.buy)],
    [1132, operationTags(c.receipts.buyReturn)],
    [1133, [
      [1144, corrections],
      [1145, operationTags(c.corrections.sell)],
      [1232, operationTags(c.corrections.sellReturn)],
      [1146, operationTags(c.corrections.buy)],
      [1233, operationTags(c.corrections.buyReturn)],
    ]],
  ];
  return out;
}
