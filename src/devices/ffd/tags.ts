/**
 * The one table of FFD tags cr-server reads or writes: TLV type, FNS JSON name per format version,
 * whether the value is money, and which tags an STLV holds. The virtual FN (fiscal-core), the
 * Shtrih-M TLV ↔ JSON mapping and the ATOL `documentTLV` mapping all read their names from here.
 *
 * Names follow the JSON the FNS receipt-check service exports and the OFD protocol tables
 * (docs/domain.md §1.2 lists the sources). Where the 1.2 JSON renamed a tag, `json12` holds the new
 * name; the 1.05 name stays readable (see `tagOfJsonName`).
 */

export type FfdTagType = 'byte' | 'u32' | 'unixtime' | 'vln' | 'fvln' | 'string' | 'stlv';

export interface FfdTagSpec {
  type: FfdTagType;
  /** FNS JSON name (FFD 1.05, and 1.2 unless `json12` says otherwise). */
  json: string;
  /** FNS JSON name in FFD 1.2 documents, when it differs. */
  json12?: string;
  /** VLN kopecks (FNS JSON keeps kopecks, ATOL JSON rubles). */
  money?: boolean;
  /** The STLV repeats without a wrapper (1059 items, 1119 VAT lines): a JSON array. */
  repeated?: boolean;
  /** Member tags of an STLV. */
  children?: readonly number[];
}

const ITEM_CHILDREN = [
  1030, 1079, 1023, 1043, 1199, 1200, 1197, 2108, 1212, 1214, 1191,
  // FFD 1.2: product code, marking check, fractional quantity, agent, supplier, excise, origin, customs, industry.
  1163, 2102, 2106, 2115, 1291, 1222, 1223, 1224, 1226, 1229, 1230, 1231, 1260,
] as const;
const PRODUCT_CODE_CHILDREN = [1300, 1301, 1302, 1303, 1304, 1305, 1306, 1307, 1308, 1309, 1320, 1321, 1322, 1323, 1324, 1325] as const;
const INDUSTRY_CHILDREN = [1262, 1263, 1264, 1265] as const;
/** Sum counters of one settlement sign (1129–1132, 1145/1146/1232/1233). */
const OPERATION_COUNTER = [1135, 1201, 1136, 1138, 1218, 1219, 1220, 1139, 1140, 1141, 1142, 1143, 1183] as const;
/** 1194 shift counters and 1157 FN counters. */
const SUM_COUNTERS = [1134, 1129, 1130, 1131, 1132, 1133] as const;

