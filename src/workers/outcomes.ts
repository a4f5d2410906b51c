import { DeviceError } from '../devices/driver.js';
import type { ReceiptError } from '../domain/records.js';

/**
 * What the worker does with a receipt whose `register` call failed — the one table from a
 * DeviceError to a receipt's next state (architecture.md, "The receipt pipeline"):
 *
 * | error                                              | receipt                  | worker               |
 * |----------------------------------------------------|--------------------------|----------------------|
 * | rejected shift_expired / shift_closed, auto shifts | back to the queue head   | closes the expired shift, goes on |
 * | rejected, not retryable; marking_blocked           | failed (nothing fiscalized) | goes on           |
 * | rejected shift_expired / shift_closed, manual shifts | failed                 | goes on              |
 * | rejected, retryable (paper out, lease_lost, ...)   | back to the queue head   | backs off            |
 * | offline (nothing reached the FN)                   | back to the queue head   | backs off            |
 * | in_doubt, or anything that is not a DeviceError    | in_doubt                 | backs off, resolves from the FN counter |
 */
export type ReceiptOutcome =
  /** Automatic shift management: release the receipt, close the shift if it expired, retry at once. */
  | { kind: 'shift'; closeShift: boolean }
  | { kind: 'failed' }
  | { kind: 'release' }
  | { kind: 'in_doubt' };

export function receiptOutcome(e: unknown, autoOpenShift: boolean): ReceiptOutcome {
  if (!(e instanceof DeviceError)) return { kind: 'in_doubt' };
  switch (e.kind) {
    case 'rejected': {
      // The FN's marking block lasts until the marking operator confirms its notifications, which
      // may take days: waiting at the head of the queue would hold every other receipt back.
      if (e.code === 'marking_blocked') return { kind: 'failed' };
      const shiftIssue = e.code === 'shift_expired' || e.code === 'shift_closed';
      // The retry opens the next shift itself (register with autoOpenShift); an expired one must be
      // closed first, as the FN refuses receipts after 24 h (domain.md §2.2).
      if (shiftIssue && autoOpenShift) return { kind: 'shift', closeShift: e.code === 'shift_expired' };
      // Without automatic shifts nobody would open the shift for this receipt: waiting is pointless.
      if (!e.retryable || shiftIssue) return { kind: 'failed' };
      // A passing refusal (paper out), or the fence refusing before anything reached the FN.
      return { kind: 'release' };
    }
    case 'offline':
      return { kind: 'release' };
    case 'in_doubt':
      return { kind: 'in_doubt' };
  }
}

/**
 * A manual job's failure: offline puts it back in the queue (it runs when the device answers
 * again); any other failure is its outcome, shown to the user who asked.
 */
export const jobOutcome = (e: unknown): 'release' | 'failed' => (e instanceof DeviceError && e.kind === 'offline' ? 'release' : 'failed');

/** What a receipt's or job's `error` column keeps of a failure. */
export function errorRecord(e: unknown): ReceiptError & { device_code: string | null; retryable: boolean } {
  return e instanceof DeviceError
    ? { code: e.code, message: e.message, device_code: e.deviceCode, retryable: e.retryable }
    : { code: 'device_error', message: e instanceof Error ? e.message : String(e), device_code: null, retryable: true };
}

/** The error an in-doubt receipt keeps: its cause, under the code the API shows for that state. */
export const inDoubtRecord = (e: unknown): ReceiptError => ({ ...errorRecord(e), code: 'in_doubt' });
