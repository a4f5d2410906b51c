/**
 * FFD TLV ↔ FNS/OFD JSON (camelCase names of domain.md §1.2–§1.3) for the documents the protocol
 * carries: the emulator serves a stored document as TLV through FF3A/FF3B, the driver turns that TLV
 * back into the `json` of a FiscalDocument. Only the tags below are mapped; others are skipped.
 */
import { readUintLE, uintLE } from './bytes.js';
import { decodeTlvs, encodeTlvs, fvlnFromMicros, microsFromFvln, readVln, vln } from './tlv.js';
import type { Tlv } from './tlv.js';
import { decodeCp866, encodeCp866 } from './text.js';

type TagType = 'byte' | 'u32' | 'vln' | 'fvln' | 'string' | 'unixtime' | 'fsign' | 'stlv';

interface TagDef {
  name: string;
  type: TagType;
  /** Repeated without a wrapper (1059): a JSON array. */
  repeated?: boolean;
  children?: Readonly<Record<number, TagDef>>;
}

const ITEM_TAGS: Readonly<Record<number, TagDef>> = {
  1030: { name: 'name', type: 'string' },
  1079: { name: 'price', type: 'vln' },
  1023: { name: 'quantity', type: 'fvln' },
  1043: { name: 'sum', type: 'vln' },
  1199: { name: 'nds', type: 'byte' },
  1200: { name: 'ndsSum', type: 'vln' },
  1197: { name: 'unit', type: 'string' },
  2108: { name: 'itemsQuantityMeasure', type: 'byte' },
  1212: { name: 'productType', type: 'byte' },
  1214: { name: 'paymentType', type: 'byte' },
  1191: { name: 'propertiesItem', type: 'string' },
};

const CORRECTION_BASE_TAGS: Readonly<Record<number, TagDef>> = {
  1177: { name: 'correctionName', type: 'string' },
  1178: { name: 'correctionDocumentDate', type: 'unixtime' },
  1179: { name: 'correctionDocumentNumber', type: 'string' },
};

export const DOCUMENT_TAGS: Readonly<Record<number, TagDef>> = {
  1008: { name: 'buyerPhoneOrAddress', type: 'string' },
  1009: { name: 'retailPlaceAddress', type: 'string' },
  1012: { name: 'dateTime', type: 'unixtime' },
  1013: { name: 'kktNumber', type: 'string' },
  1017: { name: 'ofdInn', type: 'string' },
  1018: { name: 'userInn', type: 'string' },
  1020: { name: 'totalSum', type: 'vln' },
  1021: { name: 'operator', type: 'string' },
  1031: { name: 'cashTotalSum', type: 'vln' },
  1037: { name: 'kktRegId', type: 'string' },
  1038: { name: 'shiftNumber', type: 'u32' },
  1040: { name: 'fiscalDocumentNumber', type: 'u32' },
  1041: { name: 'fiscalDriveNumber', type: 'string' },
  1042: { name: 'requestNumber', type: 'u32' },
  1046: { name: 'ofdName', type: 'string' },
  1048: { name: 'user', type: 'string' },
  1054: { name: 'operationType', type: 'byte' },
  1055: { name: 'taxationType', type: 'byte' },
  1059: { name: 'items', type: 'stlv', repeated: true, children: ITEM_TAGS },
  1060: { name: 'fnsUrl', type: 'string' },
  /** 1062 (registration) shares its JSON name with 1055; see jsonToTlvs. */
  1062: { name: 'taxationType', type: 'byte' },
  1077: { name: 'fiscalSign', type: 'fsign' },
  1081: { name: 'ecashTotalSum', type: 'vln' },
  1050: { name: 'fiscalDriveExhaustionSign', type: 'byte' },
  1051: { name: 'fiscalDriveReplaceRequiredSign', type: 'byte' },
  1052: { name: 'fiscalDriveMemoryExceededSign', type: 'byte' },
  1053: { name: 'ofdResponseTimeoutSign', type: 'byte' },
  1097: { name: 'notTransmittedDocumentsQuantity', type: 'u32' },
  1098: { name: 'notTransmittedDocumentsDateTime', type: 'unixtime' },
  1116: { name: 'notTransmittedDocumentNumber', type: 'u32' },
  1189: { name: 'documentKktVersion', type: 'byte' },
  1190: { name: 'documentFnVersion', type: 'byte' },
  1102: { name: 'nds18', type: 'vln' },
  1103: { name: 'nds10', type: 'vln' },
  1104: { name: 'nds0', type: 'vln' },
  1105: { name: 'ndsNo', type: 'vln' },
  1106: { name: 'ndsCalculated18', type: 'vln' },
  1107: { name: 'ndsCalculated10', type: 'vln' },
  1111: { name: 'documentsQuantity', type: 'u32' },
  1117: { name: 'sellerAddress', type: 'string' },
  1118: { name: 'receiptsQuantity', type: 'u32' },
  1173: { name: 'correctionType', type: 'byte' },
  1174: { name: 'correctionBase', type: 'stlv', children: CORRECTION_BASE_TAGS },
  1187: { name: 'retailPlace', type: 'string' },
  1192: { name: 'propertiesData', type: 'string' },
  1203: { name: 'operatorInn', type: 'string' },
  1209: { name: 'fiscalDocumentFormatVer', type: 'byte' },
  1215: { name: 'prepaidSum', type: 'vln' },
  1216: { name: 'creditSum', type: 'vln' },
  1217: { name: 'provisionSum', type: 'vln' },
};

