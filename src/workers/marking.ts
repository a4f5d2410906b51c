import { DeviceError } from '../devices/driver.js';
import type { FiscalDriver, MarkingCheckRequest } from '../devices/driver.js';
import type { MarkingCheckResult, MarkingPolicy } from '../domain/ffd12.js';
import { refusal } from '../domain/marking-policy.js';
import type { FiscalReceipt } from '../domain/receipt.js';

/**
 * The marking check before a receipt with marked items goes to the FN (docs/architecture.md,
 * "Marking"): every code is checked by the FN and the marking operator, then accepted or declined
 * by the group's policy, in receipt order, so the FN holds exactly this receipt's accepted codes
 * when `register` runs. It makes no fiscal document, so a crash anywhere in it is harmless: the
 * next attempt clears the FN's buffer and checks again.
 */

/** 2003 = 2 / 4: measured goods are checked with their quantity (1023) and measure (2108). */
const MEASURED = new Set([2, 4]);

export interface MarkingOutcome {
  /** 2106 per item index, null for unmarked items: RegisterOptions.marking. */
  checks: (number | null)[];
  /** The answers as the receipt keeps them (null for unmarked items). */
  results: (MarkingCheckResult | null)[];
}

/**
 * Checks and accepts (or declines) every marking code of `receipt`. Returns null for a receipt
 * without marking codes. Throws DeviceError 'rejected' (not retryable) naming the item when the
 * policy refuses an answer; device errors pass through (the caller's outcome table decides).
 */
export async function checkMarking(
  call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>,
  driver: FiscalDriver,
  receipt: FiscalReceipt,
  policy: MarkingPolicy,
): Promise<MarkingOutcome | null> {
  if (!receipt.items.some((i) => i.ffd12?.marking)) return null;
  await call('clearMarkingCodes', () => driver.clearMarkingCodes());
  const checks: (number | null)[] = [];
  const results: (MarkingCheckResult | null)[] = [];
  for (const [index, item] of receipt.items.entries()) {
    const marking = item.ffd12?.marking;
    if (!marking) {
      checks.push(null);
      results.push(null);
      continue;
    }
    const measured = MEASURED.has(marking.plannedStatus);
    const request: MarkingCheckRequest = {
      code: marking.code,
      plannedStatus: marking.plannedStatus,
      measure: item.measure,
      quantity: measured ? item.quantity : null,
      fractional: item.ffd12?.fractional ?? null,
      offline: false,
    };
    const result = await call('checkMarkingCode', () => driver.checkMarkingCode(request));
    const refused = refusal(result, policy);
    if (refused) {
      await call('acceptMarkingCode', () => driver.acceptMarkingCode(false));
      await call('clearMarkingCodes', () => driver.clearMarkingCodes());
      throw new DeviceError('rejected', refused.code, `products[${index}] (${item.name}): ${refused.reason}`, { retryable: false });
    }
    checks.push(await call('acceptMarkingCode', () => driver.acceptMarkingCode(true)));
    results.push(result);
  }
  return { checks, results };
}
