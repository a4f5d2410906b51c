import { RECEIPT_STATES, type ReceiptState } from '../domain/enums.js';
import type { Db } from './db.js';
import { parseStored, parseStoredOrNull, storedEnum } from './json.js';
import type { ReceiptRecord } from './receipts.js';

export interface ExportFilter {
  groupId: number;
  createdFrom: number | null;
  createdTo: number | null;
  state: ReceiptState | null;
}

/**
 * Rows per query: large enough to amortize the round trip, small enough that a batch's parsed rows
 * and its CSV text die young (2,000 rows spent a third of the export in the garbage collector and
 * grew the peak RSS with the export's length).
 */
export const EXPORT_BATCH = 500;

/** What the CSV shows of a receipt: the columns it reads, its JSON parsed, nothing else. */
export type ExportRecord = Pick<ReceiptRecord, 'id' | 'created_at' | 'state' | 'request' | 'fiscal' | 'error'>;

/**
 * A group's receipts, oldest first, in batches by id (keyset pagination): memory stays flat however
 * many rows match, and each batch is one indexed query, so a long export holds no transaction or
 * cursor open against the queue's writers.
 */
export function createReceiptExport(handle: Db) {
  const { kysely: db } = handle;
  return {
    async *batches(f: ExportFilter, batch = EXPORT_BATCH): AsyncGenerator<ExportRecord[]> {
      const read = (after: number) => {
        let q = db.selectFrom('receipts').select(['id', 'created_at', 'state', 'request', 'fiscal', 'error']).where('group_id', '=', f.groupId).where('id', '>', after);
        if (f.createdFrom !== null) q = q.where('created_at', '>=', f.createdFrom);
        if (f.createdTo !== null) q = q.where('created_at', '<', f.createdTo);
        if (f.state !== null) q = q.where('state', '=', f.state);
        const rows = q.orderBy('id', 'asc').limit(batch).execute();
        // Awaited below; a download abandoned meanwhile must not leave an unhandled rejection.
        rows.catch(() => undefined);
        return rows;
      };
      let next: ReturnType<typeof read> | null = read(0);
      while (next) {
        const rows: Awaited<ReturnType<typeof read>> = await next;
        if (rows.length === 0) return;
        // The next batch is read (on PostgreSQL, by its backend on another core) while this one
        // is turned into CSV and written.
        next = rows.length < batch ? null : read(rows[rows.length - 1]?.id ?? 0);
        yield rows.map((row) => ({
          id: row.id,
          created_at: row.created_at,
          state: storedEnum(RECEIPT_STATES, row.state, 'receipts.state'),
          request: parseStored(row.request),
          fiscal: parseStoredOrNull(row.fiscal),
          error: parseStoredOrNull(row.error),
        }));
      }
    },
  };
}
export type ReceiptExport = ReturnType<typeof createReceiptExport>;
