/**
 * The two single-byte Cyrillic code pages of the protocol (domain.md §5.1): CP1251 in FR command
 * text fields (FF46 item name, table strings), CP866 inside TLV strings (FF0C/FF4D, FF3B).
 * Only ASCII, А–я, Ё/ё and № are mapped; anything else becomes '?', as the device would print it.
 */

type CodePage = { encode: Map<string, number>; decode: Map<number, string> };

function codePage(pairs: [number, string][]): CodePage {
  const encode = new Map<string, number>();
  const decode = new Map<number, string>();
  for (const [byte, ch] of pairs) {
    encode.set(ch, byte);
    decode.set(byte, ch);
  }
  return { encode, decode };
}

const range = (firstByte: number, firstChar: string, count: number): [number, string][] =>
  Array.from({ length: count }, (_, i) => [firstByte + i, String.fromCharCode(firstChar.charCodeAt(0) + i)]);

/** Windows-1251: А–я contiguous at 0xC0–0xFF. */
const CP1251 = codePage([...range(0xc0, 'А', 64), [0xa8, 'Ё'], [0xb8, 'ё'], [0xb9, '№']]);
/** DOS 866: А–п at 0x80–0xAF, р–я at 0xE0–0xEF. */
const CP866 = codePage([...range(0x80, 'А', 48), ...range(0xe0, 'р', 16), [0xf0, 'Ё'], [0xf1, 'ё'], [0xfc, '№']]);

function encode(cp: CodePage, text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let i = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out[i++] = code < 0x80 && ch.length === 1 ? code : (cp.encode.get(ch) ?? 0x3f);
  }
  return out.subarray(0, i);
}

function decode(cp: CodePage, bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : (cp.decode.get(b) ?? '?');
  return s;
}

export const encodeCp1251 = (text: string): Uint8Array => encode(CP1251, text);
export const decodeCp1251 = (bytes: Uint8Array): string => decode(CP1251, bytes);
export const encodeCp866 = (text: string): Uint8Array => encode(CP866, text);
export const decodeCp866 = (bytes: Uint8Array): string => decode(CP866, bytes);

/** FR text fields are NUL-padded; the padding is not part of the value. */
export const stripNul = (bytes: Uint8Array): Uint8Array => {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
};
