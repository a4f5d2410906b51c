/**
 * Shtrih error bytes (domain.md §5.3) ↔ our stable DeviceError codes. The driver maps a device
 * answer to a DeviceError (keeping the byte as deviceCode "0x45"); the emulator maps a DeviceError
 * of the virtual register back to the byte a real device would send. Several bytes share one
 * stable code, so the reverse direction picks one representative byte per code.
 */
import { DeviceError } from '../driver.js';
import type { ReportedErrorCode } from '../driver.js';
import { CMD, commandName } from './commands.js';

interface ErrorRule {
  code: ReportedErrorCode;
  /** The same document may succeed later without change (shift to open/close, paper, FN state). */
  retryable: boolean;
  text: string;
}

export const SHTRIH_ERRORS: Readonly<Record<number, ErrorRule>> = {
  0x01: { code: 'invalid_document', retryable: false, text: 'Unknown command or bad format' },
  0x02: { code: 'device_error', retryable: true, text: 'Wrong FN state' },
  0x03: { code: 'device_error', retryable: true, text: 'FN error' },
  0x04: { code: 'device_error', retryable: true, text: 'Crypto co-processor error' },
  0x05: { code: 'fn_expired', retryable: false, text: 'FN lifetime ended' },
  0x06: { code: 'fn_memory_full', retryable: false, text: 'FN archive full' },
  0x07: { code: 'invalid_datetime', retryable: true, text: 'Wrong date/time' },
  0x08: { code: 'device_error', retryable: false, text: 'No data' },
  0x09: { code: 'invalid_document', retryable: false, text: 'Bad parameters' },
  0x10: { code: 'invalid_document', retryable: false, text: 'TLV too large' },
  0x11: { code: 'device_error', retryable: true, text: 'No transport connection' },
  0x12: { code: 'fn_expired', retryable: false, text: 'Crypto co-processor resource exhausted' },
  0x14: { code: 'fn_memory_full', retryable: false, text: 'Storage resource exhausted' },
  0x15: { code: 'ofd_backlog', retryable: true, text: 'OFD-wait resource exhausted' },
  0x16: { code: 'shift_expired', retryable: true, text: 'Shift longer than 24 hours' },
  0x17: { code: 'invalid_datetime', retryable: true, text: 'Bad time difference between operations' },
  0x20: { code: 'device_error', retryable: true, text: 'OFD message rejected' },
  0x2d: { code: 'invalid_document', retryable: false, text: 'Storno sum exceeds the sum of the item' },
  0x33: { code: 'invalid_document', retryable: false, text: 'Bad parameters in the command' },
  // FN-M 34h "Работа с маркированными товарами временно заблокирована": unconfirmed sale notifications
  // (shtrih-m/fr_drv_ng#185, #147; javapos_shtrih messages_ru.txt FSPrinterErrorA2).
  0x34: { code: 'marking_blocked', retryable: true, text: 'Work with marked goods temporarily blocked' },
  0x37: { code: 'not_supported', retryable: false, text: 'Command not supported' },
  0x3d: { code: 'shift_closed', retryable: true, text: 'Shift not open' },
  0x45: { code: 'insufficient_payment', retryable: false, text: 'Payments less than the receipt total' },
  0x46: { code: 'insufficient_payment', retryable: false, text: 'Not enough cash in the drawer' },
  0x49: { code: 'invalid_document', retryable: false, text: 'Operation impossible in a receipt of this type' },
  0x4a: { code: 'device_error', retryable: true, text: 'Receipt open, operation impossible' },
  0x4b: { code: 'invalid_document', retryable: false, text: 'Receipt buffer overflow' },
  0x4d: { code: 'noncash_exceeds_total', retryable: false, text: 'Cashless payments exceed the total' },
  0x4e: { code: 'shift_expired', retryable: true, text: 'Shift longer than 24 hours' },
  0x4f: { code: 'device_error', retryable: false, text: 'Wrong password' },
  0x50: { code: 'device_error', retryable: true, text: 'Printing the previous command' },
  0x55: { code: 'device_error', retryable: true, text: 'Receipt closed, operation impossible' },
  0x58: { code: 'device_error', retryable: true, text: 'Waiting for continue-print' },
  // "Неверная операция": e.g. 1293/1294 sent for an item without FF67 (shtrih-m/fr_drv_ng#245).
  0x5e: { code: 'invalid_document', retryable: false, text: 'Invalid operation' },
  0x5f: { code: 'invalid_document', retryable: false, text: 'Negative receipt total' },
  0x6b: { code: 'paper_out', retryable: true, text: 'No receipt paper' },
  0x72: { code: 'device_error', retryable: true, text: 'Not supported in this submode' },
  0x73: { code: 'device_error', retryable: true, text: 'Not supported in this mode' },
  0x8e: { code: 'zero_total', retryable: false, text: 'Zero receipt total' },
  0x8f: { code: 'device_error', retryable: false, text: 'Device not fiscalized' },
  0x93: { code: 'device_error', retryable: true, text: 'RAM restore succeeded' },
  0x96: { code: 'shift_expired', retryable: true, text: 'Do a Z-report' },
  // 211: "КМ не может быть декодирован, ошибка формата GS1" to FF61/FF67 (shtrih-m/fr_drv_ng#178, #245, #282).
  0xd3: { code: 'invalid_document', retryable: false, text: 'Marking code not recognised' },
};

/** The byte the emulator answers for each stable code. */
export const CODE_TO_SHTRIH: Readonly<Record<ReportedErrorCode, number>> = {
  device_offline: 0x11,
  answer_lost: 0x03,
  shift_closed: 0x3d,
  shift_expired: 0x4e,
  // Real firmware answers "not supported in this mode" to E0 with an open shift.
  shift_already_open: 0x73,
  insufficient_payment: 0x45,
  noncash_exceeds_total: 0x4d,
  zero_total: 0x8e,
  // No dedicated byte: the device refuses bad item sums and an unregistered 1055 as bad parameters.
  sum_mismatch: 0x33,
  tax_system_not_registered: 0x09,
  // No dedicated byte either: a missing cashier is a bad parameter of the closing command.
  cashier_required: 0x33,
  invalid_document: 0x33,
  not_supported: 0x37,
  paper_out: 0x6b,
  fn_expired: 0x05,
  fn_memory_full: 0x06,
  ofd_backlog: 0x15,
  invalid_datetime: 0x17,
  device_error: 0x03,
  marking_blocked: 0x34,
  // FN 02h "wrong FN state" (§5.3): an FN whose fiscal mode is closed refuses documents so. Lossy:
  // 02h is any wrong state, so the driver reads it back as device_error.
  fn_archive_closed: 0x02,
};

export const formatDeviceCode = (byte: number): string => `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;

/** An error answer (ERR ≠ 0) of `command` → DeviceError 'rejected'. */
export function deviceErrorFromAnswer(command: number, byte: number): DeviceError {
  let rule = SHTRIH_ERRORS[byte] ?? { code: 'device_error' as const, retryable: false, text: 'Unknown device error' };
  // 0x73 / FN 0x02 to a shift-opening command means the shift is already open.
  if ((command === CMD.openShift || command === CMD.fnBeginOpenShift) && (byte === 0x73 || byte === 0x02)) {
    rule = { code: 'shift_already_open', retryable: false, text: 'Shift already open' };
  }
  return new DeviceError('rejected', rule.code, `${commandName(command)}: ${rule.text} (${formatDeviceCode(byte)})`, {
    deviceCode: formatDeviceCode(byte),
    retryable: rule.retryable,
  });
}
