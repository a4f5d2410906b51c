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
] as const;
export type OtherTaskType = (typeof OTHER_TASK_TYPES)[number];
export type TaskType = ReceiptTaskType | OtherTaskType;
export const isTaskType = (s: unknown): s is TaskType =>
  isReceiptTaskType(s) || (typeof s === 'string' && (OTHER_TASK_TYPES as readonly string[]).includes(s));

/**
 * Tasks that make a fiscal document. The web server reads the FN's last FD number before each
 * of them so it can tell, after a lost connection, whether the document was made (§2.5).
 */
export const isFiscalTaskType = (t: TaskType): boolean => isReceiptTaskType(t) || t === 'openShift' || t === 'closeShift';

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
  /** 1008 */
  clientInfo?: { emailOrPhone: string };
  /** 1173: self / instruction */
  correctionType?: 'self' | 'instruction';
  /** 1178, "yyyy.mm.dd" */
  correctionBaseDate?: string;
  /** 1179 */
  correctionBaseNumber?: string;
  /** 1177 (FFD 1.05 only; ignored by 1.2 firmware) */
  correctionBaseName?: string;
  /** 1192 additional receipt property; cr-server puts the mistaken receipt number here. */
  additionalAttribute?: string;
  items: AtolPosition[];
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
