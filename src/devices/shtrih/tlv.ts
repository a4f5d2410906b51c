/**
 * FFD TLV primitives (domain.md §1.1): tag uint16 LE, length uint16 LE, value. Used by FF0C/FF4D
 * (host → device) and FF3B (device → host). Strings inside TLV are CP866.
 */
import { concat, readUintLE, u16, uintLE } from './bytes.js';
import { decodeCp866, encodeCp866 } from './text.js';

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

export const encodeTlv = (tag: number, value: Uint8Array): Uint8Array => {
  if (value.length > 0xffff) throw new RangeError(`TLV ${tag} too long`);
  return concat([u16(tag), u16(value.length), value]);
};

export const encodeTlvs = (list: readonly Tlv[]): Uint8Array => concat(list.map((t) => encodeTlv(t.tag, t.value)));

export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new RangeError(`truncated TLV header at ${at}`);
    const tag = readUintLE(bytes, at, 2);
    const len = readUintLE(bytes, at + 2, 2);
    if (at + 4 + len > bytes.length) throw new RangeError(`TLV ${tag} claims ${len} bytes, ${bytes.length - at - 4} left`);
    out.push({ tag, value: bytes.slice(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

/** VLN: LE unsigned with trailing zero bytes dropped (money tags, max 6 bytes). Zero is one 0x00 byte. */
export function vln(value: number): Uint8Array {
  const full = uintLE(value, 6);
  let len = 6;
  while (len > 1 && full[len - 1] === 0) len--;
  return full.subarray(0, len);
}
export const readVln = (b: Uint8Array): number => (b.length === 0 ? 0 : readUintLE(b, 0, b.length));

/** FVLN: byte 0 = digits after the point, then an LE integer (quantity 1023). */
export function fvlnFromMicros(micros: number): Uint8Array {
  let digits = 6;
  let mantissa = micros;
  while (digits > 0 && mantissa % 10 === 0) {
    mantissa /= 10;
    digits--;
  }
  return concat([new Uint8Array([digits]), vln(mantissa)]);
}
export function microsFromFvln(b: Uint8Array): number {
  const digits = b[0] ?? 0;
  const mantissa = readVln(b.subarray(1));
  return digits <= 6 ? mantissa * 10 ** (6 - digits) : Math.round(mantissa / 10 ** (digits - 6));
}

export const tlvString = (tag: number, text: string): Tlv => ({ tag, value: encodeCp866(text) });
export const tlvByte = (tag: number, n: number): Tlv => ({ tag, value: new Uint8Array([n]) });
export const tlvU32 = (tag: number, n: number): Tlv => ({ tag, value: uintLE(n, 4) });
export const tlvVln = (tag: number, n: number): Tlv => ({ tag, value: vln(n) });
export const tlvStlv = (tag: number, children: readonly Tlv[]): Tlv => ({ tag, value: encodeTlvs(children) });
export const tlvText = (t: Tlv): string => decodeCp866(t.value);
