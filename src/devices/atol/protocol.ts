/**
 * The ATOL libfptr10 JSON task format and the ATOL Web Server v2 queue (domain.md §4).
 * Only the parts cr-server uses are typed; everything else passes through as plain JSON.
 *
 * Money in ATOL JSON is rubles as a double (e.g. 99.99); see money.ts for the only place
 * where it is converted to and from integer kopecks.
 */

export type JsonObject = { [key: string]: unknown };

/** Receipt task `type` values; the correction types are FFD 1.2 style (all four 1054 signs). */
export const RECEIPT_TASK_TYPES = [
  'sell',
  'sellReturn',
  'buy',
  'buyReturn',
  'sellCorrection',
  'sellReturnCorrection',
  'buyCorrection',
  'buyReturnCorrection',
] as const;
export type ReceiptTaskType = (typeof RECEIPT_TASK_TYPES)[number];
export const isReceiptTaskType = (s: unknown): s is ReceiptTaskType =>
  typeof s === 'string' && (RECEIPT_TASK_TYPES as readonly string[]).includes(s);

/** Non-fiscal and report tasks cr-server sends. */
export const OTHER_TASK_TYPES = [
  'openShift',
  'closeShift',
  // The report on closing the FN: {"type": "closeArchive", "operator"?: {name, vatin}, "electronically"?}
  // (json_closeArchive.js of the driver's task scripts, AlexanderYekat/atolexamplesjson).
  'closeArchive',
  'reportX',
  'getShiftStatus',
  'getShiftTotals',
  'getDeviceStatus',
  'getDeviceInfo',
  'getFnInfo',
  'getFnStatus',
  'getRegistrationInfo',
  'getLastFiscalParams',
  'getFnDocument',
  'ofdExchangeStatus',
  // FFD 1.2 marking (myscripts_marks.js, json_checkImcWorkState.js, json_ismExchangeStatus.js).
  'beginMarkingCodeValidation',
  'getMarkingCodeValidationStatus',
  'acceptMarkingCode',
  'declineMarkingCode',
  'cancelMarkingCodeValidation',
  'clearMarkingCodeValidationResult',
  'checkImcWorkState',
  'ismExchangeStatus',
] as const;
export type OtherTaskType = (typeof OTHER_TASK_TYPES)[number];
export type TaskType = ReceiptTaskType | OtherTaskType;
export const isTaskType = (s: unknown): s is TaskType =>
  isReceiptTaskType(s) || (typeof s === 'string' && (OTHER_TASK_TYPES as readonly string[]).includes(s));

/**
 * Tasks that make a fiscal document. The web server reads the FN's last FD number before each
 * of them so it can tell, after a lost connection, whether the document was made (§2.5).
 */
export const isFiscalTaskType = (t: TaskType): boolean => isReceiptTaskType(t) || t === 'openShift' || t === 'closeShift' || t === 'closeArchive';

export interface AtolOperator {
  /** 1021 */
  name: string;
  /** 1203 */
  vatin?: string;
}

export interface AtolPosition {
  type: 'position';
  /** 1030 */
  name: string;
  /** 1079, rubles */
  price: number;
  /** 1023 */
  quantity: number;
  /** 1043, rubles */
  amount: number;
  tax: { type: string; sum?: number };
  /** 1214 as the ATOL string */
  paymentMethod: string;
  /** 1212 as the ATOL string */
  paymentObject: string;
  /** FFD 1.05: free-text unit (1197); FFD 1.2: the 2108 enum string (`piece`, `kilogram`, ...) */
  measurementUnit?: string;
  /** A marked unit (FFD 1.2): the KKT writes 1163, 2102 and 2106 from it; 1291 as `itemFractionalAmount`. */
  imcParams?: AtolImcParams;
  /** 1163 of unmarked goods: exactly one key, the ATOL name of the sub-tag (1300–1325). */
  productCodes?: Record<string, string>;
  /** 1222 (`agents`) and 1223 (the other members). */
  agentInfo?: AtolAgentInfo;
  /** 1224 (name 1225, phones 1171) and 1226 (`vatin`). */
  supplierInfo?: AtolSupplierInfo;
  /** 1229, rubles */
  exciseSum?: number;
  /** 1230 */
  countryCode?: string;
  /** 1231 */
  customsDeclaration?: string;
  /** 1191 (the item's additional requisite; 1192 is a separate `additionalAttribute` element) */
  additionalAttribute?: string;
  /** 1260 */
  industryInfo?: AtolIndustryInfo[];
}

/** `items[].imcParams` (items.executePosition). */
export interface AtolImcParams {
  /** base64 of the code as scanned (2000 → 1163) */
  imc: string;
  /** 2100 name; `auto` lets the KKT recognise it */
  imcType: string;
  /** 2003 name */
  itemEstimatedStatus: string;
  /** 2102 */
  imcModeProcessing: number;
  /** 1291 as "n/d" */
  itemFractionalAmount?: string;
  /** 2106 of the accepted check, bit by bit */
  itemInfoCheckResult?: Record<string, boolean>;
}

