import { describe, expect, it } from 'vitest';
import { AUTO5, concat, cursor, isAuto5, money5, padded, password4, quantity6, readUintLE, uintLE } from './bytes.js';
import { decodeCp1251, decodeCp866, encodeCp1251, encodeCp866, stripNul } from './text.js';
import fc from 'fast-check';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('little-endian numbers', () => {
  it('money is 5 bytes of kopecks', () => {
    expect(money5(123_456)).toEqual(bytes(0x40, 0xe2, 0x01, 0, 0));
    expect(money5(0xff_ffff_ffff)).toEqual(bytes(0xff, 0xff, 0xff, 0xff, 0xff));
    expect(() => money5(2 ** 40)).toThrow(RangeError);
    expect(() => money5(-1)).toThrow(RangeError);
  });

  it('FF46 quantity is 6 bytes of millionths', () => {
    expect(quantity6(1_500_000)).toEqual(bytes(0x60, 0xe3, 0x16, 0, 0, 0));
  });

  it('the default system administrator password 30 is 1E 00 00 00', () => {
    expect(password4(30)).toEqual(bytes(0x1e, 0, 0, 0));
  });

  it('reads back what it writes for every width up to 6 (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (width, n) => {
      const v = n % 2 ** (8 * width);
      expect(readUintLE(uintLE(v, width), 0, width)).toBe(v);
    }));
  });

  it('cursor reads fields in order and refuses short answers', () => {
    const c = cursor(concat([bytes(7), money5(500), bytes(1, 2)]));
    expect(c.uint(1)).toBe(7);
    expect(c.uint(5)).toBe(500);
    expect(c.remaining).toBe(2);
    expect(() => c.uint(4)).toThrow(RangeError);
  });

  it('FF×5 means "device computes"', () => {
    expect(isAuto5(AUTO5)).toBe(true);
    expect(isAuto5(money5(1))).toBe(false);
    expect(padded(bytes(1, 2), 4)).toEqual(bytes(1, 2, 0, 0));
  });
});

describe('Cyrillic code pages', () => {
  it('CP1251 for FR text', () => {
    expect(encodeCp1251('Привет')).toEqual(bytes(0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2));
    expect(encodeCp1251('Ёё№ A1')).toEqual(bytes(0xa8, 0xb8, 0xb9, 0x20, 0x41, 0x31));
    expect(decodeCp1251(bytes(0xc0, 0xff))).toBe('Ая');
  });

  it('CP866 for TLV strings', () => {
    expect(encodeCp866('Привет')).toEqual(bytes(0x8f, 0xe0, 0xa8, 0xa2, 0xa5, 0xe2));
    expect(encodeCp866('Ёё№')).toEqual(bytes(0xf0, 0xf1, 0xfc));
    expect(decodeCp866(bytes(0x80, 0xaf, 0xe0, 0xef))).toBe('Апря');
  });

  it('unmapped characters become "?"', () => {
    expect(encodeCp1251('€')).toEqual(bytes(0x3f));
    expect(encodeCp866('😀')).toEqual(bytes(0x3f));
  });

  it('round-trips Russian text (property)', () => {
    const alphabet = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя№ 0123456789.,-"abcXYZ';
    fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), (chars) => {
      const s = chars.join('');
      expect(decodeCp1251(encodeCp1251(s))).toBe(s);
      expect(decodeCp866(encodeCp866(s))).toBe(s);
    }));
  });

  it('strips NUL padding', () => {
    expect(stripNul(bytes(0x41, 0, 0))).toEqual(bytes(0x41));
  });
});
