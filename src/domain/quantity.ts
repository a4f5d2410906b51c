/**
 * Quantity is kept as an integer number of millionths (FVLN tag 1023 allows up to 6 decimals for
 * weighed goods; Shtrih FF46 sends quantity ×10^6). Never a float.
 */
export type Micros = number & { readonly __brand: 'Micros' };

export const QUANTITY_SCALE = 1_000_000;
/** 10^7 units is far above any real receipt line and keeps price × quantity inside BigInt-free math checks. */
export const MAX_QUANTITY_UNITS = 10_000_000;

export type QuantityParseError = 'not_a_number' | 'too_many_decimals' | 'not_positive' | 'too_large';

const QTY_RE = /^(\d{1,8})(?:\.(\d{1,6}))?$/;

export function parseQuantity(value: unknown, maxDecimals: number): Micros | QuantityParseError {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'not_a_number';
    if (value <= 0) return 'not_positive';
    text = String(value);
    if (/e-/i.test(text)) return 'too_many_decimals';
  } else if (typeof value === 'string') {
    text = value.trim();
    if (/^-\d/.test(text)) return 'not_positive';
  } else {
    return 'not_a_number';
  }
  const frac = /^\d+\.(\d+)$/.exec(text)?.[1];
  if (frac !== undefined && frac.replace(/0+$/, '').length > maxDecimals) return 'too_many_decimals';
  const m = QTY_RE.exec(text);
  if (!m) return /^\d+(\.\d+)?$/.test(text) || /e\+/i.test(text) ? 'too_large' : 'not_a_number';
  const micros = Number(m[1]) * QUANTITY_SCALE + Number((m[2] ?? '').padEnd(6, '0'));
  if (micros <= 0) return 'not_positive';
  if (micros > MAX_QUANTITY_UNITS * QUANTITY_SCALE) return 'too_large';
  return micros as Micros;
}

/** "1", "0.25", "2.125" — api.md: a string without trailing zeros. */
export function formatQuantity(q: number): string {
  const whole = Math.trunc(q / QUANTITY_SCALE);
  const frac = (q % QUANTITY_SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Number of decimals actually used (the original's `quantity_prec`). */
export function quantityPrecision(q: number): number {
  const frac = (q % QUANTITY_SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  return frac.length;
}

/**
 * Item cost (tag 1043) = price × quantity rounded half-up to kopecks (domain.md §2.4).
 * BigInt because kopecks × millionths overflows 2^53 for large lines.
 */
export function lineCost(priceKopecks: number, quantity: Micros | number): number {
  const product = BigInt(priceKopecks) * BigInt(quantity);
  const scale = BigInt(QUANTITY_SCALE);
  const rounded = (product * 2n + scale) / (2n * scale);
  return Number(rounded);
}
