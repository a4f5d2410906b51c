/**
 * Names for the FFD tags the virtual FN writes. Their TLV types and FNS JSON names are the one
 * table in ../ffd/tags.ts.
 */
import { FNS_JSON_WRAPPERS } from '../driver.js';

export const TAG = {
  autoMode: 1001,
  offlineMode: 1002,
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
  machineNumber: 1036,
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
  encryptionSign: 1056,
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
  internetSign: 1108,
  serviceSign: 1109,
  bsoSign: 1110,
  shiftFdCount: 1111,
  fnSums: 1157,
  shiftSums: 1194,
  keyResource: 1213,
  receiptVat: 1115,
  unsentFirstNumber: 1116,
  shiftReceiptCount: 1118,
  receiptVatLine: 1119,
  receiptVatLineSum: 1120,
  correctionType: 1173,
  correctionBase: 1174,
  correctionName: 1177,
  correctionDate: 1178,
  correctionNumber: 1179,
  place: 1187,
  kktVersion: 1188,
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
  printerInMachine: 1221,
  measure: 2108,
  unconfirmedNotifications: 2104,
  invalidCodesSign: 2112,
  invalidRequestsSign: 2113,
} as const;

/** Fiscal document (container) codes, domain.md §1.1. */
export const DOC_CODES = {
  registration: 1,
  openShift: 2,
  stateReport: 21,
  receipt: 3,
  correction: 31,
  closeShift: 5,
  /** The report on closing the FN (its archive): the FN's last fiscal document. */
  closeArchive: 6,
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
  6: FNS_JSON_WRAPPERS.closeArchive,
};

export function docKindOf(code: DocCode): DocKind {
  switch (code) {
    case 1: return 'registration';
    case 2: return 'openShift';
    case 21: return 'stateReport';
    case 3: return 'receipt';
    case 31: return 'correction';
    case 5: return 'closeShift';
    case 6: return 'closeArchive';
  }
}

export const isDocCode = (n: number): n is DocCode => n in DOC_JSON_KEYS;
