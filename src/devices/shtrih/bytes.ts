/**
 * Little-endian number fields of the Shtrih protocol (domain.md §5.1): every integer on the wire is
 * LE, money is 5 bytes of kopecks, FF46 quantity is 6 bytes of millionths, passwords are 4 bytes.
 * Widths up to 6 bytes stay below 2^53, so plain numbers are exact.
 */

export function uintLE(value: number, width: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
    throw new RangeError(`${value} does not fit in ${width} unsigned bytes`);
  }
  const out = new Uint8Array(width);
  let v = value;
  for (let i = 0; i < width; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export function readUintLE(bytes: Uint8Array, offset: number, width: number): number {
  if (offset + width > bytes.length) throw new RangeError(`need ${width} bytes at ${offset}, have ${bytes.length - offset}`);
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

export const MONEY_WIDTH = 5;
export const QUANTITY6_WIDTH = 6;
/** FF46 sum / tax-sum fields set to FF×5 ask the device to compute the value itself. */
export const AUTO5 = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]);

export const money5 = (kopecks: number): Uint8Array => uintLE(kopecks, MONEY_WIDTH);
export const quantity6 = (micros: number): Uint8Array => uintLE(micros, QUANTITY6_WIDTH);
export const password4 = (password: number): Uint8Array => uintLE(password, 4);
export const u8 = (n: number): Uint8Array => uintLE(n, 1);
export const u16 = (n: number): Uint8Array => uintLE(n, 2);
export const u32 = (n: number): Uint8Array => uintLE(n, 4);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Left-justified fixed-width field padded with NUL (FR text fields) or another byte. */
export function padded(bytes: Uint8Array, width: number, pad = 0): Uint8Array {
  const out = new Uint8Array(width).fill(pad);
  out.set(bytes.subarray(0, width));
  return out;
}

/** Sequential reader over a response; throws RangeError on a short answer. */
export interface Cursor {
  readonly offset: number;
  readonly remaining: number;
  uint(width: number): number;
  bytes(width: number): Uint8Array;
  rest(): Uint8Array;
}

export function cursor(bytes: Uint8Array, start = 0): Cursor {
  let at = start;
  return {
    get offset() { return at; },
    get remaining() { return bytes.length - at; },
    uint(width) {
      const v = readUintLE(bytes, at, width);
      at += width;
      return v;
    },
    bytes(width) {
      if (at + width > bytes.length) throw new RangeError(`need ${width} bytes at ${at}, have ${bytes.length - at}`);
      const b = bytes.subarray(at, at + width);
      at += width;
      return b;
    },
    rest() {
      const b = bytes.subarray(at);
      at = bytes.length;
      return b;
    },
  };
}

export const isAuto5 = (b: Uint8Array): boolean => b.length === 5 && b.every((x) => x === 0xff);

export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
