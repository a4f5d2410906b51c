/**
 * The two single-byte Cyrillic code pages of the protocol (domain.md §5.1): CP1251 in FR command
 * text fields (FF46 item name, table strings), CP866 inside TLV strings (FF0C/FF4D, FF3B).
 * Only ASCII, А–я, Ё/ё, №, and (CP1251) typographic quotes and dashes are mapped; CP866 writes those
 * as ASCII look-alikes; anything else becomes '?', as the device would print it.
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

/** Windows-1251: А–я contiguous at 0xC0–0xFF; the typographic quotes and dashes of Russian names too. */
const CP1251 = codePage([
  ...range(0xc0, 'А', 64), [0xa8, 'Ё'], [0xb8, 'ё'], [0xb9, '№'],
  [0xab, '«'], [0xbb, '»'], [0x93, '“'], [0x94, '”'], [0x84, '„'], [0x91, '‘'], [0x92, '’'], [0x96, '–'], [0x97, '—'], [0xa0, '\u00a0'],
]);
/** DOS 866: А–п at 0x80–0xAF, р–я at 0xE0–0xEF. */
const CP866 = codePage([...range(0x80, 'А', 48), ...range(0xe0, 'р', 16), [0xf0, 'Ё'], [0xf1, 'ё'], [0xfc, '№'], [0xff, '\u00a0']]);

/**
 * CP866 has no typographic quotes or dashes, yet company names are full of them (ООО «Ромашка»):
 * they go into the FN as their ASCII look-alikes, as the FN prints them, never as '?'.
 */
const CP866_LOOKALIKES: Readonly<Record<string, string>> = { '«': '"', '»': '"', '“': '"', '”': '"', '„': '"', '‘': "'", '’': "'", '–': '-', '—': '-' };

function encode(cp: CodePage, text: string, lookalikes: Readonly<Record<string, string>> = {}): Uint8Array {
  const out = new Uint8Array(text.length);
  let i = 0;
  for (const c of text) {
    const ch = lookalikes[c] ?? c;
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
export const encodeCp866 = (text: string): Uint8Array => encode(CP866, text, CP866_LOOKALIKES);
export const decodeCp866 = (bytes: Uint8Array): string => decode(CP866, bytes);

/** FR text fields are NUL-padded; the padding is not part of the value. */
export const stripNul = (bytes: Uint8Array): Uint8Array => {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
};
