/**
 * The ceilings: the least a server can do for the same request — bare Fastify endpoints on the same
 * receipts table (same indexes and pragmas, created by the project's own migration). No auth, no
 * validation, no Kysely. Run as a child process by bench/run.ts; reports its URL over IPC.
 *
 * - POST /ceiling/:gid/receipts/ — reads the JSON body, stringifies it, hashes it and inserts the
 *   receipts row with one prepared statement: one commit per request.
 * - POST /ceiling/:gid/receipts/group-commit — the same row, through the project's own
 *   `perTurnBatcher` (src/storage/fast-paths.ts) as the server's accept path uses it: the inserts of
 *   one event-loop turn share one transaction (SQLite: the prepared INSERT once per row between one
 *   BEGIN and COMMIT, as the server's group commit runs its writes) or one multi-row
 *   `INSERT … RETURNING` of at most 500 rows (PostgreSQL, as the server's batched accept).
 * - GET /ceiling/:gid/receipts/:rid — the stored row by id, as it is.
 * - GET /ceiling/:gid/receipts/?limit=100 — the server's list query for a group without filters
 *   (`WHERE group_id = ? ORDER BY id DESC LIMIT limit + 1`, one prepared statement), each row's
 *   three JSON columns parsed and mapped field for field onto the API's list item (the same field
 *   names and value formats as http/views/receipt.ts, without its FFD 1.2 extras, which the bench's
 *   receipts do not carry), serialized with JSON.stringify.
 *
 * env: BENCH_DB=sqlite|postgres, BENCH_SQLITE_FILE, BENCH_PG_URL; BENCH_EXISTING=1 opens a database
 * the real server already set up (the list ceiling reads the server's own rows) and adds nothing.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NativeSqlite as SQLite } from '../src/sqlite-native.js';
import Fastify from 'fastify';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { VAT_1199_TO_TAX_TYPE_INT, VAT_RATES } from '../src/domain/enums.js';
import type { ReceiptError, StoredRequest } from '../src/domain/records.js';
import type { FiscalResult } from '../src/devices/driver.js';
import { perTurnBatcher } from '../src/storage/fast-paths.js';
import { migrate } from '../src/storage/migrate.js';
import type { Database } from '../src/storage/schema.js';

interface NewRow {
  groupId: number;
  key: string | null;
  hash: string;
  request: string;
  orderId: string | null;
  total: number;
  now: number;
}

/** The receipts columns the list item is built from, as the database returns them. */
interface ListRow {
  id: number;
  group_id: number;
  user_id: number;
  device_id: number | null;
  state: string;
  request: string;
  fiscal: string | null;
  error: string | null;
  callback_url: string | null;
  created_at: number;
  updated_at: number;
}

interface Store {
  insert(row: NewRow): Promise<number>;
  /** The same insert, batched per event-loop turn. */
  insertGrouped(row: NewRow): Promise<number>;
  get(groupId: number, id: number): Promise<unknown>;
  list(groupId: number, limit: number): Promise<ListRow[]>;
  close(): Promise<void>;
}

const COLUMNS = 'group_id, user_id, device_id, state, attempts, idempotency_key, request_hash, request, order_id, receipt_type, total, created_at, updated_at';
/** The server's cap on one batched accept (storage/receipts.ts, PG_BATCH_MAX). */
const PG_BATCH_MAX = 500;
const existing = process.env.BENCH_EXISTING === '1';

/**
 * Batches the group-commit route ran and the rows in them (a lone call of a turn counts as a batch
 * of one): how many inserts actually shared a commit, asked over IPC after each run.
 */
const batches = { count: 0, rows: 0 };
function counted<I, O>(runOne: (item: I) => Promise<O>, runBatch: (items: I[]) => Promise<O[]>): [(item: I) => Promise<O>, (items: I[]) => Promise<O[]>] {
  return [
    (item) => {
      batches.count++;
      batches.rows++;
      return runOne(item);
    },
    (items) => {
      batches.count++;
      batches.rows += items.length;
      return runBatch(items);
    },
  ];
}

