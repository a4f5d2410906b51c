import { DeviceError } from '../driver.js';
import type { ReportedErrorCode } from '../driver.js';

/**
 * ATOL libfptr error codes (LIBFPTR_ERROR_*, domain.md §4a) ↔ cr-server's stable device error
 * codes. The web server passes the driver's code through unchanged as `errorCode`.
 */
export const ATOL_ERRORS = {
  NO_CONNECTION: 2,
  NOT_SUPPORTED: 11,
  INVALID_MODE: 12,
  INVALID_PARAM: 13,
  UNKNOWN: 15,
  INVALID_SUM: 16,
  DATE_TIME_LESS_THAN_FS: 36,
  NO_PAPER: 44,
  COVER_OPENED: 45,
  NONCACH_PAYMENTS_TOO_MUCH: 52,
  NOT_FULLY_PAID: 66,
  SHIFT_EXPIRED: 68,
  DENIED_IN_CLOSED_SHIFT: 73,
  DENIED_IN_OPENED_SHIFT: 83,
  /**
   * "Неверное состояние ФН" (ExLuzZziVo/KKTServiceLib `KKTErrorType.cs`, ATOL's Java constants):
   * what an FN whose archive is closed answers a fiscal document [S~ for the name and number; that
   * a closed FN answers exactly this is our reading, K].
   */
  FN_INVALID_STATE: 117,
  FN_EXPIRED: 120,
  FN_OVERFLOW: 121,
  FN_INVALID_DATE_TIME: 122,
  FN_NO_MORE_DATA: 123,
  FN_RESOURCE_HAS_EXPIRED: 137,
  /** "Исчерпан ресурс ожидания передачи сообщения": the OFD 30-day rule. */
  FN_TIMEOUT: 140,
  FN_SHIFT_EXPIRED: 141,
  FN_INVALID_TIME_DIFFERENCE: 142,
  INVALID_TAXATION_TYPE: 143,
  INVALID_TAX_TYPE: 144,
  /** "Кассир не зарегистрирован": a register outside automatic mode closing a document without 1021. */
  NO_ACTIVE_OPERATOR: 172,
  INVALID_TOTAL: 227,
  /** Web Requests' own codes for a task it could not parse or lacking a mandatory tag (emulator/errors.ts). */
  INVALID_PAYMENT_TYPE: 60,
  NO_REQUIRED_FISCAL_PROPERTY: 161,
  RECEIPT_PARSE_ERROR: 501,
  /**
   * "Работа с маркированными товарами временно заблокирована" (FN-M error 34h): the FN refuses
   * code checks while sale notifications wait unconfirmed (ExLuzZziVo/KKTServiceLib
   * `KKTServiceLib.Atol/Types/Enums/KKTErrorType.cs`, LIBFPTR_ERROR_MARKING_WORK_TEMPORARY_BLOCKED).
   */
  MARKING_WORK_TEMPORARY_BLOCKED: 407,
} as const;

/**
 * LIBFPTR_ERROR_* of FFD 1.2 marking that map onto a stable code of their own. The others of the
 * range (401 check in progress, 403 check cancelled, 408 code table full, 410 wrong state) are
 * `device_error`; 402 / 411 / 421 (no answer from the marking operator) end a check, not a call
 * (marking.ts).
 */
export const ATOL_MARKING_ERRORS = {
  INVALID_MARKING_CODE_STATUS: 404,
  MARKING_WORK_DENIED: 406,
  INVALID_MARKING_CODE: 409,
  INVALID_MEASUREMENT_UNIT: 412,
  OPERATION_DENIED_IN_CURRENT_FFD: 413,
  /** "Операция не разрешена, при регистрации не был установлен признак ТМТ" */
  MARKING_OPERATION_DENIED: 414,
  MARK_NOT_CHECKED: 420,
  NO_MARKING_CODE_IN_TABLE: 422,
  PROPERTY_FOR_MARKING_POSITION_ONLY: 426,
} as const;

