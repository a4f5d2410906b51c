// The byte-level primitives (VLN, FVLN, CP866) are the Shtrih-M wire's, which is the FN's own.
import { decodeCp866, encodeCp866 } from '../shtrih/text.js';
import { decodeTlvs, fvlnFromMicros, microsFromFvln, readVln, vln } from '../shtrih/tlv.js';
import { FFD_TAGS } from './tags.js';
import type { FfdTagType } from './tags.js';

/**
 * A fiscal document in FFD form: an ordered list of (tag, value). STLV values are nested lists and
 * repeated tags (several 1059) are repeated entries, as on the FN wire (domain.md §1.1).
 * Money is kopecks, 1023 quantity is millionths, UnixTime tags are the register's local wall-clock
 * time written as if it were UTC (docs/domain.md §1.1), 1077 is the printed fiscal sign.
 */
export type TagValue = number | string | TagList;
export type TagEntry = readonly [tag: number, value: TagValue];
export type TagList = readonly TagEntry[];

// Indexed loops, not `find(([t]) => …)`: destructuring an entry runs the array iterator, and the
// virtual FN looks up ~20 tags of every document it closes (e2e allocation profile: a fifth of all
// bytes the server allocated per receipt went to these iterators).
export function tagValue(tags: TagList, tag: number): TagValue | undefined {
  for (let i = 0; i < tags.length; i++) {
    const e = tags[i] as TagEntry;
    if (e[0] === tag) return e[1];
  }
  return undefined;
}

export function tagNumber(tags: TagList, tag: number): number | null {
  const v = tagValue(tags, tag);
  return typeof v === 'number' ? v : null;
}

export function tagString(tags: TagList, tag: number): string | null {
  const v = tagValue(tags, tag);
  return typeof v === 'string' ? v : null;
}

export function tagLists(tags: TagList, tag: number): TagList[] {
  const out: TagList[] = [];
  for (let i = 0; i < tags.length; i++) {
    const e = tags[i] as TagEntry;
    if (e[0] === tag && Array.isArray(e[1])) out.push(e[1] as TagList);
  }
  return out;
}

/** The list with every UnixTime value (nested ones too) passed through `fn`. */
export function mapUnixTimes(tags: TagList, fn: (seconds: number) => number): TagList {
  return tags.map(([tag, value]): TagEntry => {
    if (Array.isArray(value)) return [tag, mapUnixTimes(value as TagList, fn)];
    if (FFD_TAGS[tag]?.type === 'unixtime' && typeof value === 'number') return [tag, fn(value)];
    return [tag, value];
  });
}

/** Runtime check for tag lists read back from the store (JSON). */
export function isTagList(v: unknown): v is TagList {
  return (
    Array.isArray(v) &&
    v.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 2 &&
        typeof e[0] === 'number' &&
        (typeof e[1] === 'number' || typeof e[1] === 'string' || isTagList(e[1])),
    )
  );
}

// The TLV length field is uint16 (domain.md §1.1); real FN documents are capped at 32 KB anyway.
const MAX_TLV_LENGTH = 0xffff;

export class TlvEncodingError extends Error {
  override readonly name = 'TlvEncodingError';
}

export interface TlvEncoding {
  /**
   * `utf8`: the canonical bytes the emulator's fiscal sign covers (stable since the first release,
   * never to change). `fn`: the bytes as an FN stores them: strings in CP866 and 1077 as the
   * 6-byte fiscal sign whose last 4 bytes are the printed number (docs/domain.md §3).
   */
  form: 'utf8' | 'fn';
}

