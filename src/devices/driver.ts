import type { TObject } from 'typebox';
import type { Logger } from 'pino';
import type { FfdVersion, OperationType, TaxSystem } from '../domain/enums.js';
import type { Cashier, FiscalReceipt } from '../domain/receipt.js';
import type { MarkingCheckRequest, MarkingCheckResult } from '../domain/ffd12.js';

export type { MarkingCheckRequest, MarkingCheckResult } from '../domain/ffd12.js';
import { ERROR_CODES, type DeviceErrorCode } from '../domain/error-codes.js';

export type { DeviceErrorCode } from '../domain/error-codes.js';

/**
 * The one interface every fiscal register driver implements (emulator, atol, shtrih).
 * A driver talks to exactly one device and is called by exactly one worker at a time, so
 * implementations need no internal locking. One contract test suite
 * (test/contract/fiscal-driver-contract.ts) runs against every driver and checks each obligation
 * stated here that the device worker relies on.
 *
 * Errors: every failure is a DeviceError whose `kind` says what reached the FN —
 * 'offline': nothing did (the call may be repeated as it is); 'rejected': the device refused and
 * made no document; 'in_doubt': a document may or may not exist (only `register`, `openShift`,
 * `closeShift`, `xReport` and `closeArchive` may end so). The worker's whole exactly-once protocol rests on a
 * driver never calling an outcome 'offline' or 'rejected' when the FN may have closed a document.
 */
