import type { Measure } from './enums.js';
import { lookupTable } from './lookup.js';

/**
 * The free-text unit of FFD 1.05 (tag 1197, the API's `quantity_unit`) mapped to the FFD 1.2
 * measure (tag 2108), so the same request works on both FFD versions. No unit → piece (0);
 * unknown text → other units (255), and the text itself still goes to 1197 on 1.05 devices.
 */
const UNITS: Readonly<Record<string, Measure>> = lookupTable({
  'шт': 0, 'шт.': 0, pcs: 0, piece: 0, pc: 0,
  'г': 10, 'гр': 10, g: 10, gram: 10,
  'кг': 11, kg: 11, kilogram: 11,
  'т': 12, t: 12, ton: 12,
  'см': 20, cm: 20, 'дм': 21, dm: 21, 'м': 22, m: 22,
  'см2': 30, 'дм2': 31, 'м2': 32, 'кв.м': 32, m2: 32,
  'мл': 40, ml: 40, 'л': 41, l: 41, 'м3': 42, m3: 42,
  'квт*ч': 50, 'квт·ч': 50, kwh: 50, 'гкал': 51,
  'сут': 70, 'день': 70, day: 70, 'ч': 71, 'час': 71, hour: 71, 'мин': 72, min: 72, 'с': 73, 'сек': 73, s: 73,
  'кб': 80, kb: 80, 'мб': 81, mb: 81, 'гб': 82, gb: 82, 'тб': 83, tb: 83,
});

export function measureFromUnit(unit: string | null): Measure {
  if (unit === null) return 0;
  return UNITS[unit.trim().toLowerCase()] ?? 255;
}

/** Measures of goods sold by weight or volume: quantity may carry up to 6 decimals (FVLN 1023). */
export const WEIGHED_MEASURES: ReadonlySet<number> = new Set([10, 11, 12, 40, 41, 42, 50, 51]);
