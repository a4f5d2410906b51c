/**
 * Money is an integer number of kopecks, branded so a plain number cannot be passed by mistake.
 * Parsing and formatting happen only at the edges (HTTP, device wire formats).
 */
export type Kopecks = number & { readonly __brand: 'Kopecks' };

/** The largest amount a 54-FZ VLN money tag can carry is 6 bytes; we cap lower, at 10^13 kopecks. */
export const MAX_KOPECKS = 10_000_000_000_000;

export const kopecks = (n: number): Kopecks => {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not an integer number of kopecks: ${n}`);
  return n as Kopecks;
};

const MONEY_RE = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

export type MoneyParseError = 'not_a_number' | 'too_many_decimals' | 'negative' | 'too_large';

/**
 * Parses a JSON number or numeric string into kopecks without ever multiplying a float:
 * the decimal text is split into rubles and kopecks. `100`, `"99.9"`, `99.90` are accepted.
 */
export function parseMoney(value: unknown): Kopecks | MoneyParseError {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'not_a_number';
    if (value < 0) return 'negative';
    // Shortest round-trip representation: 99.9 → "99.9"; exponent forms are tiny or huge.
    text = String(value);
    if (/e-/i.test(text)) return 'too_many_decimals';
    if (/e\+/i.test(text)) return 'too_large';
  } else if (typeof value === 'string') {
    text = value.trim();
    if (text.startsWith('-')) return /^-\d/.test(text) ? 'negative' : 'not_a_number';
  } else {
    return 'not_a_number';
  }
  if (/^\d+\.\d{3,}$/.test(text)) return 'too_many_decimals';
  const m = MONEY_RE.exec(text);
  if (!m) return /^\d+(\.\d+)?$/.test(text) ? 'too_large' : 'not_a_number';
  const rubles = Number(m[1]);
  const kop = Number((m[2] ?? '').padEnd(2, '0'));
  const total = rubles * 100 + kop;
  if (total > MAX_KOPECKS) return 'too_large';
  return total as Kopecks;
}

/** "200.00" — the response format of api.md. */
export function formatMoney(k: number): string {
  const sign = k < 0 ? '-' : '';
  const abs = Math.abs(k);
  const rub = Math.trunc(abs / 100);
  const kop = abs % 100;
  return `${sign}${rub}.${kop.toString().padStart(2, '0')}`;
}

export const sumKopecks = (values: readonly number[]): Kopecks => kopecks(values.reduce((a, b) => a + b, 0));