export interface FiscalDriver {
  /** The driver model (the registry key), not the device's own model name. */
  readonly model: string;
  /**
   * Connects; throws DeviceError('offline') when the device cannot be reached. May be called again
   * after `close()` or after any failure: the worker reopens after every offline error and timeout.
   */
  open(): Promise<void>;
  /** Drops the connection. Never throws for a connection already gone; safe to call twice. */
  close(): Promise<void>;
  /**
   * A read: makes no document. `lastFdNumber` is the same number `lastFdNumber()` returns at that
   * moment (1040 of the last document the FN closed, of any kind, shift reports included); the
   * worker records it before a receipt and compares it after a lost answer.
   */
  status(): Promise<DeviceStatus>;
  /**
   * Registration data read from the device (tags 1037, 1041, 1018, 1048, 1046, 1017, ...). A read.
   * `fnSerial` identifies the FN: the worker refuses to drive an FN with the serial it knows but a
   * counter behind the documents its receipts own (a restored or foreign FN memory).
   */
  registrationInfo(): Promise<RegistrationInfo>;
  /** Makes one open-shift document; 'rejected' / 'shift_already_open' when a shift is open. */
  openShift(cashier: Cashier | null): Promise<ShiftDocument>;
  /** Z-report: one close-shift document; 'rejected' / 'shift_closed' when no shift is open. */
  closeShift(cashier: Cashier | null): Promise<ShiftDocument>;
  /** X-report; counted in `lastFdNumber` only when the device makes a document for it (`fdNumber`). */
  xReport(): Promise<XReport>;
  /**
   * Closes the FN archive («закрытие архива ФН», the end of the FN's fiscal mode): one document of
   * type 6, the report on closing the FN (FNS JSON `closeArchive`: 1040, 1077, 1012, 1037, 1041),
   * which joins the OFD outbox like any other. 'rejected' / 'shift_already_open' while a shift is
   * open. Afterwards the FN refuses every fiscal document with 'fn_archive_closed' and
   * `status().fn.phase` is 'closed'; the register needs a new FN and a re-registration.
   * Present only on drivers whose device can do it (`DriverFactory.capabilities.closeArchive`).
   * Calls `DriverContext.checkFence()` right before the step that sends the command to the FN.
   */
  closeArchive?(cashier: Cashier | null): Promise<ArchiveCloseDocument>;
  /**
   * Registers one receipt or correction receipt: on success the FN holds exactly one new receipt
   * document (two when `autoOpenShift` opened the shift first), `FiscalResult.fdNumber` is its
   * number and `lastFdNumber()` returns it next.
   *
   * Never a second document for one call: a driver may send again only what cannot reach the FN
   * twice — a frame the device NAKed, or a request the device itself deduplicates (ATOL: the same
   * task uuid, answered with the first attempt's result). Once the document may have reached the
   * FN and the answer is lost, the call ends 'in_doubt' ('answer_lost'); the worker then resolves
   * it from `lastFdNumber()` and `document()` and never asks to register it blindly again.
   *
   * Refusals carry stable codes: 'shift_closed' (no shift open and `autoOpenShift` false) and
   * 'shift_expired' (a shift older than 24 h) are retryable once the shift is dealt with.
   * Calls `DriverContext.checkFence()` right before the step that sends the document to the FN.
   */
  register(receipt: FiscalReceipt, options: RegisterOptions): Promise<FiscalResult>;
  /**
   * Number (1040) of the last fiscal document the FN closed, of any kind; 0 before registration.
   * A read. Never decreases on one FN: a greater number after a lost answer means the FN closed
   * a document since it was recorded.
   */
  lastFdNumber(): Promise<number>;
  /**
   * A fiscal document read back from the FN archive by number, or null when the FN has none with
   * that number (0, or above `lastFdNumber()`). A read: it makes no document and changes nothing.
   *
   * In-doubt matching (workers/in-doubt.ts) compares a receipt with the documents after the
   * recorded counter by these fields, so for receipts and corrections they must be what the FN
   * holds: `kind` ('receipt' or 'correction'), `operationType` (1054), `totalSum` (1020),
   * `fiscalSign`, `shiftNumber`, `receiptInShift` (1042) and `dateTime` as `register` returned
   * them; `buyerContact` (1008) and `itemCount` may be null when the device does not report them
   * (then they do not take part in the match), never a wrong value.
   */
  document(fdNumber: number): Promise<FiscalDocument | null>;
  /**
   * Marking codes (FFD 1.2, FN-M): checks one code with the FN and, unless `offline`, with the
   * marking operator (FN commands B1, B5, B6 — ATOL `beginMarkingCodeValidation`, Shtrih FF61).
   * It makes no fiscal document. The result waits in the FN until `acceptMarkingCode`; a
   * receipt may carry only accepted codes, each in the order they were accepted.
   * 'rejected' / 'marking_blocked' when the FN refuses marking work (overdue notifications);
   * 'rejected' / 'not_supported' on an FN or firmware without marking (FFD 1.05).
   */
  checkMarkingCode(request: MarkingCheckRequest): Promise<MarkingCheckResult>;
  /**
   * Accepts (true) or declines (false) the code checked last (B2). Returns the item's 2106 as the
   * FN will write it. Declined codes cannot be sold.
   */
  acceptMarkingCode(accept: boolean): Promise<number>;
  /** Forgets every checked and accepted code not yet in a receipt (B3): before a receipt's checks. */
  clearMarkingCodes(): Promise<void>;
  /** The FN's marking work: blocked or not, notifications (82) the marking operator has not confirmed (2104). A read. */
  markingState(): Promise<MarkingState>;
  /**
   * Fault injection, present only on the virtual register (never on a driver of real hardware):
   * the admin API's fault panel and the fault tests use it when it is there.
   */
  readonly faults?: FaultControl;
}

export interface RegisterOptions {
  /** Open a shift first when none is open (the group's auto-open setting). */
  autoOpenShift: boolean;
  /**
   * 2106 of each item, by item index: the accepted check of its marking code (null for unmarked
   * items). Absent when the receipt has no marking codes.
   */
  marking?: readonly (number | null)[];
}

export interface MarkingState {
  /** The FN refuses marking work until its notifications are confirmed. */
  blocked: boolean;
  /** 2104: sale notifications (82) the marking operator has not confirmed */
  unconfirmedNotifications: number;
  /** Local time of the oldest of them, ISO with offset; null when none. */
  oldestUnconfirmedAt: string | null;
}