export const FFD_TAGS: Readonly<Record<number, FfdTagSpec>> = {
  1001: { type: 'byte', json: 'autoMode' },
  1002: { type: 'byte', json: 'offlineMode' },
  1008: { type: 'string', json: 'buyerPhoneOrAddress' },
  1009: { type: 'string', json: 'retailPlaceAddress' },
  1012: { type: 'unixtime', json: 'dateTime' },
  1013: { type: 'string', json: 'kktNumber' },
  1017: { type: 'string', json: 'ofdInn' },
  1018: { type: 'string', json: 'userInn' },
  1020: { type: 'vln', json: 'totalSum', money: true },
  1021: { type: 'string', json: 'operator' },
  1023: { type: 'fvln', json: 'quantity' },
  1030: { type: 'string', json: 'name' },
  1031: { type: 'vln', json: 'cashTotalSum', money: true },
  1036: { type: 'string', json: 'machineNumber' },
  1037: { type: 'string', json: 'kktRegId' },
  1038: { type: 'u32', json: 'shiftNumber' },
  1040: { type: 'u32', json: 'fiscalDocumentNumber' },
  1041: { type: 'string', json: 'fiscalDriveNumber' },
  1042: { type: 'u32', json: 'requestNumber' },
  1043: { type: 'vln', json: 'sum', money: true },
  1046: { type: 'string', json: 'ofdName' },
  1048: { type: 'string', json: 'user' },
  1050: { type: 'byte', json: 'fiscalDriveExhaustionSign' },
  1051: { type: 'byte', json: 'fiscalDriveReplaceRequiredSign' },
  1052: { type: 'byte', json: 'fiscalDriveMemoryExceededSign' },
  1053: { type: 'byte', json: 'ofdResponseTimeoutSign' },
  1054: { type: 'byte', json: 'operationType' },
  1055: { type: 'byte', json: 'taxationType', json12: 'appliedTaxationType' },
  1056: { type: 'byte', json: 'encryptionSign' },
  1057: { type: 'byte', json: 'paymentAgentType' },
  1059: { type: 'stlv', json: 'items', repeated: true, children: ITEM_CHILDREN },
  1060: { type: 'string', json: 'fnsUrl' },
  // 1062 (registered set, registration report) shares its JSON name with 1.05's 1055.
  1062: { type: 'byte', json: 'taxationType' },
  1077: { type: 'vln', json: 'fiscalSign' },
  1079: { type: 'vln', json: 'price', money: true },
  1081: { type: 'vln', json: 'ecashTotalSum', money: true },
  1097: { type: 'u32', json: 'notTransmittedDocumentsQuantity' },
  1098: { type: 'unixtime', json: 'notTransmittedDocumentsDateTime' },
  // The names still say 18 % although the rate is 20 % since 2019; 1.2 renamed the calculated ones.
  1102: { type: 'vln', json: 'nds18', money: true },
  1103: { type: 'vln', json: 'nds10', money: true },
  1104: { type: 'vln', json: 'nds0', money: true },
  1105: { type: 'vln', json: 'ndsNo', money: true },
  1106: { type: 'vln', json: 'ndsCalculated18', json12: 'nds18118', money: true },
  1107: { type: 'vln', json: 'ndsCalculated10', json12: 'nds10110', money: true },
  1108: { type: 'byte', json: 'internetSign' },
  1109: { type: 'byte', json: 'serviceSign' },
  1110: { type: 'byte', json: 'bsoSign' },
  1111: { type: 'u32', json: 'documentsQuantity' },
  // Sum counters (FFD 1.2 close-shift and state reports); names as the FNS JSON of 1.2 has them.
  1129: { type: 'stlv', json: 'sellOper', children: OPERATION_COUNTER },
  1130: { type: 'stlv', json: 'sellReturnOper', children: OPERATION_COUNTER },
  1131: { type: 'stlv', json: 'buyOper', children: OPERATION_COUNTER },
  1132: { type: 'stlv', json: 'buyReturnOper', children: OPERATION_COUNTER },
  1133: { type: 'stlv', json: 'receiptCorrection', children: [1144, 1145, 1232, 1146, 1233] },
  1134: { type: 'u32', json: 'totalReceiptBsoCount' },
  1135: { type: 'u32', json: 'receiptBsoCount' },
  1136: { type: 'vln', json: 'cashSum', money: true },
  1138: { type: 'vln', json: 'ecashSum', money: true },
  1139: { type: 'vln', json: 'tax18Sum', money: true },
  1140: { type: 'vln', json: 'tax10Sum', money: true },
  1141: { type: 'vln', json: 'tax18118Sum', money: true },
  1142: { type: 'vln', json: 'tax10110Sum', money: true },
  1143: { type: 'vln', json: 'tax0Sum', money: true },
  1144: { type: 'u32', json: 'receiptCorrectionCount' },
  1145: { type: 'stlv', json: 'sellCorrection', children: OPERATION_COUNTER },
  1146: { type: 'stlv', json: 'buyCorrection', children: OPERATION_COUNTER },
  1157: { type: 'stlv', json: 'fiscalDriveSumReports', children: SUM_COUNTERS },
  1183: { type: 'vln', json: 'taxFreeSum', money: true },
  1194: { type: 'stlv', json: 'shiftSumReports', children: SUM_COUNTERS },
  1201: { type: 'vln', json: 'totalSum', money: true },
  1213: { type: 'u32', json: 'fdKeyResource' },
  1218: { type: 'vln', json: 'prepaidSum', money: true },
  1219: { type: 'vln', json: 'creditSum', money: true },
  1220: { type: 'vln', json: 'provisionSum', money: true },
  1232: { type: 'stlv', json: 'sellReturnCorrection', children: OPERATION_COUNTER },
  1233: { type: 'stlv', json: 'buyReturnCorrection', children: OPERATION_COUNTER },
  1115: { type: 'stlv', json: 'amountsReceiptNds', children: [1119] },
  1116: { type: 'u32', json: 'notTransmittedDocumentNumber' },
  1117: { type: 'string', json: 'sellerAddress' },
  1118: { type: 'u32', json: 'receiptQuantity' },
  1119: { type: 'stlv', json: 'amountsNds', repeated: true, children: [1199, 1120] },
  1120: { type: 'vln', json: 'ndsSum', money: true },
  1173: { type: 'byte', json: 'correctionType' },
  1174: { type: 'stlv', json: 'correctionBase', children: [1177, 1178, 1179] },
  1177: { type: 'string', json: 'correctionName' },
  1178: { type: 'unixtime', json: 'correctionDocumentDate' },
  1179: { type: 'string', json: 'correctionDocumentNumber' },
  1187: { type: 'string', json: 'retailPlace' },
  1188: { type: 'string', json: 'kktVersion' },
  1189: { type: 'byte', json: 'documentKktVersion' },
  1190: { type: 'byte', json: 'documentFdVersion' },
  1191: { type: 'string', json: 'propertiesItem' },
  1192: { type: 'string', json: 'propertiesData' },
  1197: { type: 'string', json: 'unit' },
  1199: { type: 'byte', json: 'nds' },
  1200: { type: 'vln', json: 'ndsSum', money: true },
  1203: { type: 'string', json: 'operatorInn' },
  1209: { type: 'byte', json: 'fiscalDocumentFormatVer' },
  1212: { type: 'byte', json: 'productType' },
  1214: { type: 'byte', json: 'paymentType' },
  1215: { type: 'vln', json: 'prepaidSum', money: true },
  1216: { type: 'vln', json: 'creditSum', money: true },
  1217: { type: 'vln', json: 'provisionSum', money: true },
  1221: { type: 'byte', json: 'printInMachineSign' },
  2108: { type: 'byte', json: 'itemsQuantityMeasure' },
  // FFD 1.2 item and receipt content (docs/domain.md §1.8): names as the FNS JSON of 1.2 has them.
  1005: { type: 'string', json: 'transferOperatorAddress' },
  1016: { type: 'string', json: 'transferOperatorInn' },
  1026: { type: 'string', json: 'transferOperatorName' },
  1044: { type: 'string', json: 'paymentAgentOperation' },
  1073: { type: 'string', json: 'paymentAgentPhone', repeated: true },
  1074: { type: 'string', json: 'paymentOperatorPhone', repeated: true },
  1075: { type: 'string', json: 'transferOperatorPhone', repeated: true },
  1084: { type: 'stlv', json: 'properties', children: [1085, 1086] },
  1085: { type: 'string', json: 'propertyName' },
  1086: { type: 'string', json: 'propertyValue' },
  1163: { type: 'stlv', json: 'productCodeNew', children: PRODUCT_CODE_CHILDREN },
  1171: { type: 'string', json: 'providerPhone', repeated: true },
  1222: { type: 'byte', json: 'paymentAgentByProductType' },
  1223: { type: 'stlv', json: 'paymentAgentData', children: [1044, 1073, 1074, 1075, 1026, 1005, 1016] },
  1224: { type: 'stlv', json: 'providerData', children: [1171, 1225] },
  1225: { type: 'string', json: 'providerName' },
  1226: { type: 'string', json: 'providerInn' },
  1227: { type: 'string', json: 'buyer' },
  1228: { type: 'string', json: 'buyerInn' },
  1229: { type: 'vln', json: 'exciseDuty', money: true },
  1230: { type: 'string', json: 'originCountryCode' },
  1231: { type: 'string', json: 'customEntryNum' },
  1243: { type: 'string', json: 'buyerBirthday' },
  1244: { type: 'string', json: 'buyerCitizenship' },
  1245: { type: 'string', json: 'buyerDocumentCode' },
  1246: { type: 'string', json: 'buyerDocumentData' },
  1254: { type: 'string', json: 'buyerAddress' },
  1256: { type: 'stlv', json: 'buyerInformation', children: [1227, 1228, 1243, 1244, 1245, 1246, 1254] },
  1260: { type: 'stlv', json: 'itemsIndustryDetails', repeated: true, children: INDUSTRY_CHILDREN },
  1261: { type: 'stlv', json: 'industryReceiptDetails', repeated: true, children: INDUSTRY_CHILDREN },
  1262: { type: 'string', json: 'idFoiv' },
  1263: { type: 'string', json: 'foundationDocDateTime' },
  1264: { type: 'string', json: 'foundationDocNumber' },
  1265: { type: 'string', json: 'industryPropValue' },
  1270: { type: 'stlv', json: 'operationalDetails', children: [1271, 1272, 1273] },
  1271: { type: 'byte', json: 'operationId' },
  1272: { type: 'string', json: 'operationData' },
  1273: { type: 'unixtime', json: 'dateTime' },
  1291: { type: 'stlv', json: 'labeledProdFractionalQuantity', children: [1292, 1293, 1294] },
  1292: { type: 'string', json: 'fractionalPart' },
  1293: { type: 'vln', json: 'numerator' },
  1294: { type: 'vln', json: 'denominator' },
  1300: { type: 'string', json: 'undefined' },
  1301: { type: 'string', json: 'ean8' },
  1302: { type: 'string', json: 'ean13' },
  1303: { type: 'string', json: 'itf14' },
  1304: { type: 'string', json: 'gs1' },
  1305: { type: 'string', json: 'gs1m' },
  1306: { type: 'string', json: 'kmk' },
  1307: { type: 'string', json: 'mi' },
  1308: { type: 'string', json: 'egais2' },
  1309: { type: 'string', json: 'egais3' },
  1320: { type: 'string', json: 'f1' },
  1321: { type: 'string', json: 'f2' },
  1322: { type: 'string', json: 'f3' },
  1323: { type: 'string', json: 'f4' },
  1324: { type: 'string', json: 'f5' },
  1325: { type: 'string', json: 'f6' },
  2102: { type: 'byte', json: 'labelCodeProcesMode' },
  2104: { type: 'u32', json: 'undeliveredNotificationsNumber' },
  2106: { type: 'byte', json: 'checkingProdInformationResult' },
  2107: { type: 'byte', json: 'checkingLabeledProdResult' },
  2112: { type: 'byte', json: 'invalidLabelCodesSign' },
  2113: { type: 'byte', json: 'invalidRequestsNotificationsSign' },
  2115: { type: 'string', json: 'controlCode' },
};

