import { isTaxSystem } from '../../domain/enums.js';
import type { OperationType } from '../../domain/enums.js';
import { FNS_JSON_WRAPPERS, type FiscalDocument, type FiscalDocumentKind } from '../driver.js';
import { FFD_TAGS, jsonNameOf, tagOfJsonName } from '../ffd/tags.js';
import { normalizeDateTime } from './datetime.js';
import { int, num, text } from './json-read.js';
import { kopecksToRubles, rublesToKopecks } from './money.js';
import { isObject } from './protocol.js';
import type { JsonObject } from './protocol.js';

/**
 * Reading a document back from the FN archive: the `getFnDocument` task
 * ({"type":"getFnDocument","fiscalDocumentNumber":N}) answers
 * {fiscalDocumentType, short, qr?, documentTLV}. We use it rather than fnQueryData-style tasks
 * because it is the one JSON task that addresses *any* FD by number (fnQueryData only reaches
 * the last receipt/document), which is what document(n) and the in-doubt check need.
 *
 * `documentTLV` is the decoded document keyed by tag number ("1040": 17). Money tags are rubles
 * like the rest of ATOL JSON; STLV tags (1059 items, 1174) are nested objects, repeated tags
 * arrays. This decoded layout is inferred from client code that reads `documentTLV`; the vendor
 * reference was not available, so keys that are not tag numbers are passed through unchanged.
 */

const KIND_TO_ATOL: Record<FiscalDocumentKind, string> = {
  registration: 'registration',
  openShift: 'openShift',
  receipt: 'receipt',
  correction: 'receiptCorrection',
  closeShift: 'closeShift',
  stateReport: 'ofdExchangeStatus',
  // LIBFPTR_FN_DOC_CLOSE_FN (json_getFnDocument.js of the driver's task scripts, as reproduced in
  // AlexanderYekat/atolexamplesjson).
  closeArchive: 'closeArchive',
};
const KIND_BY_ATOL = new Map<string, FiscalDocumentKind>([
  ...Object.entries(KIND_TO_ATOL).map(([k, v]) => [v, k as FiscalDocumentKind] as const),
  ['changeRegistrationParameters', 'registration'],
  ['bso', 'receipt'],
  ['bsoCorrection', 'correction'],
]);

type Convert = (money: boolean, v: unknown) => unknown;

/** Renames an object's keys level by level; `parent` is the STLV tag the object is the value of. */
type KeyMap = (key: string, parent: number | null) => { key: string; tag: number | null };

function mapKeys(o: JsonObject, key: KeyMap, conv: Convert, parent: number | null): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    const mapped = key(k, parent);
    const money = mapped.tag !== null && FFD_TAGS[mapped.tag]?.money === true;
    out[mapped.key] = mapValue(v, key, conv, money, mapped.tag);
  }
  return out;
}

function mapValue(v: unknown, key: KeyMap, conv: Convert, money: boolean, tag: number | null): unknown {
  if (Array.isArray(v)) return v.map((e) => mapValue(e, key, conv, money, tag));
  if (isObject(v)) return mapKeys(v, key, conv, tag);
  return conv(money, v);
}

const toTagKey: KeyMap = (k, parent) => {
  const tag = tagOfJsonName(k, parent);
  return tag === null ? { key: k, tag: null } : { key: String(tag), tag };
};
const toNameKey = (format: number): KeyMap => (k) => {
  const tag = /^\d+$/.test(k) ? Number(k) : null;
  return tag !== null && FFD_TAGS[tag] ? { key: jsonNameOf(tag, format), tag } : { key: k, tag: null };
};

/** FiscalDocument → getFnDocument result (the emulator's answer). */
export function fnDocumentResult(doc: FiscalDocument): JsonObject {
  const inner = Object.values(doc.json).find(isObject) ?? {};
  const tlv = mapKeys(inner, toTagKey, (money, v) => (money && typeof v === 'number' ? kopecksToRubles(v) : v), null);
  // The header tags are authoritative from the FN record itself.
  tlv['1040'] = doc.fdNumber;
  tlv['1012'] = doc.dateTime;
  tlv['1077'] = doc.fiscalSign;
  tlv['1038'] = doc.shiftNumber;
  if (doc.receiptInShift !== null) tlv['1042'] = doc.receiptInShift;
  if (doc.operationType !== null) tlv['1054'] = doc.operationType;
  if (doc.taxSystem !== null) tlv['1055'] = doc.taxSystem;
  if (doc.totalSum !== null) tlv['1020'] = kopecksToRubles(doc.totalSum);
  if (doc.buyerContact !== null) tlv['1008'] = doc.buyerContact;
  return { fiscalDocumentType: KIND_TO_ATOL[doc.kind], short: false, documentTLV: tlv };
}

const isOperationType = (n: number): n is OperationType => n === 1 || n === 2 || n === 3 || n === 4;

/** getFnDocument result → FiscalDocument (the driver's side). */
export function documentOfFnResult(result: JsonObject, offset: string): FiscalDocument {
  const kind = KIND_BY_ATOL.get(text(result, 'fiscalDocumentType')) ?? 'receipt';
  const tlvRaw = result.documentTLV;
  const tlv: JsonObject = isObject(tlvRaw) ? tlvRaw : {};
  const isReceipt = kind === 'receipt' || kind === 'correction';
  const op = int(tlv, '1054', 0);
  const tax = int(tlv, '1055', 0);
  const items = tlv['1059'];
  const format = int(tlv, '1209', 2);
  const json = mapKeys(tlv, toNameKey(format), (money, v) => (money && typeof v === 'number' ? rublesToKopecks(v) : v), null);
  const dateTime = normalizeDateTime(tlv['1012'], offset);
  return {
    fdNumber: int(tlv, '1040'),
    kind,
    dateTime,
    fiscalSign: text(tlv, '1077', ''),
    shiftNumber: int(tlv, '1038', 0),
    receiptInShift: isReceipt ? int(tlv, '1042', 0) : null,
    operationType: isReceipt && isOperationType(op) ? op : null,
    taxSystem: isTaxSystem(tax) ? tax : null,
    totalSum: isReceipt && tlv['1020'] !== undefined ? rublesToKopecks(num(tlv, '1020')) : null,
    buyerContact: typeof tlv['1008'] === 'string' ? tlv['1008'] : null,
    itemCount: isReceipt ? (Array.isArray(items) ? items.length : isObject(items) ? 1 : 0) : null,
    json: { [FNS_JSON_WRAPPERS[kind]]: json },
    // The JSON task API hands out the decoded tags only, never the FN's bytes.
    rawTlv: null,
  };
}
