/**
 * FFD tags the virtual FN writes (domain.md §1.2–§1.3), with their TLV type and FNS/OFD JSON name.
 * One table feeds the canonical TLV encoding (fiscal sign) and the JSON rendering.
 */
import { FNS_JSON_WRAPPERS } from '../driver.js';

export type TagType = 'byte' | 'u32' | 'unixtime' | 'vln' | 'fvln' | 'string' | 'stlv';

export interface TagSpec {
  type: TagType;
  json: string;
}

export const TAG = {
  buyerContact: 1008,
  address: 1009,
  dateTime: 1012,
  kktSerial: 1013,
  ofdInn: 1017,
  userInn: 1018,
  total: 1020,
  operator: 1021,
  quantity: 1023,
  itemName: 1030,
  cash: 1031,
  rnm: 1037,
  shiftNumber: 1038,
  fdNumber: 1040,
  fnSerial: 1041,
  receiptInShift: 1042,
  itemSum: 1043,
  ofdName: 1046,
  user: 1048,
  fnExhaustionSign: 1050,
  fnReplaceUrgentSign: 1051,
  fnMemoryFullSign: 1052,
  ofdTimeoutSign: 1053,
  operationType: 1054,
  taxSystem: 1055,
  item: 1059,
  fnsSite: 1060,
  taxSystems: 1062,
  fiscalSign: 1077,
  price: 1079,
  electronic: 1081,
  unsentCount: 1097,
  unsentFirstDate: 1098,
  vat20Sum: 1102,
  vat10Sum: 1103,
  vat0Turnover: 1104,
  noVatTurnover: 1105,
  vat120Sum: 1106,
  vat110Sum: 1107,
  shiftFdCount: 1111,
  unsentFirstNumber: 1116,
  shiftReceiptCount: 1118,
  correctionType: 1173,
  correctionBase: 1174,
  correctionName: 1177,
  correctionDate: 1178,
  correctionNumber: 1179,
  place: 1187,
  kktFfdVersion: 1189,
  fnFfdVersion: 1190,
  receiptProperty: 1192,
  unit: 1197,
  vatRate: 1199,
  itemVat: 1200,
  operatorInn: 1203,
  ffdVersion: 1209,
  paymentObject: 1212,
  paymentMethod: 1214,
  prepaid: 1215,
  credit: 1216,
  provision: 1217,
  measure: 2108,
} as const;

