import type { FiscalDocument, FiscalResult, RegistrationInfo } from '../devices/driver.js';
import { buyerContact, type FiscalReceipt } from '../domain/receipt.js';

/**
 * In-doubt resolution (architecture.md "The receipt pipeline", domain.md §2.5), without a device or
 * a database: the worker passes what it read and how to read more. A receipt whose outcome is
 * unknown — its answer was lost, or a dead process left it `processing` — is compared with the FN
 * journal after the counter recorded when it was claimed. Never resend blindly: a receipt goes back
 * to the queue only when no document after that counter can be it.
 */

export type InDoubtReceipt = Pick<FiscalReceipt, 'operationType' | 'total' | 'items' | 'payments' | 'email' | 'phone'>;

/**
 * Whether an FN document can be this receipt. The fields are those FiscalDriver.document() promises
 * exact; buyer contact and item count take part only when the device reports them.
 */
export const documentMatches = (doc: FiscalDocument, req: InDoubtReceipt): boolean =>
  (doc.kind === 'receipt' || doc.kind === 'correction') &&
  doc.operationType === req.operationType &&
  doc.totalSum === req.total &&
  (doc.buyerContact === null || doc.buyerContact === buyerContact(req)) &&
  (doc.itemCount === null || doc.itemCount === req.items.length);

/** The fiscal result of a receipt found in the journal, as `register` would have returned it. */
export function resultFromDocument(doc: FiscalDocument, req: InDoubtReceipt, registration: RegistrationInfo): FiscalResult {
  const paid = req.payments.reduce((a, p) => a + p.sum, 0);
  return {
    fdNumber: doc.fdNumber,
    fiscalSign: doc.fiscalSign,
    shiftNumber: doc.shiftNumber,
    receiptInShift: doc.receiptInShift ?? 0,
    dateTime: doc.dateTime,
    total: doc.totalSum ?? req.total,
    change: paid - req.total,
    registration,
  };
}

export interface InDoubtInput {
  request: InDoubtReceipt;
  /** The FN's last FD number recorded before the receipt went to the device (null: never recorded). */
  fdBefore: number | null;
  /** The FN's last FD number now. */
  last: number;
  /** Reads document n from the FN (null: none). */
  document(n: number): Promise<FiscalDocument | null>;
  /** Whether another receipt of this device already owns document n. */
  taken(n: number): Promise<boolean>;
  registration(): Promise<RegistrationInfo>;
}

export type InDoubtDecision =
  | { outcome: 'registered'; fdNumber: number; result: FiscalResult }
  | { outcome: 'not_registered' };

/**
 * The first document after `fdBefore` that matches the receipt and no other receipt owns is the
 * receipt's (the FN numbers documents in the order it closed them, and this worker sent one
 * receipt at a time); none → the receipt was never registered. Documents are read in FD order and
 * only as far as needed.
 */
export async function resolveInDoubt(input: InDoubtInput): Promise<InDoubtDecision> {
  if (input.fdBefore !== null && input.last > input.fdBefore) {
    for (let n = input.fdBefore + 1; n <= input.last; n++) {
      const doc = await input.document(n);
      if (!doc || !documentMatches(doc, input.request) || (await input.taken(n))) continue;
      return { outcome: 'registered', fdNumber: n, result: resultFromDocument(doc, input.request, await input.registration()) };
    }
  }
  return { outcome: 'not_registered' };
}
