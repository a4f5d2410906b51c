import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatMoney, parseMoney } from './money.js';
import { formatQuantity, lineCost, parseQuantity } from './quantity.js';
import { vatOf } from './enums.js';

describe('money', () => {
  it.each([
    [100, 10000], ['100', 10000], [99.9, 9990], ['99.90', 9990], [0.1, 10], ['0.01', 1], [1e-7, 'too_many_decimals'], [0, 0],
    ['1.005', 'too_many_decimals'], [1.005, 'too_many_decimals'], [-1, 'negative'], ['-0.5', 'negative'], ['abc', 'not_a_number'],
    ['1e3', 'not_a_number'], [1e21, 'too_large'], ['', 'not_a_number'], [Number.NaN, 'not_a_number'], [Infinity, 'not_a_number'],
    [null, 'not_a_number'], [true, 'not_a_number'], ['99999999999999', 'too_large'],
  ] as [unknown, number | string][])('parses %j → %j', (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it('never goes through a float: every 2-decimal string round-trips exactly', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e12 }), (k) => {
      const text = formatMoney(k);
      expect(parseMoney(text)).toBe(k);
      expect(parseMoney(Number(text))).toBe(k);
    }));
  });
});

describe('quantity and item cost', () => {
  it.each([
    [1, 3, 1_000_000], [1.0, 3, 1_000_000], ['0.25', 3, 250_000], [2.125, 3, 2_125_000], [0.0001, 3, 'too_many_decimals'],
    ['1.500000', 3, 1_500_000], [0.123456, 6, 123_456], [0, 3, 'not_positive'], [-2, 3, 'not_positive'], ['x', 3, 'not_a_number'],
  ] as [unknown, number, number | string][])('parses %j with %i decimals → %j', (input, dec, expected) => {
    expect(parseQuantity(input, dec)).toBe(expected);
  });

  it('formats without trailing zeros', () => {
    expect(formatQuantity(1_000_000)).toBe('1');
    expect(formatQuantity(250_000)).toBe('0.25');
    expect(formatQuantity(2_125_000)).toBe('2.125');
  });

  it('rounds price × quantity half up to kopecks, exactly', () => {
    expect(lineCost(8990, 2_000_000)).toBe(17980);
    expect(lineCost(3333, 1_500_000)).toBe(5000); // 49.995 → 50.00
    expect(lineCost(1, 500_000)).toBe(1); // 0.005 → 0.01
    expect(lineCost(1, 499_999)).toBe(0);
    expect(lineCost(999_999_999_99, 9_999_000_000)).toBe(Number((99_999_999_999n * 9_999_000_000n + 500_000n) / 1_000_000n));
  });
});

describe('VAT (1199)', () => {
  it.each([
    [12000, 1, 2000], [11000, 2, 1000], [12000, 3, 2000], [11000, 4, 1000], [10000, 5, 0], [10000, 6, 0],
    [10500, 7, 500], [10700, 8, 700], [10500, 9, 500], [10700, 10, 700], [12200, 11, 2200], [12200, 12, 2200], [100, 1, 17],
  ] as [number, 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12, number][])('VAT of %i kopecks at rate %i is %i', (sum, rate, vat) => {
    expect(vatOf(sum, rate)).toBe(vat);
  });
});
