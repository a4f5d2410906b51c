import { isTaxSystem } from '../../domain/enums.js';
import type { OperationType } from '../../domain/enums.js';
import { FNS_JSON_WRAPPERS, type FiscalDocument, type FiscalDocumentKind } from '../driver.js';
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

/** FNS/OFD JSON names ↔ tags, and which ones are money (kopecks in FNS JSON, rubles in ATOL JSON). */
const TAGS: readonly (readonly [number, string, boolean])[] = [
  [1008, 'buyerPhoneOrAddress', false], [1009, 'retailPlaceAddress', false], [1012, 'dateTime', false],
  [1013, 'kktNumber', false], [1017, 'ofdInn', false], [1018, 'userInn', false], [1020, 'totalSum', true],
  [1021, 'operator', false], [1023, 'quantity', false], [1030, 'name', false], [1031, 'cashTotalSum', true],
  [1037, 'kktRegId', false], [1038, 'shiftNumber', false], [1040, 'fiscalDocumentNumber', false],
  [1041, 'fiscalDriveNumber', false], [1042, 'requestNumber', false], [1043, 'sum', true], [1046, 'ofdName', false],
  [1048, 'user', false], [1054, 'operationType', false], [1055, 'taxationType', false], [1059, 'items', false],
  [1060, 'fnsUrl', false], [1062, 'taxationTypes', false], [1077, 'fiscalSign', false], [1079, 'price', true],
  [1081, 'ecashTotalSum', true], [1097, 'notTransmittedDocumentsQuantity', false],
  [1098, 'notTransmittedDocumentsDateTime', false], [1102, 'nds18', true], [1103, 'nds10', true], [1104, 'nds0', true],
  [1105, 'ndsNo', true], [1106, 'ndsCalculated18', true], [1107, 'ndsCalculated10', true], [1111, 'documentsQuantity', false],
  [1116, 'notTransmittedDocumentNumber', false], [1117, 'sellerAddress', false], [1118, 'receiptsQuantity', false],
  [1173, 'correctionType', false], [1174, 'correctionBase', false], [1177, 'correctionName', false],
  [1178, 'correctionDocumentDate', false], [1179, 'correctionDocumentNumber', false], [1187, 'retailPlace', false],
  [1192, 'propertiesData', false], [1197, 'unit', false], [1199, 'nds', false], [1200, 'ndsSum', true],
  [1203, 'operatorInn', false], [1209, 'fiscalDocumentFormatVer', false], [1212, 'productType', false],
  [1214, 'paymentType', false], [1215, 'prepaidSum', true], [1216, 'creditSum', true], [1217, 'provisionSum', true],
  [2108, 'itemsQuantityMeasure', false],
];
const BY_TAG = new Map(TAGS.map(([tag, name, money]) => [String(tag), { name, money }]));
/** FFD 1.2 JSON calls 1055 `appliedTaxationType`. */
const BY_NAME = new Map([...TAGS.map(([tag, name, money]) => [name, { tag: String(tag), money }] as const), ['appliedTaxationType', { tag: '1055', money: false }] as const]);

const KIND_TO_ATOL: Record<FiscalDocumentKind, string> = {
  registration: 'registration',
  openShift: 'openShift',
  receipt: 'receipt',
  correction: 'receiptCorrection',
  closeShift: 'closeShift',
  stateReport: 'ofdExchangeStatus',
};
const KIND_BY_ATOL = new Map<string, FiscalDocumentKind>([
  ...Object.entries(KIND_TO_ATOL).map(([k, v]) => [v, k as FiscalDocumentKind] as const),
  ['changeRegistrationParameters', 'registration'],
  ['bso', 'receipt'],
  ['bsoCorrection', 'correction'],
]);

type Convert = (money: boolean, v: unknown) => unknown;

function mapKeys(o: JsonObject, key: (k: string) => { key: string; money: boolean }, conv: Convert): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    const { key: nk, money } = key(k);
    out[nk] = mapValue(v, key, conv, money);
  }
  return out;
}

function mapValue(v: unknown, key: (k: string) => { key: string; money: boolean }, conv: Convert, money: boolean): unknown {
  if (Array.isArray(v)) return v.map((e) => mapValue(e, key, conv, money));
  if (isObject(v)) return mapKeys(v, key, conv);
  return conv(money, v);
}

const toTagKey = (k: string): { key: string; money: boolean } => {
  const t = BY_NAME.get(k);
  return t ? { key: t.tag, money: t.money } : { key: k, money: false };
};
const toNameKey = (k: string): { key: string; money: boolean } => {
  const t = BY_TAG.get(k);
  return t ? { key: t.name, money: t.money } : { key: k, money: false };
};

/** FiscalDocument → getFnDocument result (the emulator's answer). */
export function fnDocumentResult(doc: FiscalDocument): JsonObject {
  const inner = Object.values(doc.json).find(isObject) ?? {};
  const tlv = mapKeys(inner, toTagKey, (money, v) => (money && typeof v === 'number' ? kopecksToRubles(v) : v));
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
  const json = mapKeys(tlv, toNameKey, (money, v) => (money && typeof v === 'number' ? rublesToKopecks(v) : v));
  const dateTime = normalizeDateTime(tlv['1012'], offset);
  json.dateTime = dateTime;
  if (json.taxationType !== undefined && json.fiscalDocumentFormatVer === 4) {
    json.appliedTaxationType = json.taxationType;
    delete json.taxationType;
  }
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
  };
}
