import { sql } from 'kysely';
import type { FiscalResult } from '../devices/driver.js';
import { RECEIPT_STATES, isReceiptType, type ReceiptState, type ReceiptType } from '../domain/enums.js';
import { paymentTotals, type FiscalReceipt, type PaymentTotals } from '../domain/receipt.js';
import type { ReceiptError, StoredRequest } from '../domain/records.js';
import type { Db } from './db.js';
import { parseStored, parseStoredOrNull, storedEnum } from './json.js';

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

/** What the CSV shows of a receipt, and nothing else (each database reads it its own way, below). */
export interface ExportRecord {
  id: number;
  created_at: number;
  state: ReceiptState;
  receipt_type: ReceiptType;
  order_id: string | number | null;
  total: number;
  tax_system: number;
  email: string | null;
  phone: string | null;
  /** By kind, the change already taken from the cash (tags 1031, 1081, 1215–1217). */
  payments: PaymentTotals;
  /** The fiscal result's fields: null until the receipt is fiscalized. */
  fiscal_datetime: string | null;
  fd_number: number | null;
  fiscal_sign: string | null;
  shift_number: number | null;
  receipt_in_shift: number | null;
  fn_serial: string | null;
  registration_number: string | null;
  error_code: string | null;
}

/** One row as SQLite returns it: the fields taken out of the JSON by `json_extract`, named as the record's. */
type ExtractedRow = Omit<ExportRecord, 'state' | 'receipt_type' | 'payments'> & {
  state: string;
  receipt_type: number;
  /** The array's JSON text. */
  payments: string;
  change: number;
};

/** One row as PostgreSQL returns it: the JSON columns' text. */
interface TextRow {
  id: number;
  created_at: number;
  state: string;
  request: string;
  fiscal: string | null;
  error: string | null;
}

/**
 * SQLite: the fields are taken out of the JSON by `json_extract` in the same thread, which costs less
 * than bringing the ~1.2 KB of text into JavaScript strings and parsing it. PostgreSQL: its JSON
 * parser is several times slower than V8's (measured: ~22 µs a row for `::jsonb` and the fields,
 * against ~4 µs to read the text), and the backend shares the machine's cores with the server, so
 * the text is read and parsed here.
 */
const EXTRACTED = sql.raw(
  [
    ['receipt_type', 'request', 'receiptType'],
    ['order_id', 'request', 'orderId'],
    ['total', 'request', 'total'],
    ['tax_system', 'request', 'taxSystem'],
    ['email', 'request', 'email'],
    ['phone', 'request', 'phone'],
    ['change', 'request', 'change'],
    ['payments', 'request', 'payments'],
    ['fd_number', 'fiscal', 'fdNumber'],
    ['fiscal_datetime', 'fiscal', 'dateTime'],
    ['fiscal_sign', 'fiscal', 'fiscalSign'],
    ['shift_number', 'fiscal', 'shiftNumber'],
    ['receipt_in_shift', 'fiscal', 'receiptInShift'],
    ['fn_serial', 'fiscal', 'registration.fnSerial'],
    ['registration_number', 'fiscal', 'registration.registrationNumber'],
    ['error_code', 'error', 'code'],
  ]
    .map(([as, column, path]) => `json_extract(${column}, '$.${path}') AS ${as}`)
    .join(', '),
);

function receiptTypeOf(id: number, n: number): ReceiptType {
  if (!isReceiptType(n)) throw new Error(`receipts.request of ${id} holds an unknown receiptType ${n}`);
  return n;
}