async function sqliteStore(file: string): Promise<Store> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new SQLite(file);
  // The same pragmas as src/storage/db.ts.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
  await migrate({ kysely, dialect: 'sqlite' });
  if (!existing) {
    const now = Date.now();
    db.prepare(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('bench', 'x', ?, ?)`).run(now, now);
    db.prepare(`INSERT INTO service_groups (name, running, created_at, updated_at) VALUES ('bench', 1, ?, ?)`).run(now, now);
    db.prepare(`INSERT INTO devices (group_id, driver, config, created_at, updated_at) VALUES (1, 'emulator', '{}', ?, ?)`).run(now, now);
  }
  const ins = db.prepare<unknown[], { id: number }>(`INSERT INTO receipts (${COLUMNS}) VALUES (?, 1, 1, 'pending', 0, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`);
  const sel = db.prepare('SELECT * FROM receipts WHERE id = ? AND group_id = ?');
  const lst = db.prepare<unknown[], ListRow>('SELECT * FROM receipts WHERE group_id = ? ORDER BY id DESC LIMIT ?');
  const insertNow = (r: NewRow): number => {
    const row = ins.get(r.groupId, r.key, r.hash, r.request, r.orderId, r.total, r.now, r.now);
    if (!row) throw new Error('insert returned no row');
    return row.id;
  };
  const inTransaction = db.transaction((rows: NewRow[]) => rows.map(insertNow));
  const grouped = perTurnBatcher<NewRow, number>(...counted<NewRow, number>(async (r) => insertNow(r), async (rows) => inTransaction(rows)));
  return {
    insert: async (r) => insertNow(r),
    insertGrouped: grouped,
    get: async (groupId, id) => sel.get(id, groupId),
    list: async (groupId, limit) => lst.all(groupId, limit),
    close: async () => {
      await kysely.destroy();
    },
  };
}

async function postgresStore(url: string): Promise<Store> {
  // The same pool size and int8 parsing as src/storage/db.ts.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10, types });
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate({ kysely, dialect: 'postgres' });
  if (!existing) {
    const now = Date.now();
    await pool.query(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('bench', 'x', $1, $1)`, [now]);
    await pool.query(`INSERT INTO service_groups (name, running, created_at, updated_at) VALUES ('bench', 1, $1, $1)`, [now]);
    await pool.query(`INSERT INTO devices (group_id, driver, config, created_at, updated_at) VALUES (1, 'emulator', '{}', $1, $1)`, [now]);
  }
  const insertText = `INSERT INTO receipts (${COLUMNS}) VALUES ($1, 1, 1, 'pending', 0, $2, $3, $4, $5, 1, $6, $7, $7) RETURNING id`;
  const insertOne = async (r: NewRow): Promise<number> => {
    const res = await pool.query<{ id: number }>({ name: 'ceiling_insert', text: insertText, values: [r.groupId, r.key, r.hash, r.request, r.orderId, r.total, r.now] });
    const row = res.rows[0];
    if (!row) throw new Error('insert returned no row');
    return row.id;
  };
  // The multi-row statement's text per batch size, built once (the server's Kysely builds it per batch).
  const multiText = new Map<number, string>();
  const textFor = (n: number): string => {
    let text = multiText.get(n);
    if (text === undefined) {
      const values = Array.from({ length: n }, (_, i) => {
        const p = i * 7;
        return `($${p + 1}, 1, 1, 'pending', 0, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, 1, $${p + 6}, $${p + 7}, $${p + 7})`;
      });
      text = `INSERT INTO receipts (${COLUMNS}) VALUES ${values.join(', ')} RETURNING id, idempotency_key`;
      multiText.set(n, text);
    }
    return text;
  };
  const grouped = perTurnBatcher<NewRow, number>(
    ...counted<NewRow, number>(insertOne, async (rows) => {
      const res = await pool.query<{ id: number; idempotency_key: string | null }>(
        textFor(rows.length),
        rows.flatMap((r) => [r.groupId, r.key, r.hash, r.request, r.orderId, r.total, r.now]),
      );
      // RETURNING promises no order: rows are matched to callers by their (unique) key, as the
      // server matches them by content; a keyless one takes the row at its own position.
      const byKey = new Map<string, number>();
      for (const row of res.rows) if (row.idempotency_key !== null) byKey.set(row.idempotency_key, row.id);
      return rows.map((r, i) => {
        const id = r.key !== null ? byKey.get(r.key) : res.rows[i]?.id;
        // Unreachable with the bench's unique keys; thrown, the batch is retried row by row and fails visibly.
        if (id === undefined) throw new Error('a batched row came back without its key');
        return id;
      });
    }),
    PG_BATCH_MAX,
  );
  return {
    insert: insertOne,
    insertGrouped: grouped,
    get: async (groupId, id) => {
      const r = await pool.query<Record<string, unknown>>({ name: 'ceiling_get', text: 'SELECT * FROM receipts WHERE id = $1 AND group_id = $2', values: [id, groupId] });
      return r.rows[0];
    },
    list: async (groupId, limit) => {
      const r = await pool.query<ListRow>({ name: 'ceiling_list', text: 'SELECT * FROM receipts WHERE group_id = $1 ORDER BY id DESC LIMIT $2', values: [groupId, limit] });
      return r.rows;
    },
    close: async () => {
      await kysely.destroy();
    },
  };
}