/** 1209 value of FFD 1.2 (2 is 1.05). */
export const FFD12_FORMAT = 4;

/** The JSON name of `tag` in a document of format `format` (1209); unknown tags keep their number. */
export function jsonNameOf(tag: number, format: number): string {
  const spec = FFD_TAGS[tag];
  if (!spec) return String(tag);
  return format >= FFD12_FORMAT && spec.json12 !== undefined ? spec.json12 : spec.json;
}

const TOP_LEVEL = Object.keys(FFD_TAGS).map(Number).filter((t) => !childTags().has(t));

function childTags(): Set<number> {
  const out = new Set<number>();
  for (const spec of Object.values(FFD_TAGS)) for (const c of spec.children ?? []) out.add(c);
  return out;
}

/**
 * The tag a JSON key stands for inside `parent` (null: the document body). Names are ambiguous
 * across levels (1200 and 1120 are both `ndsSum`; 1062 and 1.05's 1055 are both `taxationType`),
 * so members of the parent STLV win, then document-level tags. `registration` picks 1062 for
 * `taxationType`, as only registration reports carry the registered set.
 */
export function tagOfJsonName(name: string, parent: number | null, registration = false): number | null {
  if (name === 'taxationType' && parent === null) return registration ? 1062 : 1055;
  const candidates = parent === null ? TOP_LEVEL : (FFD_TAGS[parent]?.children ?? []);
  for (const tag of candidates) {
    const spec = FFD_TAGS[tag];
    if (spec && (spec.json === name || spec.json12 === name)) return tag;
  }
  if (/^\d+$/.test(name)) return Number(name);
  return null;
}