/** TLV bytes: tag u16 LE, length u16 LE, value by the tag's type (docs/domain.md §1.1). */
export function encodeTlv(tags: TagList, encoding: TlvEncoding = { form: 'utf8' }): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < tags.length; i++) {
    const tag = (tags[i] as TagEntry)[0];
    const value = (tags[i] as TagEntry)[1];
    const spec = FFD_TAGS[tag];
    const type: FfdTagType = spec?.type ?? (Array.isArray(value) ? 'stlv' : typeof value === 'string' ? 'string' : 'vln');
    const body = encoding.form === 'fn' && tag === FISCAL_SIGN_TAG ? fnFiscalSign(value) : encodeValue(type, value, tag, encoding);
    if (body.length > MAX_TLV_LENGTH) throw new TlvEncodingError(`tag ${tag} is longer than ${MAX_TLV_LENGTH} bytes`);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(tag, 0);
    header.writeUInt16LE(body.length, 2);
    parts.push(header, body);
  }
  return Buffer.concat(parts);
}

const FISCAL_SIGN_TAG = 1077;

const fnFiscalSign = (value: TagValue): Buffer => fiscalSignBytes(uint(value, FISCAL_SIGN_TAG, 0xffffffff));

/** 1077 as the FN stores it: 6 bytes, the printed number in the last 4, big-endian (docs/domain.md §3). */
export function fiscalSignBytes(printed: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt32BE(printed >>> 0, 2);
  return out;
}

function encodeValue(type: FfdTagType, value: TagValue, tag: number, encoding: TlvEncoding): Buffer {
  switch (type) {
    case 'stlv':
      if (!Array.isArray(value)) throw new TlvEncodingError(`tag ${tag} must be STLV`);
      return encodeTlv(value as TagList, encoding);
    case 'string':
      if (typeof value !== 'string') throw new TlvEncodingError(`tag ${tag} must be a string`);
      return encoding.form === 'fn' ? Buffer.from(encodeCp866(value)) : Buffer.from(value, 'utf8');
    case 'byte':
      return Buffer.from([uint(value, tag, 0xff)]);
    case 'u32':
    case 'unixtime': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(uint(value, tag, 0xffffffff));
      return b;
    }
    case 'vln':
      return Buffer.from(vln(uint(value, tag, 2 ** 48 - 1)));
    case 'fvln':
      return Buffer.from(fvlnFromMicros(uint(value, tag, 2 ** 48 - 1)));
  }
}

function uint(value: TagValue, tag: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new TlvEncodingError(`tag ${tag}: ${String(value)} is not an unsigned integer ≤ ${max}`);
  }
  return value;
}

/**
 * FN bytes → tag list (the inverse of `encodeTlv(…, { form: 'fn' })`): CP866 strings, 1077 as the
 * printed fiscal sign, quantities in millionths. Tags outside the table keep a number when they
 * are at most 6 bytes, else their bytes as hex, so nothing the FN wrote is silently dropped.
 */
export const decodeTlv = (bytes: Uint8Array): TagList => decodeEntries(decodeTlvs(bytes));

/** Already split TLVs → tag list (see decodeTlv). */
export function decodeEntries(list: readonly { tag: number; value: Uint8Array }[]): TagList {
  const out: TagEntry[] = [];
  for (const { tag, value } of list) {
    const type = FFD_TAGS[tag]?.type;
    if (tag === FISCAL_SIGN_TAG) out.push([tag, printedFiscalSign(value)]);
    else if (type === 'stlv') out.push([tag, decodeTlv(value)]);
    else if (type === 'string') out.push([tag, decodeCp866(value)]);
    else if (type === 'byte') out.push([tag, value[0] ?? 0]);
    else if (type === 'fvln') out.push([tag, microsFromFvln(value)]);
    else if (type !== undefined || value.length <= 6) out.push([tag, readVln(value)]);
    else out.push([tag, Buffer.from(value).toString('hex')]);
  }
  return out;
}

/** 1077 is 6 bytes; the printed FP is its last 4 bytes read big-endian (docs/domain.md §3). */
export function printedFiscalSign(value: Uint8Array): number {
  if (value.length <= 4) return readVln(value);
  return new DataView(value.buffer, value.byteOffset + value.length - 4, 4).getUint32(0, false);
}
