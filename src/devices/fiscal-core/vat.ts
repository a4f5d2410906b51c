import { VAT_1199_CODES, vatOf } from '../../domain/enums.js';
import type { Vat1199 } from '../../domain/enums.js';
import { TAG } from './tags.js';

/**
 * Receipt-level VAT per 1199 rate. For the 1.05 rates FFD has tags 1102–1107; for 0 % (1104) and
 * "without VAT" (1105) the tag holds the turnover at that rate, not a tax (there is none).
 * The 2025–2026 rates (5, 7, 5/105, 7/107, 22, 22/122) have no tag of their own: their totals are
 * lines of the 1115 container (documents.ts).
 */
export interface VatTotalSpec {
  /** The receipt-level tag of the rate; null: the rate goes into 1115 (documents.ts). */
  tag: number | null;
  /** true: the receipt carries Σ 1043 at the rate; false: Σ 1200 */
  turnover: boolean;
}

export const VAT_TOTALS: Record<Vat1199, VatTotalSpec> = {
  1: { tag: TAG.vat20Sum, turnover: false },
  2: { tag: TAG.vat10Sum, turnover: false },
  3: { tag: TAG.vat120Sum, turnover: false },
  4: { tag: TAG.vat110Sum, turnover: false },
  5: { tag: TAG.vat0Turnover, turnover: true },
  6: { tag: TAG.noVatTurnover, turnover: true },
  7: { tag: null, turnover: false },
  8: { tag: null, turnover: false },
  9: { tag: null, turnover: false },
  10: { tag: null, turnover: false },
  11: { tag: null, turnover: false },
  12: { tag: null, turnover: false },
};

/** 1200 of one item; "without VAT" items carry no 1200 at all. */
export const itemVat = (sum: number, vat: Vat1199): number | null => (vat === 6 ? null : vatOf(sum, vat));

/** Per-rate receipt totals (kopecks) for the rates present on the receipt, in 1199 order. */
export function vatTotals(items: readonly { sum: number; vat: Vat1199 }[]): Map<Vat1199, number> {
  const totals = new Map<Vat1199, number>();
  for (const code of VAT_1199_CODES) {
    const atRate = items.filter((i) => i.vat === code);
    if (atRate.length === 0) continue;
    const spec = VAT_TOTALS[code];
    totals.set(code, atRate.reduce((acc, i) => acc + (spec.turnover ? i.sum : (itemVat(i.sum, code) ?? 0)), 0));
  }
  return totals;
}