/** JSON names that mean the same tag (1055 is `appliedTaxationType` in the 1.2 JSON). */
const NAME_ALIASES: Readonly<Record<string, number>> = { appliedTaxationType: 1055 };

/** UnixTime tags hold local wall-clock time as if it were UTC (domain.md §1.1, unconfirmed [K]). */
export interface TimeContext {
  /** Minutes east of UTC of the device clock, e.g. 180 for +03:00. */
  offsetMinutes: number;
}

function encodeValue(def: TagDef, value: unknown, tc: TimeContext): Uint8Array | null {
  switch (def.type) {
    case 'byte': return typeof value === 'number' ? new Uint8Array([value & 0xff]) : null;
    case 'u32': return typeof value === 'number' ? uintLE(value, 4) : null;
    case 'vln': return typeof value === 'number' && value >= 0 ? vln(value) : null;
    case 'fvln': return typeof value === 'number' ? fvlnFromMicros(Math.round(value * 1_000_000)) : null;
    case 'string': return typeof value === 'string' ? encodeCp866(value) : null;
    case 'unixtime': {
      const sec = typeof value === 'number' ? value
        : typeof value === 'string' ? isoToWallSeconds(value, tc) : null;
      return sec === null || !Number.isFinite(sec) ? null : uintLE(sec, 4);
    }
    case 'fsign': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      return Number.isSafeInteger(n) ? fiscalSignTlvValue(n) : null;
    }
    case 'stlv': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
      return encodeTlvs(objectToTlvs(value as Record<string, unknown>, def.children ?? {}, tc));
    }
  }
}

function decodeValue(def: TagDef, value: Uint8Array, tc: TimeContext): unknown {
  switch (def.type) {
    case 'byte': return value[0] ?? 0;
    case 'u32': return readVln(value);
    case 'vln': return readVln(value);
    case 'fvln': return microsFromFvln(value) / 1_000_000;
    case 'string': return decodeCp866(value);
    // As the FNS export: unix seconds (the device's wall clock, see TimeContext).
    case 'unixtime': return readVln(value);
    case 'fsign': return printedFiscalSign(value);
    case 'stlv': return tlvsToObject(decodeTlvs(value), def.children ?? {}, tc);
  }
}

function objectToTlvs(obj: Record<string, unknown>, dict: Readonly<Record<number, TagDef>>, tc: TimeContext, registration = false): Tlv[] {
  const byName = new Map<string, [number, TagDef]>();
  for (const [tag, def] of Object.entries(dict)) {
    // `taxationType` is 1062 (the registered set) in registration reports, 1055 everywhere else.
    if (Number(tag) === (registration ? 1055 : 1062)) continue;
    byName.set(def.name, [Number(tag), def]);
  }
  const out: Tlv[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const alias = NAME_ALIASES[key];
    const entry = byName.get(key) ?? (alias !== undefined && dict[alias] ? [alias, dict[alias]] as [number, TagDef] : undefined);
    if (!entry || value === null || value === undefined) continue;
    const [tag, def] = entry;
    const values = def.repeated && Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      const encoded = encodeValue(def, v, tc);
      if (encoded) out.push({ tag, value: encoded });
    }
  }
  return out;
}

function tlvsToObject(list: readonly Tlv[], dict: Readonly<Record<number, TagDef>>, tc: TimeContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of list) {
    const def = dict[t.tag];
    if (!def) continue;
    const v = decodeValue(def, t.value, tc);
    if (def.repeated) {
      const arr = (out[def.name] as unknown[] | undefined) ?? [];
      arr.push(v);
      out[def.name] = arr;
    } else {
      out[def.name] = v;
    }
  }
  return out;
}

/** JSON document body (the object inside the `{"receipt": …}` wrapper) → TLV list. */
export const jsonToTlvs = (body: Record<string, unknown>, tc: TimeContext, registration = false): Tlv[] =>
  objectToTlvs(body, DOCUMENT_TAGS, tc, registration);
export const tlvsToJson = (list: readonly Tlv[], tc: TimeContext): Record<string, unknown> => tlvsToObject(list, DOCUMENT_TAGS, tc);

/** 1077 is 6 bytes; the printed FP is bytes 3..6 read big-endian (domain.md §3). */
export function fiscalSignTlvValue(printed: number): Uint8Array {
  const out = new Uint8Array(6);
  new DataView(out.buffer).setUint32(2, printed >>> 0, false);
  return out;
}
export function printedFiscalSign(value: Uint8Array): number {
  if (value.length <= 4) return readUintLE(value, 0, value.length);
  return new DataView(value.buffer, value.byteOffset + value.length - 4, 4).getUint32(0, false);
}

export function parseOffset(text: string): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!m) throw new RangeError(`bad UTC offset ${text}`);
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export const isoToWallSeconds = (iso: string, tc: TimeContext): number =>
  Math.floor(Date.parse(iso) / 1000) + tc.offsetMinutes * 60;

/** Wall-clock seconds of the device → ISO-8601 with the device's offset. */
export function wallSecondsToIso(wallSeconds: number, tc: TimeContext): string {
  const d = new Date(wallSeconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${formatOffset(tc.offsetMinutes)}`;
}
