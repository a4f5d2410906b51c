import { DEVICE_ERROR_CODES, DeviceError } from '../driver.js';
import type { DeviceErrorCode } from '../driver.js';

/**
 * The vendor-style code the virtual FN reports with each refusal: the FN / Shtrih-M codes of
 * domain.md §5.3, so logs read like a real device's.
 */
const DEVICE_CODES: Record<DeviceErrorCode, string | null> = {
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
  invalid_document: '0x09',
  not_supported: '0x37',
  paper_out: '0x6B',
  fn_expired: '0x05',
  fn_memory_full: '0x06',
  ofd_backlog: '0x15',
  invalid_datetime: '0x17',
  device_error: '0x03',
};

/** Retryable refusals: the same document can succeed later without change (domain rules of driver.ts). */
const RETRYABLE: ReadonlySet<DeviceErrorCode> = new Set(['paper_out', 'shift_closed', 'shift_expired']);

export function rejected(code: DeviceErrorCode, detail?: string): DeviceError {
  const message = detail ? `${DEVICE_ERROR_CODES[code]}: ${detail}` : DEVICE_ERROR_CODES[code];
  return new DeviceError('rejected', code, message, { deviceCode: DEVICE_CODES[code], retryable: RETRYABLE.has(code) });
}

export const offline = (): DeviceError =>
  new DeviceError('offline', 'device_offline', DEVICE_ERROR_CODES.device_offline, { deviceCode: null });

export const answerLost = (): DeviceError =>
  new DeviceError('in_doubt', 'answer_lost', DEVICE_ERROR_CODES.answer_lost, { deviceCode: null });