/** ATOL code → stable code. Codes not listed map to `device_error`. */
const FROM_ATOL: ReadonlyMap<number, ReportedErrorCode> = new Map<number, ReportedErrorCode>([
  [ATOL_ERRORS.NO_CONNECTION, 'device_offline'],
  [ATOL_ERRORS.NOT_SUPPORTED, 'not_supported'],
  [ATOL_ERRORS.INVALID_PARAM, 'invalid_document'],
  [ATOL_ERRORS.INVALID_TAX_TYPE, 'invalid_document'],
  [ATOL_ERRORS.INVALID_PAYMENT_TYPE, 'invalid_document'],
  [ATOL_ERRORS.NO_REQUIRED_FISCAL_PROPERTY, 'invalid_document'],
  [ATOL_ERRORS.RECEIPT_PARSE_ERROR, 'invalid_document'],
  [ATOL_ERRORS.NO_ACTIVE_OPERATOR, 'cashier_required'],
  [ATOL_ERRORS.INVALID_SUM, 'zero_total'],
  [ATOL_ERRORS.INVALID_TOTAL, 'sum_mismatch'],
  [ATOL_ERRORS.DATE_TIME_LESS_THAN_FS, 'invalid_datetime'],
  [ATOL_ERRORS.FN_INVALID_DATE_TIME, 'invalid_datetime'],
  [ATOL_ERRORS.FN_INVALID_TIME_DIFFERENCE, 'invalid_datetime'],
  [ATOL_ERRORS.NO_PAPER, 'paper_out'],
  [ATOL_ERRORS.NONCACH_PAYMENTS_TOO_MUCH, 'noncash_exceeds_total'],
  [ATOL_ERRORS.NOT_FULLY_PAID, 'insufficient_payment'],
  [ATOL_ERRORS.SHIFT_EXPIRED, 'shift_expired'],
  [ATOL_ERRORS.FN_SHIFT_EXPIRED, 'shift_expired'],
  [ATOL_ERRORS.DENIED_IN_CLOSED_SHIFT, 'shift_closed'],
  [ATOL_ERRORS.DENIED_IN_OPENED_SHIFT, 'shift_already_open'],
  [ATOL_ERRORS.FN_INVALID_STATE, 'fn_archive_closed'],
  [ATOL_ERRORS.FN_EXPIRED, 'fn_expired'],
  [ATOL_ERRORS.FN_OVERFLOW, 'fn_memory_full'],
  [ATOL_ERRORS.FN_RESOURCE_HAS_EXPIRED, 'fn_memory_full'],
  [ATOL_ERRORS.FN_TIMEOUT, 'ofd_backlog'],
  [ATOL_ERRORS.INVALID_TAXATION_TYPE, 'tax_system_not_registered'],
  [ATOL_ERRORS.MARKING_WORK_TEMPORARY_BLOCKED, 'marking_blocked'],
]);

/** Stable code → the ATOL code the emulator answers with (one canonical code per stable code). */
const TO_ATOL: Record<ReportedErrorCode, number> = {
  device_offline: ATOL_ERRORS.NO_CONNECTION,
  // The emulator never reports answer_lost as an error: it blocks the queue instead (§2.5).
  answer_lost: ATOL_ERRORS.NO_CONNECTION,
  shift_closed: ATOL_ERRORS.DENIED_IN_CLOSED_SHIFT,
  shift_expired: ATOL_ERRORS.SHIFT_EXPIRED,
  shift_already_open: ATOL_ERRORS.DENIED_IN_OPENED_SHIFT,
  insufficient_payment: ATOL_ERRORS.NOT_FULLY_PAID,
  noncash_exceeds_total: ATOL_ERRORS.NONCACH_PAYMENTS_TOO_MUCH,
  zero_total: ATOL_ERRORS.INVALID_SUM,
  sum_mismatch: ATOL_ERRORS.INVALID_TOTAL,
  tax_system_not_registered: ATOL_ERRORS.INVALID_TAXATION_TYPE,
  cashier_required: ATOL_ERRORS.NO_ACTIVE_OPERATOR,
  invalid_document: ATOL_ERRORS.INVALID_PARAM,
  not_supported: ATOL_ERRORS.NOT_SUPPORTED,
  paper_out: ATOL_ERRORS.NO_PAPER,
  fn_expired: ATOL_ERRORS.FN_EXPIRED,
  fn_memory_full: ATOL_ERRORS.FN_OVERFLOW,
  ofd_backlog: ATOL_ERRORS.FN_TIMEOUT,
  invalid_datetime: ATOL_ERRORS.DATE_TIME_LESS_THAN_FS,
  device_error: ATOL_ERRORS.UNKNOWN,
  marking_blocked: ATOL_ERRORS.MARKING_WORK_TEMPORARY_BLOCKED,
  fn_archive_closed: ATOL_ERRORS.FN_INVALID_STATE,
};

/**
 * Refusals after which the very same receipt can succeed later without change (DeviceError
 * `retryable`): load paper, close the expired shift, open the shift, let the marking operator
 * confirm the waiting sale notifications.
 */
const RETRYABLE_REJECTIONS: ReadonlySet<ReportedErrorCode> = new Set<ReportedErrorCode>(['paper_out', 'shift_expired', 'shift_closed', 'marking_blocked']);

export const stableCodeOf = (atolCode: number): ReportedErrorCode => FROM_ATOL.get(atolCode) ?? 'device_error';
export const atolCodeOf = (code: string): number => (code in TO_ATOL ? TO_ATOL[code as ReportedErrorCode] : ATOL_ERRORS.UNKNOWN);

/** A subtask `error` result → DeviceError. NO_CONNECTION means nothing reached the FN: offline. */
export function deviceErrorFromAtol(atolCode: number, description: string): DeviceError {
  const code = stableCodeOf(atolCode);
  const deviceCode = String(atolCode);
  if (code === 'device_offline') return new DeviceError('offline', code, description || 'device offline', { deviceCode });
  return new DeviceError('rejected', code, description || `ATOL error ${atolCode}`, {
    deviceCode,
    retryable: RETRYABLE_REJECTIONS.has(code),
  });
}