export interface RegistrationInfo {
  /** 1037 RNM, 16 digits */
  registrationNumber: string;
  /** 1013 KKT factory serial */
  registratorSerial: string;
  /** 1041 FN serial, 16 digits */
  fnSerial: string;
  ffdVersion: FfdVersion;
  /** 1046 */
  ofdName: string;
  /** 1017 */
  ofdInn: string;
  /** 1048 */
  companyName: string;
  /** 1018 */
  companyInn: string;
  /** 1009 */
  operationsAddress: string;
  /** 1187 */
  operationsPlace: string;
  /** 1062 bitmask of the taxation systems the FN is registered for */
  taxSystems: number;
  /**
   * 1001: true when the register works without a cashier. Absent when the driver cannot read it;
   * when false, receipts and corrections must name a cashier (1021).
   */
  automaticMode?: boolean;
  /** Model name as the device reports it. */
  model: string;
}

export interface FiscalResult {
  /** 1040 */
  fdNumber: number;
  /** 1077 printed form: unsigned 32-bit decimal */
  fiscalSign: string;
  /** 1038 */
  shiftNumber: number;
  /** 1042 */
  receiptInShift: number;
  /** 1012, ISO-8601 with the device's UTC offset, seconds precision */
  dateTime: string;
  /** 1020 as the device computed it, kopecks */
  total: number;
  change: number;
  registration: RegistrationInfo;
  /** 2106 of each item's marking check, by item index (null: unmarked); set by the worker, absent without marking. */
  markingChecks?: (number | null)[];
}

export interface ShiftDocument {
  fdNumber: number;
  fiscalSign: string;
  shiftNumber: number;
  dateTime: string;
}

/** The report on closing the FN archive (document type 6). */
export interface ArchiveCloseDocument {
  /** 1040 */
  fdNumber: number;
  /** 1077 printed form: unsigned 32-bit decimal */
  fiscalSign: string;
  /** 1012, ISO-8601 with the device's UTC offset */
  dateTime: string;
}

export interface XReport {
  shiftNumber: number;
  dateTime: string;
  receiptsInShift: number;
  /** Sums by 1054 operation type in the current shift, kopecks. */
  totals: Record<'sell' | 'sellReturn' | 'buy' | 'buyReturn', number>;
  /** Set when the device produces a fiscal document for the report (a state report, doc 21). */
  fdNumber: number | null;
}

export type ShiftStateName = 'closed' | 'open' | 'expired';

export interface DeviceStatus {
  dateTime: string;
  shift: {
    state: ShiftStateName;
    /** Current (or last closed) shift number. */
    number: number;
    openedAt: string | null;
    expiresAt: string | null;
    receiptsInShift: number;
  };
  lastFdNumber: number;
  fn: {
    serial: string;
    ffdVersion: FfdVersion;
    /** 'fiscal' after registration; 'closed' after the archive was closed */
    phase: 'configured' | 'fiscal' | 'closed' | 'finished';
    expiresAt: string | null;
    /** Share of the archive in use, 0..1 */
    memoryUsed: number | null;
  };
  ofd: { unsentCount: number; oldestUnsentAt: string | null };
  paperPresent: boolean;
  /** Stable codes: fn_expires_soon, fn_replace_urgently, fn_memory_almost_full, ofd_timeout, shift_expires_soon, paper_out ... */
  warnings: string[];
  /**
   * The FN's marking work as markingState() last read it; null or absent when the register has no
   * marking (FFD 1.05, an FN without marking support) or the worker has not read it.
   */
  marking?: MarkingState | null;
}

export type FiscalDocumentKind =
  | 'registration'
  | 'openShift'
  | 'receipt'
  | 'correction'
  | 'closeShift'
  | 'stateReport'
  | 'closeArchive';

/**
 * Wrapper keys of the FNS/OFD JSON form of each document kind; "receiptCorrection" is the OFD
 * convention (yandex/ofd, Kontur OFD). Every driver wraps `FiscalDocument.json` with these.
 */
