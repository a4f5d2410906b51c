/**
 * FFD TLV ↔ FNS/OFD JSON for the documents the protocol carries: the driver turns the TLV that
 * FF3A/FF3B hand out into the `json` of a FiscalDocument. Names and types are the one table in
 * ../ffd/tags.ts; tags outside it are skipped.
 */
import { parseUtcOffset } from '../fiscal-core/datetime.js';
import { fnsJsonBody } from '../ffd/fns-json.js';
import { decodeEntries, fiscalSignBytes, printedFiscalSign, tagNumber } from '../ffd/tag-list.js';
import { FFD_TAGS, tagOfJsonName } from '../ffd/tags.js';
import { wallIsoWithOffset, wallSecondsOfIso } from '../ffd/wall-time.js';
import { uintLE } from './bytes.js';
import { encodeTlvs, fvlnFromMicros, vln } from './tlv.js';
import type { Tlv } from './tlv.js';
import { encodeCp866 } from './text.js';

/** UnixTime tags hold the register's wall clock (ffd/wall-time.ts); the protocol has no zone. */
export interface TimeContext {
  /** Minutes east of UTC of the device clock, e.g. 180 for +03:00. */
  offsetMinutes: number;
}

const FISCAL_SIGN = 1077;

function encodeValue(tag: number, value: unknown, tc: TimeContext, format: number): Uint8Array | null {
  const spec = FFD_TAGS[tag];
  if (!spec) return null;
  if (tag === FISCAL_SIGN) {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    return Number.isSafeInteger(n) ? fiscalSignTlvValue(n) : null;
  }
  switch (spec.type) {
    case 'byte': return typeof value === 'number' ? new Uint8Array([value & 0xff]) : null;
    case 'u32': return typeof value === 'number' ? uintLE(value, 4) : null;
    case 'vln': return typeof value === 'number' && value >= 0 ? vln(value) : null;
    case 'fvln': return typeof value === 'number' ? fvlnFromMicros(Math.round(value * 1_000_000)) : null;
    case 'string': return typeof value === 'string' ? encodeCp866(value) : null;
    case 'unixtime': {
      const sec = typeof value === 'number' ? value : typeof value === 'string' ? wallSecondsOfIso(value, tc.offsetMinutes) : null;
      return sec === null || !Number.isFinite(sec) ? null : uintLE(sec, 4);
    }
    case 'stlv': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
      // 1163 in FNS JSON: {"gs1m": {"rawProductCode": …, "gtin": …}}; the TLV keeps the code only.
      if (tag === 1163) {
        const codes = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'object' && v !== null ? (v as Record<string, unknown>).rawProductCode : v] as const);
        return encodeTlvs(objectToTlvs(Object.fromEntries(codes), tag, tc, format));
      }
      return encodeTlvs(objectToTlvs(value as Record<string, unknown>, tag, tc, format));
    }
  }
}

function objectToTlvs(obj: Record<string, unknown>, parent: number | null, tc: TimeContext, format: number, registration = false): Tlv[] {
  const out: Tlv[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const tag = tagOfJsonName(key, parent, registration);
    if (tag === null || value === null || value === undefined) continue;
    const values = FFD_TAGS[tag]?.repeated && Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      const encoded = encodeValue(tag, v, tc, format);
      if (encoded) out.push({ tag, value: encoded });
    }
  }
  return out;
}

const formatOf = (body: Record<string, unknown>): number =>
  typeof body.fiscalDocumentFormatVer === 'number' ? body.fiscalDocumentFormatVer : 2;

/** JSON document body (the object inside the `{"receipt": …}` wrapper) → TLV list. */
export const jsonToTlvs = (body: Record<string, unknown>, tc: TimeContext, registration = false): Tlv[] =>
  objectToTlvs(body, null, tc, formatOf(body), registration);

/** TLV list → FNS JSON body, names by the document's format version (1209); one renderer for every driver (ffd/fns-json.ts). */
export function tlvsToJson(list: readonly Tlv[]): Record<string, unknown> {
  const tags = decodeEntries(list);
  return fnsJsonBody(tags, tagNumber(tags, 1209) ?? 2);
}

/** 1077 is 6 bytes; the printed FP is bytes 3..6 read big-endian (docs/domain.md §3). */
export const fiscalSignTlvValue = (printed: number): Uint8Array => new Uint8Array(fiscalSignBytes(printed));
export { printedFiscalSign };

/** "+03:00" or "+0300" → minutes east of UTC. */
export const parseOffset = (text: string): number => parseUtcOffset(text.trim().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2'));

/** Wall-clock seconds of an ISO date-time (NaN when it is not one); see ffd/wall-time.ts. */
export const isoToWallSeconds = (iso: string, tc: TimeContext): number => wallSecondsOfIso(iso, tc.offsetMinutes) ?? NaN;

/** Wall-clock seconds of the device → ISO-8601 with the device's offset. */
export const wallSecondsToIso = (wallSeconds: number, tc: TimeContext): string => wallIsoWithOffset(wallSeconds, tc.offsetMinutes);
