import { DeviceError, deviceErrorText } from '../driver.js';
import type { ReportedErrorCode } from '../driver.js';

/**
 * The vendor-style code the virtual FN reports with each refusal: the FN / Shtrih-M codes of
 * domain.md §5.3, so logs read like a real device's.
 */
const DEVICE_CODES: Record<ReportedErrorCode, string | null> = {
  device_offline: null,
  answer_lost: null,
  shift_closed: '0x3D',
  shift_expired: '0x16',
  shift_already_open: '0x02',
  insufficient_payment: '0x45',
  noncash_exceeds_total: '0x4D',
  zero_total: '0x8E',
  sum_mismatch: '0x33',
  tax_system_not_registered: '0x09',
  cashier_required: '0x33',
  invalid_document: '0x09',
  not_supported: '0x37',
  paper_out: '0x6B',
  fn_expired: '0x05',
  fn_memory_full: '0x06',
  ofd_backlog: '0x15',
  invalid_datetime: '0x17',
  device_error: '0x03',
  // FN-M error 34h "Работа с маркированными товарами временно заблокирована" (shtrih-m/fr_drv_ng#185).
  marking_blocked: '0x34',
  // FN error 02h "wrong FN state" (domain.md §5.3): what an FN whose fiscal mode is closed answers.
  fn_archive_closed: '0x02',
};

/** Retryable refusals: the same document can succeed later without change (domain rules of driver.ts). */
const RETRYABLE: ReadonlySet<ReportedErrorCode> = new Set(['paper_out', 'shift_closed', 'shift_expired', 'marking_blocked']);

export function rejected(code: ReportedErrorCode, detail?: string): DeviceError {
  const message = detail ? `${deviceErrorText(code)}: ${detail}` : deviceErrorText(code);
  return new DeviceError('rejected', code, message, { deviceCode: DEVICE_CODES[code], retryable: RETRYABLE.has(code) });
}

export const offline = (): DeviceError =>
  new DeviceError('offline', 'device_offline', deviceErrorText('device_offline'), { deviceCode: null });

export const answerLost = (): DeviceError =>
  new DeviceError('in_doubt', 'answer_lost', deviceErrorText('answer_lost'), { deviceCode: null });