// The list item, built the plain way: the fields of http/views/receipt.ts in the same order and
// formats, read straight from the parsed columns.
const money = (k: number) => `${k < 0 ? '-' : ''}${Math.trunc(Math.abs(k) / 100)}.${(Math.abs(k) % 100).toString().padStart(2, '0')}`;
const quantity = (q: number) => {
  const frac = (q % 1_000_000).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${Math.trunc(q / 1_000_000)}.${frac}` : `${Math.trunc(q / 1_000_000)}`;
};

function listItem(row: ListRow) {
  const req = JSON.parse(row.request) as StoredRequest;
  const fiscal = row.fiscal === null ? null : (JSON.parse(row.fiscal) as FiscalResult);
  const error = row.error === null ? null : (JSON.parse(row.error) as ReceiptError);
  const reg = fiscal?.registration ?? null;
  let paid = 0;
  for (const p of req.payments) paid += p.sum;
  const dt = fiscal ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(fiscal.dateTime) : null;
  return {
    id: row.id,
    order_id: req.orderId,
    user_id: row.user_id,
    service_id: row.group_id,
    state: row.state,
    error,
    mistaken_receipt_number: req.mistakenReceiptNumber,
    email: req.email,
    phone_number: req.phone,
    receiptType: req.receiptType,
    tax_system: req.taxSystem,
    need_print: req.needPrint,
    cashier: req.cashier,
    correction_data: req.correction
      ? { correction_reason: req.correction.reason, correction_date: req.correction.date, doc_number: req.correction.docNumber, precept: req.correction.type === 1 }
      : null,
    registrator_id: row.device_id,
    fiscal_sign: fiscal?.fiscalSign ?? null,
    receipt_num: fiscal?.fdNumber ?? null,
    shift_num: fiscal?.shiftNumber ?? null,
    receipt_in_shift_num: fiscal?.receiptInShift ?? null,
    registration_datetime: fiscal?.dateTime ?? null,
    payments_total: money(paid),
    commodities_total_cost: money(req.total),
    change: money(req.change),
    commodities: req.items.map((it) => ({
      name: it.name,
      quantity: quantity(it.quantity),
      price: money(it.price),
      total: money(it.total),
      commodity_type_int: it.paymentObject,
      payment_state_int: it.paymentMethod,
      quantity_prec: it.quantityPrec ?? (it.quantity % 1_000_000).toString().padStart(6, '0').replace(/0+$/, '').length,
      quantity_unit: it.unit,
      tax_type_int: it.taxTypeInt ?? VAT_1199_TO_TAX_TYPE_INT[it.vat],
      tax_type: VAT_RATES[it.vat].name,
      measure: it.measure,
    })),
    payments: req.payments.map((p) => ({ payment_sum: money(p.sum), paymetn_sum: money(p.sum), payment_type_int: p.type })),
    registration_number: reg?.registrationNumber ?? null,
    registrator_serial: reg?.registratorSerial ?? null,
    fn_serial: reg?.fnSerial ?? null,
    ffd_version: reg?.ffdVersion ?? null,
    ofd_name: reg?.ofdName ?? null,
    ffd_inn: reg?.ofdInn ?? null,
    ofd_inn: reg?.ofdInn ?? null,
    company_name: reg?.companyName ?? null,
    company_inn: reg?.companyInn ?? null,
    operations_address: reg?.operationsAddress ?? null,
    operations_place: reg?.operationsPlace ?? null,
    qr: fiscal && reg
      ? `t=${dt ? `${dt[1]}${dt[2]}${dt[3]}T${dt[4]}${dt[5]}` : ''}&s=${money(fiscal.total)}&fn=${reg.fnSerial}&i=${fiscal.fdNumber}&fp=${fiscal.fiscalSign}&n=${req.operationType}`
      : null,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    // The bench's receipts have no callback_url; one with it would need the outbox read the server does.
    callback: row.callback_url === null ? null : { url: row.callback_url },
  };
}

interface Body {
  payments?: { payment_sum?: number }[];
  order_id?: string | number;
}

async function main(): Promise<void> {
  const kind = process.env.BENCH_DB;
  const store =
    kind === 'postgres' ? await postgresStore(process.env.BENCH_PG_URL ?? '') : await sqliteStore(process.env.BENCH_SQLITE_FILE ?? '');
  const app = Fastify({ logger: false });
  const newRow = (request: { params: { gid: string }; headers: Record<string, string | string[] | undefined>; body: Body }): NewRow => {
    const text = JSON.stringify(request.body);
    const key = request.headers['idempotency-key'];
    return {
      groupId: Number(request.params.gid),
      key: typeof key === 'string' ? key : null,
      hash: createHash('sha256').update(text).digest('hex'),
      request: text,
      orderId: request.body.order_id === undefined ? null : String(request.body.order_id),
      total: Math.round((request.body.payments ?? []).reduce((a, p) => a + (p.payment_sum ?? 0), 0) * 100),
      now: Date.now(),
    };
  };
  app.post<{ Params: { gid: string }; Body: Body }>('/ceiling/:gid/receipts/', async (request) => {
    const r = newRow(request);
    const id = await store.insert(r);
    return { id: String(id), location: `/ceiling/${r.groupId}/receipts/${id}` };
  });
  app.post<{ Params: { gid: string }; Body: Body }>('/ceiling/:gid/receipts/group-commit', async (request) => {
    const r = newRow(request);
    const id = await store.insertGrouped(r);
    return { id: String(id), location: `/ceiling/${r.groupId}/receipts/${id}` };
  });
  app.get<{ Params: { gid: string }; Querystring: { limit?: string } }>('/ceiling/:gid/receipts/', async (request) => {
    const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? '100') || 100));
    // One row more than the page, as the server reads it, to know whether a next page exists.
    const rows = await store.list(Number(request.params.gid), limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(listItem),
      next_cursor: rows.length > limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
    };
  });
  app.get<{ Params: { gid: string; rid: string } }>('/ceiling/:gid/receipts/:rid', async (request, reply) => {
    const row = await store.get(Number(request.params.gid), Number(request.params.rid));
    if (!row) return reply.code(404).send({ error: 'not found' });
    return row;
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'batches') process.send?.({ type: 'batches', ...batches });
  });
  process.send?.({ type: 'ready', url, groups: [1] });
  process.on('SIGTERM', () => {
    void (async () => {
      await app.close();
      await store.close();
      process.exit(0);
    })();
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`ceiling-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
