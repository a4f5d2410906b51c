import type { TObject } from 'typebox';
import type { Logger } from 'pino';
import type { FfdVersion, OperationType, TaxSystem } from '../domain/enums.js';
import type { Cashier, FiscalReceipt } from '../domain/receipt.js';

/**
 * The one interface every fiscal register driver implements (emulator, atol, shtrih).
 * A driver talks to exactly one device and is called by exactly one worker at a time, so
 * implementations need no internal locking. One contract test suite runs against every driver.
 */
export interface FiscalDriver {
  readonly model: string;
  /** Connects; throws DeviceError('offline') when the device cannot be reached. */
  open(): Promise<void>;
  close(): Promise<void>;
  status(): Promise<DeviceStatus>;
  /** Registration data read from the device (tags 1037, 1041, 1018, 1048, 1046, 1017, ...). */
  registrationInfo(): Promise<RegistrationInfo>;
  openShift(cashier: Cashier | null): Promise<ShiftDocument>;
  /** Z-report. */
  closeShift(cashier: Cashier | null): Promise<ShiftDocument>;
  xReport(): Promise<XReport>;
  /**
   * Registers one receipt or correction receipt. Throws DeviceError: 'offline' when nothing
   * reached the fiscal drive, 'rejected' when the device refused the document (nothing
   * fiscalized), 'in_doubt' when the outcome is unknown (answer lost after sending).
   */
  register(receipt: FiscalReceipt, options: RegisterOptions): Promise<FiscalResult>;
  /** Number (1040) of the last fiscal document the FN closed; 0 before registration. */
  lastFdNumber(): Promise<number>;
  /** A fiscal document read back from the FN archive by number, or null if it does not exist. */
  document(fdNumber: number): Promise<FiscalDocument | null>;
}

export interface RegisterOptions {
  /** Open a shift first when none is open (the group's auto-open setting). */
  autoOpenShift: boolean;
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
}

export interface ShiftDocument {
  fdNumber: number;
  fiscalSign: string;
  shiftNumber: number;
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
}

export type FiscalDocumentKind =
  | 'registration'
  | 'openShift'
  | 'receipt'
  | 'correction'
  | 'closeShift'
  | 'stateReport';

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
}

export type DeviceErrorKind = 'offline' | 'rejected' | 'in_doubt';

/**
 * A device failure with a stable `code` (see DEVICE_ERROR_CODES) and the device's own code kept
 * in `deviceCode` (e.g. "0x45" for Shtrih, "66" for ATOL).
 * `retryable`: the same receipt may succeed later without change (device offline, paper out,
 * shift to be closed first); otherwise the receipt fails with nothing fiscalized.
 */
export class DeviceError extends Error {
  readonly kind: DeviceErrorKind;
  readonly code: string;
  readonly deviceCode: string | null;
  readonly retryable: boolean;

  constructor(kind: DeviceErrorKind, code: string, message: string, options: { deviceCode?: string | null; retryable?: boolean } = {}) {
    super(message);
    this.name = 'DeviceError';
    this.kind = kind;
    this.code = code;
    this.deviceCode = options.deviceCode ?? null;
    this.retryable = options.retryable ?? kind !== 'rejected';
  }
}

/** Stable device error codes shared by all drivers. */
export const DEVICE_ERROR_CODES = {
  device_offline: 'The device does not answer',
  answer_lost: 'The device took the document but its answer was lost',
  shift_closed: 'The shift is closed',
  shift_expired: 'The shift is open for more than 24 hours; close it first',
  shift_already_open: 'The shift is already open',
  insufficient_payment: 'The payments are less than the receipt total',
  noncash_exceeds_total: 'Non-cash payments exceed the receipt total',
  zero_total: 'The receipt total is zero',
  sum_mismatch: 'An item total does not equal price × quantity',
  tax_system_not_registered: 'The taxation system is not one the FN is registered for',
  invalid_document: 'The device refused the document data',
  not_supported: 'The device does not support this operation',
  paper_out: 'The device is out of paper',
  fn_expired: 'The fiscal drive lifetime has ended',
  fn_memory_full: 'The fiscal drive archive is full',
  ofd_backlog: 'A document has waited for the OFD for more than 30 days; the FN refuses new documents',
  invalid_datetime: 'The device clock is behind the last fiscal document',
  device_error: 'The device reported an error',
} as const;
export type DeviceErrorCode = keyof typeof DEVICE_ERROR_CODES;

/**
 * Codes the server itself gives a device call (no device reports them): the call ran past its
 * timeout, or the worker's lease no longer covered it (checkFence).
 */
export const WORKER_ERROR_CODES = {
  device_timeout: 'The device did not answer within the device call timeout',
  lease_lost: "This node's lease on the device ended before the call could reach the FN",
} as const;

/** What DriverContext.checkFence throws: nothing reached the FN. */
export const leaseLost = (detail: string): DeviceError => new DeviceError('offline', 'lease_lost', `${WORKER_ERROR_CODES.lease_lost}: ${detail}`);

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

/** A driver model: its config schema feeds validation, the OpenAPI document and the dashboard form. */
export interface DriverFactory<C = Record<string, unknown>> {
  model: string;
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
  | { kind: 'fn_expired' };
export type FaultKind = Fault['kind'];

export interface FaultControl {
  /** `times`: how many operations the fault affects before clearing itself (default: until cleared). */
  inject(fault: Fault, times?: number): void;
  clear(kind?: FaultKind): void;
  active(): { fault: Fault; remaining: number | null }[];
}