export const TAG_SPECS: Readonly<Record<number, TagSpec>> = {
  1008: { type: 'string', json: 'buyerPhoneOrAddress' },
  1009: { type: 'string', json: 'retailPlaceAddress' },
  1012: { type: 'unixtime', json: 'dateTime' },
  1013: { type: 'string', json: 'kktNumber' },
  1017: { type: 'string', json: 'ofdInn' },
  1018: { type: 'string', json: 'userInn' },
  1020: { type: 'vln', json: 'totalSum' },
  1021: { type: 'string', json: 'operator' },
  1023: { type: 'fvln', json: 'quantity' },
  1030: { type: 'string', json: 'name' },
  1031: { type: 'vln', json: 'cashTotalSum' },
  1037: { type: 'string', json: 'kktRegId' },
  1038: { type: 'u32', json: 'shiftNumber' },
  1040: { type: 'u32', json: 'fiscalDocumentNumber' },
  1041: { type: 'string', json: 'fiscalDriveNumber' },
  1042: { type: 'u32', json: 'requestNumber' },
  1043: { type: 'vln', json: 'sum' },
  1046: { type: 'string', json: 'ofdName' },
  1048: { type: 'string', json: 'user' },
  1050: { type: 'byte', json: 'fiscalDriveExhaustionSign' },
  1051: { type: 'byte', json: 'fiscalDriveReplaceRequiredSign' },
  1052: { type: 'byte', json: 'fiscalDriveMemoryExceededSign' },
  1053: { type: 'byte', json: 'ofdResponseTimeoutSign' },
  1054: { type: 'byte', json: 'operationType' },
  // 1.05 JSON says taxationType, 1.2 says appliedTaxationType; ofd-json.ts switches on 1209.
  1055: { type: 'byte', json: 'taxationType' },
  1059: { type: 'stlv', json: 'items' },
  1060: { type: 'string', json: 'fnsUrl' },
  1062: { type: 'byte', json: 'taxationType' },
  1077: { type: 'vln', json: 'fiscalSign' },
  1079: { type: 'vln', json: 'price' },
  1081: { type: 'vln', json: 'ecashTotalSum' },
  1097: { type: 'u32', json: 'notTransmittedDocumentsQuantity' },
  1098: { type: 'unixtime', json: 'notTransmittedDocumentsDateTime' },
  // The JSON names still say 18 % although the rate is 20 % since 2019.
  1102: { type: 'vln', json: 'nds18' },
  1103: { type: 'vln', json: 'nds10' },
  1104: { type: 'vln', json: 'nds0' },
  1105: { type: 'vln', json: 'ndsNo' },
  1106: { type: 'vln', json: 'ndsCalculated18' },
  1107: { type: 'vln', json: 'ndsCalculated10' },
  1111: { type: 'u32', json: 'documentsQuantity' },
  1116: { type: 'u32', json: 'notTransmittedDocumentNumber' },
  1118: { type: 'u32', json: 'receiptsQuantity' },
  1173: { type: 'byte', json: 'correctionType' },
  1174: { type: 'stlv', json: 'correctionBase' },
  1177: { type: 'string', json: 'correctionName' },
  1178: { type: 'unixtime', json: 'correctionDocumentDate' },
  1179: { type: 'string', json: 'correctionDocumentNumber' },
  1187: { type: 'string', json: 'retailPlace' },
  1189: { type: 'byte', json: 'documentKktVersion' },
  1190: { type: 'byte', json: 'documentFnVersion' },
  1192: { type: 'string', json: 'propertiesData' },
  1197: { type: 'string', json: 'unit' },
  1199: { type: 'byte', json: 'nds' },
  1200: { type: 'vln', json: 'ndsSum' },
  1203: { type: 'string', json: 'operatorInn' },
  1209: { type: 'byte', json: 'fiscalDocumentFormatVer' },
  1212: { type: 'byte', json: 'productType' },
  1214: { type: 'byte', json: 'paymentType' },
  1215: { type: 'vln', json: 'prepaidSum' },
  1216: { type: 'vln', json: 'creditSum' },
  1217: { type: 'vln', json: 'provisionSum' },
  2108: { type: 'byte', json: 'itemsQuantityMeasure' },
};

/** Fiscal document (container) codes, domain.md §1.1. */
export const DOC_CODES = {
  registration: 1,
  openShift: 2,
  stateReport: 21,
  receipt: 3,
  correction: 31,
  closeShift: 5,
} as const;
export type DocKind = keyof typeof DOC_CODES;
export type DocCode = (typeof DOC_CODES)[DocKind];

/** Wrapper keys of the FNS/OFD JSON by document code (the one table lives in driver.ts). */
export const DOC_JSON_KEYS: Record<DocCode, string> = {
  1: FNS_JSON_WRAPPERS.registration,
  2: FNS_JSON_WRAPPERS.openShift,
  21: FNS_JSON_WRAPPERS.stateReport,
  3: FNS_JSON_WRAPPERS.receipt,
  31: FNS_JSON_WRAPPERS.correction,
  5: FNS_JSON_WRAPPERS.closeShift,
};

export function docKindOf(code: DocCode): DocKind {
  switch (code) {
    case 1: return 'registration';
    case 2: return 'openShift';
    case 21: return 'stateReport';
    case 3: return 'receipt';
    case 31: return 'correction';
    case 5: return 'closeShift';
  }
}

export const isDocCode = (n: number): n is DocCode => n in DOC_JSON_KEYS;