// Field by field, not `{ ...rest }`: an object rest per row cost the 100k export half its rate and
// +110 MB of peak RSS (measured, `--only=export --db=sqlite`).
function fromExtracted(row: ExtractedRow): ExportRecord {
  return {
    id: row.id,
    created_at: row.created_at,
    state: storedEnum(RECEIPT_STATES, row.state, 'receipts.state'),
    receipt_type: receiptTypeOf(row.id, row.receipt_type),
    order_id: row.order_id,
    total: row.total,
    tax_system: row.tax_system,
    email: row.email,
    phone: row.phone,
    payments: paymentTotals({ payments: parseStored<FiscalReceipt['payments']>(row.payments), change: row.change }),
    fiscal_datetime: row.fiscal_datetime,
    fd_number: row.fd_number,
    fiscal_sign: row.fiscal_sign,
    shift_number: row.shift_number,
    receipt_in_shift: row.receipt_in_shift,
    fn_serial: row.fn_serial,
    registration_number: row.registration_number,
    error_code: row.error_code,
  };
}

function fromText(row: TextRow): ExportRecord {
  const request = parseStored<StoredRequest>(row.request);
  const fiscal = parseStoredOrNull<FiscalResult>(row.fiscal);
  return {
    id: row.id,
    created_at: row.created_at,
    state: storedEnum(RECEIPT_STATES, row.state, 'receipts.state'),
    receipt_type: receiptTypeOf(row.id, request.receiptType),
    order_id: request.orderId,
    total: request.total,
    tax_system: request.taxSystem,
    email: request.email,
    phone: request.phone,
    payments: paymentTotals(request),
    fiscal_datetime: fiscal?.dateTime ?? null,
    fd_number: fiscal?.fdNumber ?? null,
    fiscal_sign: fiscal?.fiscalSign ?? null,
    shift_number: fiscal?.shiftNumber ?? null,
    receipt_in_shift: fiscal?.receiptInShift ?? null,
    fn_serial: fiscal?.registration.fnSerial ?? null,
    registration_number: fiscal?.registration.registrationNumber ?? null,
    error_code: parseStoredOrNull<ReceiptError>(row.error)?.code ?? null,
  };
}

/**
 * A group's receipts, oldest first, in batches by id (keyset pagination): memory stays flat however
 * many rows match, and each batch is one indexed query, so a long export holds no transaction or
 * cursor open against the queue's writers.
 */
export function createReceiptExport(handle: Db) {
  const { kysely: db, dialect } = handle;
  return {
    async *batches(f: ExportFilter, batch = EXPORT_BATCH): AsyncGenerator<ExportRecord[]> {
      const read = (after: number): Promise<ExportRecord[]> => {
        const where = [sql`group_id = ${f.groupId}`, sql`id > ${after}`];
        if (f.createdFrom !== null) where.push(sql`created_at >= ${f.createdFrom}`);
        if (f.createdTo !== null) where.push(sql`created_at < ${f.createdTo}`);
        if (f.state !== null) where.push(sql`state = ${f.state}`);
        const cond = sql.join(where, sql` AND `);
        const rows =
          dialect === 'postgres'
            ? sql<TextRow>`SELECT id, created_at, state, request, fiscal, error FROM receipts WHERE ${cond} ORDER BY id LIMIT ${batch}`
                .execute(db)
                .then((r) => r.rows.map(fromText))
            : sql<ExtractedRow>`SELECT id, created_at, state, ${EXTRACTED} FROM receipts WHERE ${cond} ORDER BY id LIMIT ${batch}`
                .execute(db)
                .then((r) => r.rows.map(fromExtracted));
        // Awaited below; a download abandoned meanwhile must not leave an unhandled rejection.
        rows.catch(() => undefined);
        return rows;
      };
      let next: Promise<ExportRecord[]> | null = read(0);
      while (next) {
        const rows: ExportRecord[] = await next;
        const last = rows[rows.length - 1];
        if (last === undefined) return;
        // The next batch is read (on PostgreSQL, by its backend on another core) while this one
        // is turned into CSV and written.
        next = rows.length < batch ? null : read(last.id);
        yield rows;
      }
    },
  };
}
export type ReceiptExport = ReturnType<typeof createReceiptExport>;
