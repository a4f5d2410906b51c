/**
 * The only place where cr-server money (integer kopecks) meets ATOL JSON money (rubles as a
 * double). Never add or multiply the ruble doubles: convert first.
 */

/** Kopecks → rubles for the wire. 1999 → 19.99; the division gives the closest double to the decimal. */
export function kopecksToRubles(kopecks: number): number {
  if (!Number.isSafeInteger(kopecks)) throw new RangeError(`not an integer number of kopecks: ${kopecks}`);
  return kopecks / 100;
}

/**
 * Rubles from the wire → kopecks. Math.round absorbs the binary representation error
 * (0.1 + 0.2 = 0.30000000000000004 → 30; 299.97 * 100 = 29996.999999999996 → 29997).
 */
export function rublesToKopecks(rubles: number): number {
  if (!Number.isFinite(rubles)) throw new RangeError(`not a money amount: ${rubles}`);
  const k = Math.round(rubles * 100);
  // Math.round(-0.5) is -0; keep the result a plain integer.
  return k === 0 ? 0 : k;
}

/** Quantity: millionths (tag 1023 FVLN with up to 6 decimals) → the double ATOL expects. */
export const microsToQuantity = (micros: number): number => micros / 1_000_000;
export const quantityToMicros = (q: number): number => Math.round(q * 1_000_000);
