import { DomainError } from '../domain/errors.js';
import type { ExportRecord, ReceiptExport } from '../storage/receipt-export.js';
import type { GroupRepository } from '../storage/groups.js';
import { requireGroupAccess } from './access.js';
import type { Actor } from './actor.js';
import { periodFilter } from './receipts.js';

export interface ExportQuery {
  date_start?: string;
  date_end?: string;
  state?: string;
}

/**
 * The receipts of a group for accountants: every receipt matching the dates and state, oldest
 * first, in batches (storage/receipt-export.ts), for a streamed CSV. Access as for reading receipts;
 * the filters are the list's (400 naming the field).
 */
export function createReceiptExportService(deps: { groups: GroupRepository; exports: ReceiptExport }) {
  return {
    async batches(actor: Actor, groupId: number, q: ExportQuery): Promise<AsyncGenerator<ExportRecord[]>> {
      await requireGroupAccess(deps.groups, actor, groupId);
      const errors: { field: string; code: string; message: string }[] = [];
      const period = periodFilter(q, errors);
      if (errors.length > 0) throw new DomainError('invalid', errors);
      return deps.exports.batches({ groupId, ...period });
    },
  };
}
export type ReceiptExportService = ReturnType<typeof createReceiptExportService>;
