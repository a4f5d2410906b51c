import { DomainError, notFound } from '../../domain/errors.js';
import type { ReceiptRepository } from '../../storage/receipts.js';
import { renderReceiptHtml } from '../print.js';
import type { StoredRequest } from '../receipt-view.js';
import type { ReceiptService } from '../receipts.js';
import type { Actor, Auditor } from './audit-context.js';

export interface ReceiptAdminDeps {
  receipts: ReceiptRepository;
  receiptService: ReceiptService;
  audit: Auditor;
  now: () => number;
  /** Wakes the group's device worker (a retried receipt is pending again). */
  notify: (groupId: number) => void;
}

/**
 * The dashboard's receipt actions: the printable receipt, and retry / cancel — the same conditional
 * repository updates as the REST API's superuser routes, so they never race the device worker.
 */
export function createReceiptAdmin(deps: ReceiptAdminDeps) {
  async function mustGet(groupId: number, id: number) {
    const row = await deps.receipts.get(groupId, id);
    if (!row) throw notFound('receipt_not_found', `Service group ${groupId} has no receipt ${id}`);
    return row;
  }

  return {
    /** The receipt as printed on paper (HTML, QR as SVG); only a fiscalized receipt has one. */
    async printHtml(groupId: number, id: number): Promise<string> {
      const row = await mustGet(groupId, id);
      if (row.state !== 'success') {
        throw new DomainError('conflict', { code: 'receipt_not_fiscalized', message: `The receipt is ${row.state}: there is no fiscal document to print` });
      }
      const view = await deps.receiptService.get(groupId, id);
      return renderReceiptHtml(view, JSON.parse(row.request) as StoredRequest);
    },

    /** A failed receipt goes back to the queue (pending) and the worker is woken. */
    async retry(groupId: number, id: number, actor: Actor) {
      const before = await mustGet(groupId, id);
      if (!(await deps.receipts.retry(groupId, id, deps.now()))) {
        const now = (await deps.receipts.get(groupId, id))?.state ?? before.state;
        throw new DomainError('conflict', { code: 'receipt_not_failed', message: `Only a failed receipt can be retried; this one is ${now}` });
      }
      await deps.audit(actor, 'receipt.retry', `receipt:${id}`, { service_group: groupId, previous_state: before.state });
      deps.notify(groupId);
      return deps.receiptService.get(groupId, id);
    },

    /** A pending receipt (not yet claimed by the worker) becomes failed with code "canceled". */
    async cancel(groupId: number, id: number, actor: Actor) {
      const before = await mustGet(groupId, id);
      const error = { code: 'canceled', message: `Canceled by ${actor.login}; nothing was fiscalized`, retryable: false };
      if (!(await deps.receipts.cancel(groupId, id, error, deps.now()))) {
        const now = (await deps.receipts.get(groupId, id))?.state ?? before.state;
        throw new DomainError('conflict', { code: 'receipt_not_pending', message: `Only a pending receipt can be canceled; this one is ${now}` });
      }
      await deps.audit(actor, 'receipt.cancel', `receipt:${id}`, { service_group: groupId, previous_state: before.state });
      return deps.receiptService.get(groupId, id);
    },
  };
}
export type ReceiptAdmin = ReturnType<typeof createReceiptAdmin>;