export interface AtolAgentInfo {
  /** 1222 (item) / 1057 (receipt, FFD 1.05 only) as names of the bits */
  agents?: string[];
  /** 1044 operation, 1073 phones */
  payingAgent?: { operation?: string; phones?: string[] };
  /** 1074 phones */
  receivePaymentsOperator?: { phones: string[] };
  /** 1075 phones, 1026 name, 1005 address, 1016 INN */
  moneyTransferOperator?: { phones?: string[]; name?: string; address?: string; vatin?: string };
}

export interface AtolSupplierInfo {
  /** 1226 */
  vatin: string;
  /** 1225 */
  name?: string;
  /** 1171 */
  phones?: string[];
}

/** 1260 / 1261. `date` travels as "yyyy.mm.dd"; the script turns it into 1263's "dd.mm.yyyy". */
export interface AtolIndustryInfo {
  /** 1262 */
  fois: string;
  /** 1263 */
  date: string;
  /** 1264 */
  number: string;
  /** 1265 */
  industryAttribute: string;
}

/** 1084 as an `items[]` element (items.executeUserAttribute). */
export interface AtolUserAttribute {
  type: 'userAttribute';
  /** 1085 */
  name: string;
  /** 1086 */
  value: string;
}

/** 1192 as an `items[]` element (items.executeAdditionalAttribute). */
export interface AtolAdditionalAttribute {
  type: 'additionalAttribute';
  value: string;
}

export type AtolReceiptItem = AtolPosition | AtolUserAttribute | AtolAdditionalAttribute;

/** 1008, and in FFD 1.2 the 1256 members; FFD 1.05 writes `name` / `vatin` as 1227 / 1228. */
export interface AtolClientInfo {
  emailOrPhone?: string;
  /** 1227 */
  name?: string;
  /** 1228 */
  vatin?: string;
  /** 1243, "dd.mm.yyyy" */
  birthDate?: string;
  /** 1244 */
  citizenship?: string;
  /** 1245 */
  identityDocumentCode?: string;
  /** 1246 */
  identityDocumentData?: string;
  /** 1254 */
  address?: string;
}

/** 1270. `dateTime` (1273) travels as "yyyy.mm.dd HH:MM:SS", the register's local time. */
export interface AtolOperationInfo {
  /** 1271 */
  id: number;
  /** 1272 */
  data: string;
  dateTime: string;
}

export interface AtolPayment {
  /** cash / electronically / prepaid / credit / other */
  type: string;
  /** rubles */
  sum: number;
}

export interface AtolReceiptTask {
  type: ReceiptTaskType;
  /** 1055; omitted only when the KKT has a single system (we always send it). */
  taxationType: string;
  /** true: the receipt is not printed, only sent to the OFD and the buyer. */
  electronically: boolean;
  operator?: AtolOperator;
  /** 1008; FFD 1.2: 1256 */
  clientInfo?: AtolClientInfo;
  /** 1270 (FFD 1.2) */
  operationInfo?: AtolOperationInfo;
  /** 1261 (FFD 1.2) */
  industryInfo?: AtolIndustryInfo[];
  /** 1173: self / instruction */
  correctionType?: 'self' | 'instruction';
  /** 1178, "yyyy.mm.dd" */
  correctionBaseDate?: string;
  /** 1179 */
  correctionBaseNumber?: string;
  /** 1177 (FFD 1.05 only; ignored by 1.2 firmware) */
  correctionBaseName?: string;
  /** Positions, then 1084 and 1192 elements. */
  items: AtolReceiptItem[];
  payments: AtolPayment[];
  /** 1020, rubles */
  total: number;
}

/** `fiscalParams` of a receipt, correction or shift task result. */
export interface AtolFiscalParams {
  fiscalDocumentNumber: number;
  /** 1077 printed form, decimal string */
  fiscalDocumentSign: string;
  /** ISO-8601; the device's local time, with or without an offset depending on the firmware */
  fiscalDocumentDateTime: string;
  /** 1042, receipts only */
  fiscalReceiptNumber?: number;
  shiftNumber: number;
  fnNumber: string;
  registrationNumber: string;
  /** 1020 rubles, receipts only */
  total?: number;
  /** change given, rubles (cr-server reads it when present) */
  change?: number;
  fnsUrl?: string;
  receiptsCount?: number;
}

export const REQUEST_STATUSES = ['wait', 'inProgress', 'ready', 'error', 'interrupted', 'blocked', 'canceled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const isRequestStatus = (s: unknown): s is RequestStatus =>
  typeof s === 'string' && (REQUEST_STATUSES as readonly string[]).includes(s);
/** Statuses after which a subtask never changes again. `blocked` is not final: it resolves on reconnect. */
export const isFinalStatus = (s: RequestStatus): boolean => s === 'ready' || s === 'error' || s === 'interrupted' || s === 'canceled';

/** One entry of `GET /api/v2/requests/{uuid}` → `results[]`. */
export interface SubtaskResult {
  status: RequestStatus;
  errorCode: number;
  errorDescription: string;
  result: JsonObject | null;
}

export interface RequestResults {
  results: SubtaskResult[];
}

/** `POST /api/v2/requests` body. The web server also accepts a single task object as `request`. */
export interface SubmitBody {
  uuid: string;
  request: JsonObject[] | JsonObject;
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