export const FNS_JSON_WRAPPERS: Readonly<Record<FiscalDocumentKind, string>> = {
  registration: 'fiscalReport',
  openShift: 'openShift',
  receipt: 'receipt',
  correction: 'receiptCorrection',
  closeShift: 'closeShift',
  stateReport: 'currentStateReport',
  // Document type 6, "Отчёт о закрытии фискального накопителя" (yandex/ofd schemas/1.05/closeArchive.schema.json).
  closeArchive: 'closeArchive',
};

/**
 * A document from the FN archive. `json` is the FNS/OFD JSON form (camelCase tag names,
 * money in kopecks) wrapped by document type, e.g. `{"receipt": {...}}`.
 */
export interface FiscalDocument {
  fdNumber: number;
  kind: FiscalDocumentKind;
  dateTime: string;
  fiscalSign: string;
  shiftNumber: number;
  /** 1042, receipts and corrections only */
  receiptInShift: number | null;
  /** 1054, receipts and corrections only */
  operationType: OperationType | null;
  /** 1055 */
  taxSystem: TaxSystem | null;
  /** 1020 kopecks, receipts and corrections only */
  totalSum: number | null;
  /** 1008 */
  buyerContact: string | null;
  itemCount: number | null;
  json: Record<string, unknown>;
  /**
   * Base64 of the document's TLV as the FN stores it (container tag, length, tags; strings in
   * CP866). Null when the register's protocol does not hand out the bytes (ATOL's JSON tasks).
   */
  rawTlv: string | null;
}

export type DeviceErrorKind = 'offline' | 'rejected' | 'in_doubt';

/**
 * A device failure with a stable `code` (REPORTED_ERROR_CODES or WORKER_ERROR_CODES) and the
 * device's own code kept in `deviceCode` (e.g. "0x45" for Shtrih, "66" for ATOL).
 * `retryable`: the same receipt may succeed later without change (device offline, paper out,
 * shift to be closed first); otherwise the receipt fails with nothing fiscalized.
 * What each kind and code does to a receipt is one table: workers/outcomes.ts.
 */
export class DeviceError extends Error {
  readonly kind: DeviceErrorKind;
  readonly code: DeviceErrorCode;
  readonly deviceCode: string | null;
  readonly retryable: boolean;

  constructor(kind: DeviceErrorKind, code: DeviceErrorCode, message: string, options: { deviceCode?: string | null; retryable?: boolean } = {}) {
    super(message);
    this.name = 'DeviceError';
    this.kind = kind;
    this.code = code;
    this.deviceCode = options.deviceCode ?? null;
    this.retryable = options.retryable ?? kind !== 'rejected';
  }
}

/**
 * The codes a device itself reports: every driver maps its device's own codes onto these (and back,
 * in the protocol emulators). Their kind and texts live in the one table, domain/error-codes.ts.
 */
export const REPORTED_ERROR_CODES = [
  'device_offline', 'answer_lost', 'shift_closed', 'shift_expired', 'shift_already_open', 'insufficient_payment',
  'noncash_exceeds_total', 'zero_total', 'sum_mismatch', 'tax_system_not_registered', 'cashier_required', 'invalid_document',
  'not_supported', 'paper_out', 'fn_expired', 'fn_memory_full', 'ofd_backlog', 'invalid_datetime', 'device_error', 'marking_blocked',
  'fn_archive_closed',
] as const satisfies readonly DeviceErrorCode[];
export type ReportedErrorCode = (typeof REPORTED_ERROR_CODES)[number];

/**
 * Codes the server itself gives a device call (no device reports them): the call ran past its
 * timeout, the worker's lease no longer covered it (checkFence), the server could not keep the
 * outcome, the FN is not the memory the receipts were fiscalized on, or another FN was put in
 * without the replacement flow. Together with
 * REPORTED_ERROR_CODES: every DeviceErrorCode (driver.test.ts checks it).
 */
export const WORKER_ERROR_CODES = ['device_timeout', 'lease_lost', 'storage_unavailable', 'fn_state_mismatch', 'fn_replaced_unannounced', 'marking_check_failed', 'marking_operator_unavailable'] as const satisfies readonly DeviceErrorCode[];
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

