import type { ReceiptState } from '../domain/enums.js';
import type { Db } from './db.js';
import { toReceiptRecord, type ReceiptRecord } from './receipts.js';

export interface ExportFilter {
  groupId: number;
  createdFrom: number | null;
  createdTo: number | null;
  state: ReceiptState | null;
}

/** Rows per query: large enough to amortize the round trip, small enough to keep memory flat. */
export const EXPORT_BATCH = 2000;

/**
 * A group's receipts, oldest first, in batches by id (keyset pagination): memory stays flat however
 * many rows match, and each batch is one indexed query, so a long export holds no transaction or
 * cursor open against the queue's writers.
 */
export function createReceiptExport(handle: Db) {
  const { kysely: db } = handle;
  return {
    async *batches(f: ExportFilter, batch = EXPORT_BATCH): AsyncGenerator<ReceiptRecord[]> {
      let after = 0;
      for (;;) {
        let q = db.selectFrom('receipts').selectAll().where('group_id', '=', f.groupId).where('id', '>', after);
        if (f.createdFrom !== null) q = q.where('created_at', '>=', f.createdFrom);
        if (f.createdTo !== null) q = q.where('created_at', '<', f.createdTo);
        if (f.state !== null) q = q.where('state', '=', f.state);
        const rows = await q.orderBy('id', 'asc').limit(batch).execute();
        if (rows.length === 0) return;
        yield rows.map((row) => toReceiptRecord(row));
        after = rows[rows.length - 1]?.id ?? after;
        if (rows.length < batch) return;
      }
    },
  };
}
export type ReceiptExport = ReturnType<typeof createReceiptExport>;