/** A device error code's meaning in English, from the one table of error codes. */
export const deviceErrorText = (code: DeviceErrorCode): string => ERROR_CODES[code].en;

/** What DriverContext.checkFence throws: nothing reached the FN. */
export const leaseLost = (detail: string): DeviceError => new DeviceError('offline', 'lease_lost', `${deviceErrorText('lease_lost')}: ${detail}`);

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface DriverContext {
  /** Stable id of the device row; drivers key their local state by it. */
  deviceId: number;
  /** Where drivers may keep files (the emulator's FN memory). null: keep everything in memory. */
  dataDir: string | null;
  logger: Logger;
  clock: Clock;
  /**
   * Called by the driver right before each step the device cannot take back (sending a document
   * to the FN, opening or closing a shift). Throws DeviceError('offline', 'lease_lost') when the
   * worker that made this call may no longer drive the device: the call outlived its deadline (a
   * paused process, a stalled link) or the node's lease no longer covers it. Nothing has reached
   * the FN then, so the receipt can go back to the queue. Absent: no fencing (tests, tools).
   */
  checkFence?: () => void;
}

/**
 * What a driver's devices can do beyond the FiscalDriver core, known without a device at hand (the
 * admin API refuses an operation the register's driver lacks before queuing it).
 */
export interface DriverCapabilities {
  /** Its drivers implement `FiscalDriver.closeArchive`. */
  closeArchive: boolean;
}

/** A driver model: its config schema feeds validation, the OpenAPI document and the dashboard form. */
export interface DriverFactory<C = Record<string, unknown>> {
  model: string;
  /** Absent: none of the optional operations. */
  capabilities?: DriverCapabilities;
  title: { ru: string; en: string };
  /** Device model names this driver can drive (shown in the dashboard's model list). */
  deviceModels: readonly string[];
  configSchema: TObject;
  defaults(): C;
  create(config: C, context: DriverContext): FiscalDriver;
}

/**
 * Fault injection, offered by the virtual register and the protocol emulators built on it.
 * Never active unless asked for (tests, or the protected admin endpoint).
 */
export type Fault =
  /** The device does not answer at all; nothing reaches the FN. */
  | { kind: 'offline' }
  /** The FN closes the document, then the connection drops before the answer is sent. */
  | { kind: 'lose_answer_after_close' }
  /** The connection drops after the document was sent but before the FN closed it. */
  | { kind: 'disconnect_before_close' }
  | { kind: 'paper_out' }
  /** Every operation takes this long. */
  | { kind: 'slow'; delayMs: number }
  | { kind: 'fn_full' }
  | { kind: 'fn_expired' }
  /**
   * The marking operator (FFD 1.2 code checks) answers the next checks so, over the configured
   * answer: no answer at all (the FN forms the result autonomously, and takes no notification
   * receipts while active), the code invalid, the planned status wrong, the sale stopped, or late
   * by `delayMs` (default: the register's configured operator delay).
   */
  | { kind: 'marking_unreachable' }
  | { kind: 'marking_invalid' }
  | { kind: 'marking_wrong_status' }
  | { kind: 'marking_sale_stopped' }
  | { kind: 'marking_slow'; delayMs?: number };
export type FaultKind = Fault['kind'];

/** Every fault kind, in the order the fault panel lists them. */
export const FAULT_KINDS = [
  'offline', 'lose_answer_after_close', 'disconnect_before_close', 'paper_out', 'slow', 'fn_full', 'fn_expired',
  'marking_unreachable', 'marking_invalid', 'marking_wrong_status', 'marking_sale_stopped', 'marking_slow',
] as const satisfies readonly FaultKind[];
/** Kinds that take a delay (`delay_ms` in the API). */
export const DELAYED_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>(['slow', 'marking_slow']);

export interface FaultControl {
  /** `times`: how many operations the fault affects before clearing itself (default: until cleared). */
  inject(fault: Fault, times?: number): void;
  clear(kind?: FaultKind): void;
  active(): { fault: Fault; remaining: number | null }[];
}
