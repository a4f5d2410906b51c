import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type UpdateQueryBuilder, type UpdateResult, type Updateable } from 'kysely';
import type { Database, ReceiptsTable } from './schema.js';
import type { Db } from './db.js';
import { fenceHolds, type Fence } from './fence.js';
import { RECEIPT_STATES, type ReceiptState } from '../domain/enums.js';
import type { ReceiptError, StoredRequest } from '../domain/records.js';
import type { FiscalResult } from '../devices/driver.js';
import { parseStored, parseStoredOrNull, storedEnum } from './json.js';
import { OUTBOX_COLUMNS, eventOf, outboxSelect, outboxValues, type CallbackEvent, type DeliverySummary } from './callbacks.js';

type ReceiptRow = Selectable<ReceiptsTable>;

/** A stored receipt: its JSON columns parsed, its state one of api.md's. */
export type ReceiptRecord = Omit<ReceiptRow, 'state' | 'request' | 'fiscal' | 'error'> & {
  state: ReceiptState;
  request: StoredRequest;
  fiscal: FiscalResult | null;
  error: ReceiptError | null;
  /**
   * The latest callback delivery of a receipt with a callback_url, when the reader attached it
   * (services/receipts.ts); the view's `callback`. Absent: not read (the view then shows none).
   */
  delivery?: DeliverySummary | null;
};

/** `request`: the object just stored, when the caller has it (spares parsing it back). */
export function toReceiptRecord(row: ReceiptRow, request?: StoredRequest): ReceiptRecord {
  return {
    ...row,
    state: storedEnum(RECEIPT_STATES, row.state, 'receipts.state'),
    request: request ?? parseStored<StoredRequest>(row.request),
    fiscal: parseStoredOrNull<FiscalResult>(row.fiscal),
    error: parseStoredOrNull<ReceiptError>(row.error),
  };
}

export interface NewReceipt {
  groupId: number;
  userId: number;
  deviceId: number | null;
  idempotencyKey: string | null;
  /** sha256 of the request's JSON text (idempotency comparisons). */
  requestHash: string;
  request: StoredRequest;
  /** JSON.stringify(request), when the caller already made it (it hashed it): not made twice. */
  requestText?: string;
  orderId: string | null;
  receiptType: number;
  total: number;
  /** Where the outcome is POSTed (already checked by the service); absent or null: no callback. */
  callbackUrl?: string | null;
}

export type InsertOutcome = { kind: 'created'; row: ReceiptRecord } | { kind: 'replay'; row: ReceiptRecord } | { kind: 'conflict'; row: ReceiptRecord };

export interface ListFilter {
  groupId: number;
  createdFrom: number | null;
  createdTo: number | null;
  orderId: string | null;
  state: ReceiptState | null;
  beforeId: number | null;
  limit: number;
}

const rowValues = (r: NewReceipt, now: number) => ({
  group_id: r.groupId,
  user_id: r.userId,
  device_id: r.deviceId,
  state: 'pending',
  attempts: 0,
  idempotency_key: r.idempotencyKey,
  request_hash: r.requestHash,
  request: r.requestText ?? JSON.stringify(r.request),
  order_id: r.orderId,
  receipt_type: r.receiptType,
  total: r.total,
  created_at: now,
  updated_at: now,
  callback_url: r.callbackUrl ?? null,
});

type NewRow = ReturnType<typeof rowValues>;
const sentKey = (r: Pick<NewRow, 'group_id' | 'idempotency_key' | 'user_id' | 'request_hash' | 'created_at'>) =>
  `${r.group_id}\0${r.idempotency_key === null ? '' : `k${r.idempotency_key}`}\0${r.user_id}\0${r.request_hash}\0${r.created_at}`;

/** What the INSERT returns of each row: the id, and the columns that match it to what was sent. */
type Returned = Pick<ReceiptRow, 'id' | 'group_id' | 'idempotency_key' | 'user_id' | 'request_hash' | 'created_at'>;

/**
 * RETURNING only the id and what matches a row to what was sent: the rest of a new row is what was
 * sent and the columns' empty defaults, so the database does not send every receipt's request text
 * back (a tenth of the accept path's CPU).
 */
const insertStatement = (q: Kysely<Database>, rows: NewRow[]) =>
  q
    .insertInto('receipts')
    .values(rows)
    .onConflict((oc) => oc.columns(['group_id', 'idempotency_key']).doNothing())
    .returning(['id', 'group_id', 'idempotency_key', 'user_id', 'request_hash', 'created_at']);

/** A new row as stored: what was sent, its id, and the columns' empty defaults (one object shape for every row). */
const storedRow = (r: NewRow, id: number): ReceiptRow => ({
  id, group_id: r.group_id, user_id: r.user_id, device_id: r.device_id, state: r.state, attempts: r.attempts, error: null,
  idempotency_key: r.idempotency_key, request_hash: r.request_hash, request: r.request, order_id: r.order_id,
  receipt_type: r.receipt_type, total: r.total, fd_before: null, fd_number: null, fiscal: null, created_at: r.created_at,
  updated_at: r.updated_at, fiscalized_at: null, claim_epoch: null, callback_url: r.callback_url,
});

const sameRow = (r: NewRow, b: Returned): boolean =>
  b.group_id === r.group_id && b.idempotency_key === r.idempotency_key && b.user_id === r.user_id && b.request_hash === r.request_hash && b.created_at === r.created_at;

/** The rows inserted (a key already taken inserts nothing), rebuilt from what was sent. */
function matchBack(rows: NewRow[], back: Returned[]): ReceiptRow[] {
  // One row, the accept path's every POST on SQLite: compared field by field, no keys built.
  const only = rows.length === 1 ? rows[0] : undefined;
  if (only) {
    const b = back[0];
    if (back.length > 1 || (b && !sameRow(only, b))) throw new Error('receipt insert returned a row that was not sent');
    return b ? [storedRow(only, b.id)] : [];
  }
  const sent = new Map<string, NewRow[]>();
  for (const r of rows) {
    const k = sentKey(r);
    const list = sent.get(k);
    if (list) list.push(r);
    else sent.set(k, [r]);
  }
  const out: ReceiptRow[] = [];
  for (const b of back) {
    const r = sent.get(sentKey(b))?.shift();
    if (!r) throw new Error('receipt insert returned a row that was not sent');
    out.push(storedRow(r, b.id));
  }
  return out;
}

const insertRows = async (q: Kysely<Database>, rows: NewRow[]): Promise<ReceiptRow[]> => matchBack(rows, await insertStatement(q, rows).execute());

type InsertOne = (q: Kysely<Database>, r: NewReceipt, now: number) => Promise<ReceiptRow | undefined>;

/**
 * The one-row INSERT of an accepted receipt, built and compiled once (Kysely's builder and compiler
 * were ~13 % of the accept path's CPU): each column's value is located in the compiled parameters by
 * a sentinel, so the column order the compiler chose never matters. With precompiled reads off it
 * is built at every call, as before.
 */
function oneRowInsert(db: Kysely<Database>, precompiled: boolean): InsertOne {
  if (!precompiled) return async (q, r, now) => (await insertRows(q, [rowValues(r, now)]))[0];
  const columns = Object.keys(rowValues({ groupId: 0, userId: 0, deviceId: null, idempotencyKey: null, requestHash: '', request: {} as StoredRequest, requestText: '', orderId: null, receiptType: 0, total: 0 }, 0)) as (keyof NewRow)[];
  const sentinel = (i: number) => `\u0000column-${i}`;
  const compiled = insertStatement(db, [Object.fromEntries(columns.map((c, i) => [c, sentinel(i)])) as unknown as NewRow]).compile();
  const positions = compiled.parameters.map((p) => {
    const at = columns.findIndex((_, i) => p === sentinel(i));
    if (at < 0) throw new Error(`the receipt INSERT has a parameter that is not a column: ${String(p)}`);
    return columns[at] as keyof NewRow;
  });
  return async (q, r, now) => {
    const row = rowValues(r, now);
    const { rows } = await q.executeQuery<Returned>({ ...compiled, parameters: positions.map((c) => row[c]) });
    return matchBack([row], rows)[0];
  };
}

/** At most this many receipts per batched INSERT (14 parameters each, far below PostgreSQL's 65535). */
const PG_BATCH_MAX = 500;

/**
 * Batched accept for PostgreSQL: the receipts of concurrent POSTs that arrive in one event-loop
 * turn go to the database as one multi-row INSERT — one round trip and one WAL flush instead of one
 * each, which was most of the accept path's cost (socket writes to the server, PostgreSQL's commit).
 * Every caller is answered after that statement committed. RETURNING promises no row order, so
 * rows are matched to callers by content: a keyed row by its key and body, an unkeyed one by its
 * whole content — two identical unkeyed receipts are interchangeable, each caller still gets its
 * own id. A caller whose key an earlier row (stored, or in the same batch) already holds gets no
 * row and goes the usual replay/conflict way. If the statement fails, each insert is retried alone.
 * With group commit switched off every insert is its own statement.
 */
function createPgInsertBatcher(db: Db, insertRow: InsertOne): (r: NewReceipt, now: number) => Promise<ReceiptRow | undefined> {
  type Item = { r: NewReceipt; now: number };
  const contentKey = (groupId: number, key: string | null, userId: number, hash: string, now: number) =>
    `${groupId}\0${key === null ? '' : `k${key}`}\0${userId}\0${hash}\0${now}`;
  const run = db.fast.batcher<Item, ReceiptRow | undefined>(
    (it) => insertRow(db.kysely, it.r, it.now),
    async (items) => {
      const rows = await insertRows(db.kysely, items.map((it) => rowValues(it.r, it.now)));
      const byContent = new Map<string, ReceiptRow[]>();
      for (const row of rows) {
        const k = contentKey(row.group_id, row.idempotency_key, row.user_id, row.request_hash, row.created_at);
        const list = byContent.get(k);
        if (list) list.push(row);
        else byContent.set(k, [row]);
      }
      return items.map((it) => byContent.get(contentKey(it.r.groupId, it.r.idempotencyKey, it.r.userId, it.r.requestHash, it.now))?.shift());
    },
    PG_BATCH_MAX,
  );
  return (r, now) => run({ r, now });
}

/** The pool view's share of traffic looks at most at this many of the group's newest successes. */
export const SHARE_SAMPLE = 10_000;

/** A fiscalized receipt whose success is written together with the next claim. */
export interface Completed {
  id: number;
  fdNumber: number;
  fiscal: FiscalResult;
}

/** What claimNext did: whether the fence held, whether `complete` was written, the claimed row. */
export interface Claim {
  fenced: boolean;
  completed: boolean;
  row?: ReceiptRecord;
  /**
   * Another receipt of the group waits behind the claimed one: the worker asks the scheduler to wake
   * an idle peer (one wake-up per arrival, so a burst spreads over the pool one claim at a time).
   */
  more: boolean;
}

export interface ReceiptRepositoryOptions {
  /** A callback delivery was queued with a receipt's outcome (after its commit): wakes the delivery worker. */
  onCallbackQueued?: () => void;
}

/** An UPDATE of one receipt, not yet executed: a final state's write, to run with its outbox row. */
type ReceiptUpdate = UpdateQueryBuilder<Database, 'receipts', 'receipts', UpdateResult>;

export function createReceiptRepository(handle: Db, options: ReceiptRepositoryOptions = {}) {
  const { kysely: db, dialect, fast } = handle;

  /**
   * Writes a receipt's final state (success or failed) together with its callback delivery, when
   * the receipt has a callback_url: both or neither. The delivery is queued only when the UPDATE
   * changed the row, so a write that is repeated (a retry after an error, a stale worker, a second
   * markSuccess) cannot queue a second one: exactly one delivery per outcome. PostgreSQL: one
   * statement (the UPDATE … RETURNING in a CTE feeding the INSERT), no extra round trip for receipts
   * without a callback. SQLite: the UPDATE … RETURNING and the INSERT in one transaction — the
   * group commit's batch when the write runs in one, its own otherwise.
   */
  const finalWrite = async (q: Kysely<Database>, update: (q: Kysely<Database>) => ReceiptUpdate, event: CallbackEvent): Promise<boolean> => {
    const returning = ['receipts.id', 'receipts.group_id', 'receipts.user_id', 'receipts.callback_url'] as const;
    if (dialect === 'postgres') {
      const rows = await q
        .with('outcome', () => update(q).returning(returning))
        .with('queued', (qc) => qc.insertInto('callback_deliveries').columns(OUTBOX_COLUMNS).expression(outboxSelect('outcome', randomUUID(), event)).returning('id'))
        .selectFrom('outcome')
        .select(['outcome.id', 'outcome.callback_url'])
        .execute();
      const row = rows[0];
      if (row?.callback_url) options.onCallbackQueued?.();
      return rows.length === 1;
    }
    const run = async (t: Kysely<Database>): Promise<{ changed: boolean; queued: boolean }> => {
      const row = (await update(t).returning(returning).execute())[0];
      if (!row) return { changed: false, queued: false };
      if (row.callback_url === null) return { changed: true, queued: false };
      await t.insertInto('callback_deliveries').values(outboxValues(dialect, { ...row, callback_url: row.callback_url }, event, 'outcome')).execute();
      return { changed: true, queued: true };
    };
    const done = q.isTransaction ? await run(q) : await q.transaction().execute(run);
    // Inside a group-commit batch the caller is answered after the batch commits; the wake-up may
    // come a moment before that, and the worker then finds the row on its next look (the poll).
    if (done.queued) options.onCallbackQueued?.();
    return done.changed;
  };

  /** The worker's own receipt, as ownOutcome's condition: still processing, claimed by this device under this epoch, lease held. */
  const ownReceipt = (q: Kysely<Database>, fence: Fence, id: number, values: Updateable<ReceiptsTable>): ReceiptUpdate =>
    q
      .updateTable('receipts')
      .set(values)
      .where('id', '=', id)
      .where('state', '=', 'processing')
      .where('device_id', '=', fence.deviceId)
      .where('claim_epoch', '=', fence.epoch)
      .where(fenceHolds(dialect, fence));
  /**
   * An outcome of the worker's own receipt: changes it only while it is still processing, claimed
   * by this device under this epoch, and the lease still holds. Anything else is a stale write.
   */
  const ownOutcome = async (q: Kysely<Database>, fence: Fence, id: number, values: Updateable<ReceiptsTable>): Promise<boolean> => {
    const r = await ownReceipt(q, fence, id, values).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  };
  const successOf = (q: Kysely<Database>, fence: Fence, id: number, fdNumber: number, fiscal: FiscalResult, now: number) =>
    finalWrite(q, (t) => ownReceipt(t, fence, id, { state: 'success', fd_number: fdNumber, fiscal: JSON.stringify(fiscal), error: null, fiscalized_at: now, updated_at: now }), 'receipt.success');

  // The queue's writes go through the handle's group commit (SQLite; direct on PostgreSQL, see FastPaths.write).
  const write = <T>(w: (q: Kysely<Database>) => Promise<T>): Promise<T> => fast.write(w);
  const insertRow = oneRowInsert(db, fast.switches.precompiled);
  const insertOne = dialect === 'sqlite' ? (r: NewReceipt, now: number) => write((q) => insertRow(q, r, now)) : createPgInsertBatcher(handle, insertRow);
  const byIdForAll = fast.precompile<[number, number], ReceiptRow>(2, (id, groupId) =>
    db.selectFrom('receipts').selectAll().where('id', '=', id).where('group_id', '=', groupId),
  );
  const byIdForUser = fast.precompile<[number, number, number], ReceiptRow>(3, (id, groupId, userId) =>
    db
      .selectFrom('receipts')
      .selectAll()
      .where('id', '=', id)
      .where('group_id', '=', groupId)
      .where((eb) => eb.exists(eb.selectFrom('group_access').select('user_id').whereRef('group_access.group_id', '=', 'receipts.group_id').where('group_access.user_id', '=', userId))),
  );
  const byKey = (groupId: number, key: string) =>
    db.selectFrom('receipts').selectAll().where('group_id', '=', groupId).where('idempotency_key', '=', key).executeTakeFirst();

  return {
    /**
     * Stores a pending receipt. With an idempotency key: the same key and body returns the stored
     * receipt (nothing new queued); another body is a conflict. Two concurrent requests with one key
     * race on the unique index, and the loser reads the winner's row.
     */
    async insert(r: NewReceipt, now: number): Promise<InsertOutcome> {
      // Insert first: the common case costs one statement. A key already used (also by a
      // concurrent request racing on the unique index) inserts nothing, and the stored row decides.
      const row = await insertOne(r, now);
      if (row) return { kind: 'created', row: toReceiptRecord(row, r.request) };
      const existing = r.idempotencyKey === null ? undefined : await byKey(r.groupId, r.idempotencyKey);
      if (!existing) throw new Error('receipt insert conflicted without an idempotency key');
      return { kind: existing.request_hash === r.requestHash ? 'replay' : 'conflict', row: toReceiptRecord(existing) };
    },

    async get(groupId: number, id: number): Promise<ReceiptRecord | undefined> {
      const [row] = await byIdForAll(id, groupId);
      return row && toReceiptRecord(row);
    },

    /**
     * The receipt if `userId` may use its group (null: a superuser, who may use all) — the API's GET
     * in one statement. Undefined for a missing receipt, a missing group and a forbidden group alike:
     * the caller tells those apart only on that rare path.
     */
    async getVisible(groupId: number, id: number, userId: number | null): Promise<ReceiptRecord | undefined> {
      const [row] = userId === null ? await byIdForAll(id, groupId) : await byIdForUser(id, groupId, userId);
      return row && toReceiptRecord(row);
    },

    async list(f: ListFilter): Promise<ReceiptRecord[]> {
      let q = db.selectFrom('receipts').selectAll().where('group_id', '=', f.groupId);
      if (f.createdFrom !== null) q = q.where('created_at', '>=', f.createdFrom);
      if (f.createdTo !== null) q = q.where('created_at', '<', f.createdTo);
      if (f.orderId !== null) q = q.where('order_id', '=', f.orderId);
      if (f.state !== null) q = q.where('state', '=', f.state);
      if (f.beforeId !== null) q = q.where('id', '<', f.beforeId);
      return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map((row) => toReceiptRecord(row));
    },

    /**
     * Claims the oldest pending receipt of the group for the device (state → processing) in one
     * statement, recording the device's last FD number known before the call (the in-doubt
     * protocol's reference: a value at or below the true one only widens the later search) and the
     * lease epoch it was claimed under. On PostgreSQL SKIP LOCKED keeps two claimers from ever
     * taking the same row; on SQLite the single writer serializes the UPDATE.
     *
     * Fenced: nothing is claimed or completed unless the device's lease still names `fence`'s owner
     * and epoch (`fenced: false` then — the caller lost the device and must stop).
     *
     * `complete`: the previous receipt's success, written atomically with the claim (one round
     * trip and one commit instead of two). The worker hands it over only if the device did nothing
     * since that receipt, so the success is durable before the device's next operation either way.
     */
    async claimNext(groupId: number, fence: Fence, fdBefore: number, now: number, complete?: Completed): Promise<Claim> {
      // Only a register in service claims: routing reads "maintenance" from a cache a few seconds
      // old (and from another node's write later still), the claim from the row itself — a register
      // put in maintenance takes no new receipt from that moment, so the drain it waits for is real.
      const inService = sql`EXISTS (SELECT 1 FROM devices WHERE id = ${fence.deviceId} AND service = 'active')`;
      const claimSql = sql<ReceiptRow>`UPDATE receipts SET state = 'processing', device_id = ${fence.deviceId}, fd_before = ${fdBefore}, claim_epoch = ${fence.epoch},
            attempts = attempts + 1, updated_at = ${now}
          WHERE id = (SELECT id FROM receipts WHERE group_id = ${groupId} AND state = 'pending' ORDER BY id LIMIT 1)
          AND state = 'pending' AND ${inService}
          RETURNING *`;
      if (dialect === 'postgres') {
        // Data-modifying WITHs run exactly once and to completion; the fence CTE share-locks the
        // lease row for the whole statement (see fenceHolds).
        // The previous receipt's success queues its callback delivery in the same statement (finalWrite).
        const done = complete
          ? sql`, done AS (
              UPDATE receipts SET state = 'success', fd_number = ${complete.fdNumber}, fiscal = ${JSON.stringify(complete.fiscal)}, error = NULL,
                fiscalized_at = ${now}, updated_at = ${now}
              WHERE id = ${complete.id} AND state = 'processing' AND device_id = ${fence.deviceId} AND claim_epoch = ${fence.epoch} AND EXISTS (SELECT 1 FROM fence)
              RETURNING id, group_id, user_id, callback_url),
            done_queued AS (
              INSERT INTO callback_deliveries (${sql.join(OUTBOX_COLUMNS.map((c) => sql.ref(c)))}) ${outboxSelect('done', randomUUID(), 'receipt.success')}
              RETURNING id)`
          : sql`, done AS (SELECT 1 AS id WHERE false), done_queued AS (SELECT 1 AS id WHERE false)`;
        const r = await sql<ReceiptRow & { fence_ok: number; done_n: number; queued_n: number; more_n: boolean }>`WITH fence AS (
              SELECT 1 AS ok FROM devices WHERE id = ${fence.deviceId} AND lease_owner = ${fence.owner} AND lease_epoch = ${fence.epoch} FOR SHARE)
            ${done},
            claimed AS (
              UPDATE receipts SET state = 'processing', device_id = ${fence.deviceId}, fd_before = ${fdBefore}, claim_epoch = ${fence.epoch},
                attempts = attempts + 1, updated_at = ${now}
              WHERE id = (SELECT id FROM receipts WHERE group_id = ${groupId} AND state = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
              AND state = 'pending' AND EXISTS (SELECT 1 FROM fence) AND ${inService}
              RETURNING *)
          SELECT (SELECT count(*) FROM fence)::int AS fence_ok, (SELECT count(*) FROM done)::int AS done_n, (SELECT count(*) FROM done_queued)::int AS queued_n,
            EXISTS (SELECT 1 FROM receipts WHERE group_id = ${groupId} AND state = 'pending' AND id > (SELECT id FROM claimed)) AS more_n, claimed.*
          FROM (SELECT 1) AS one LEFT JOIN claimed ON true`.execute(db);
        const first = r.rows[0];
        if (!first || Number(first.fence_ok) === 0) return { fenced: false, completed: false, more: false };
        const { fence_ok: _f, done_n, queued_n, more_n, ...row } = first;
        if (Number(queued_n) > 0) options.onCallbackQueued?.();
        // LEFT JOIN: with nothing claimed the row's columns are all NULL (and more_n false).
        return { fenced: true, completed: !complete || Number(done_n) === 1, more: more_n === true, ...(row.id === null ? {} : { row: toReceiptRecord(row) }) };
      }
      return write(async (q) => {
        const ok = await sql<{ ok: number }>`SELECT 1 AS ok FROM devices WHERE id = ${fence.deviceId} AND lease_owner = ${fence.owner} AND lease_epoch = ${fence.epoch}`.execute(q);
        if (ok.rows.length === 0) return { fenced: false, completed: false, more: false };
        const completed = complete ? (await successOf(q, fence, complete.id, complete.fdNumber, complete.fiscal, now)) : true;
        const row = (await claimSql.execute(q)).rows[0];
        if (!row) return { fenced: true, completed, more: false };
        const more = (await sql<{ n: number }>`SELECT 1 AS n FROM receipts WHERE group_id = ${groupId} AND state = 'pending' LIMIT 1`.execute(q)).rows.length > 0;
        return { fenced: true, completed, more, row: toReceiptRecord(row) };
      });
    },

    /** The worker's own receipt (claimed under this epoch, still processing) fiscalized. False: a stale write, nothing changed. */
    async markSuccess(fence: Fence, id: number, fdNumber: number, fiscal: FiscalResult, now: number): Promise<boolean> {
      return write((q) => successOf(q, fence, id, fdNumber, fiscal, now));
    },

    async markFailed(fence: Fence, id: number, error: ReceiptError, now: number): Promise<boolean> {
      return write((q) => finalWrite(q, (t) => ownReceipt(t, fence, id, { state: 'failed', error: JSON.stringify(error), updated_at: now }), 'receipt.failed'));
    },

    async markInDoubt(fence: Fence, id: number, error: ReceiptError, now: number): Promise<boolean> {
      return write((q) => ownOutcome(q, fence, id, { state: 'in_doubt', error: JSON.stringify(error), updated_at: now }));
    },

    /**
     * Back to the queue: nothing was fiscalized (device offline before sending, a passing refusal).
     * Nothing reached the FN, so the receipt is no longer the register's: any register of the pool
     * may take it.
     */
    async release(fence: Fence, id: number, error: ReceiptError | null, now: number): Promise<boolean> {
      const values = { state: 'pending', error: error === null ? null : JSON.stringify(error), fd_before: null, device_id: null, updated_at: now };
      return write((q) => ownOutcome(q, fence, id, values));
    },

    /**
     * In-doubt resolution by the device's current lease holder: the receipt (left processing or in
     * doubt, possibly under an older epoch) was registered as document `fdNumber`, or was not
     * (`null`: back to the queue). Conditional on the receipt still being unresolved and the fence.
     */
    async resolve(fence: Fence, id: number, outcome: { fdNumber: number; fiscal: FiscalResult } | null, now: number): Promise<boolean> {
      const values = outcome
        ? { state: 'success', fd_number: outcome.fdNumber, fiscal: JSON.stringify(outcome.fiscal), error: null, fiscalized_at: now, updated_at: now }
        : // The FN's journal says it never got there: free to go to any register of the pool.
          { state: 'pending', error: null, fd_before: null, device_id: null, updated_at: now };
      const unresolved = (q: Kysely<Database>) =>
        q.updateTable('receipts').set(values).where('id', '=', id).where('state', 'in', ['processing', 'in_doubt']).where(fenceHolds(dialect, fence));
      // Found registered: a final state, so its callback is queued with it.
      if (outcome) return write((q) => finalWrite(q, unresolved, 'receipt.success'));
      return write(async (q) => Number((await unresolved(q).executeTakeFirst()).numUpdatedRows) === 1);
    },

    /** FD numbers in [from, to] that receipts of the device own (the journal reconciliation skips them without asking the device). */
    async ownedFds(deviceId: number, from: number, to: number): Promise<Set<number>> {
      const rows = await db
        .selectFrom('receipts')
        .select('fd_number')
        .where('device_id', '=', deviceId)
        .where('fd_number', '>=', from)
        .where('fd_number', '<=', to)
        .execute();
      return new Set(rows.map((r) => Number(r.fd_number)));
    },

    /** The highest FD number a receipt of the device owns (a device reporting less is not the FN we used). */
    async maxOwnedFd(deviceId: number): Promise<number | null> {
      const r = await db
        .selectFrom('receipts')
        .select((eb) => eb.fn.max('fd_number').as('m'))
        .where('device_id', '=', deviceId)
        // Matches the partial index receipts_device_fd: one index probe, not a scan of the device's receipts.
        .where('fd_number', 'is not', null)
        .executeTakeFirst();
      return r?.m === null || r?.m === undefined ? null : Number(r.m);
    },

    /**
     * Receipts a register's worker must resolve before taking new work: left processing by a dead
     * process, or in doubt. Pinned to the register that was sent them: only its FN can say whether
     * they were registered, so no other register of the pool ever takes them.
     */
    async unresolved(groupId: number, deviceId: number): Promise<ReceiptRecord[]> {
      // group_id first: the partial index receipts_unresolved holds only the group's few open rows.
      const rows = await db
        .selectFrom('receipts')
        .selectAll()
        .where('group_id', '=', groupId)
        .where('device_id', '=', deviceId)
        .where('state', 'in', ['processing', 'in_doubt'])
        .orderBy('id')
        .execute();
      return rows.map((row) => toReceiptRecord(row));
    },

    /**
     * Per register of the group: receipts it holds unfinished (processing or in doubt) and those it
     * fiscalized since `since` — the pool view's queue and share of traffic. Bounded whatever the
     * history: the open rows come through receipts_unresolved, and the recent ones from the newest
     * SHARE_SAMPLE successes through receipts_group_state, read backwards.
     */
    async poolCounts(groupId: number, since: number): Promise<Map<number, { open: number; recent: number }>> {
      const [open, recent] = await Promise.all([
        db
          .selectFrom('receipts')
          .select(['device_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('group_id', '=', groupId)
          .where('state', 'in', ['processing', 'in_doubt'])
          .groupBy('device_id')
          .execute(),
        db
          .selectFrom((eb) =>
            eb.selectFrom('receipts').select(['device_id', 'fiscalized_at']).where('group_id', '=', groupId).where('state', '=', 'success').orderBy('id', 'desc').limit(SHARE_SAMPLE).as('latest'),
          )
          .select(['device_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('fiscalized_at', '>=', since)
          .groupBy('device_id')
          .execute(),
      ]);
      const out = new Map<number, { open: number; recent: number }>();
      const at = (id: number | null) => {
        const key = Number(id);
        const cur = out.get(key) ?? { open: 0, recent: 0 };
        out.set(key, cur);
        return cur;
      };
      for (const r of open) if (r.device_id !== null) at(r.device_id).open = Number(r.n);
      for (const r of recent) if (r.device_id !== null) at(r.device_id).recent = Number(r.n);
      return out;
    },

    /**
     * The groups with work waiting — a pending receipt or a manual job: the node's scheduler wakes
     * only their workers. Read from the partial indexes of the waiting rows (receipts_pending,
     * device_jobs_pending), so it costs nothing when the queues are empty, whatever the number of
     * groups or the size of the history.
     */
    async groupsWithWork(): Promise<{ receipts: number[]; jobs: number[] }> {
      const r = await sql<{ group_id: number; job: number }>`SELECT DISTINCT group_id, 0 AS job FROM receipts WHERE state = 'pending'
        UNION SELECT DISTINCT group_id, 1 AS job FROM device_jobs WHERE state IN ('pending', 'processing')`.execute(db);
      const out: { receipts: number[]; jobs: number[] } = { receipts: [], jobs: [] };
      for (const row of r.rows) (Number(row.job) === 1 ? out.jobs : out.receipts).push(Number(row.group_id));
      return out;
    },

    /** Receipts a register holds unfinished: it cannot leave the pool while any remain. */
    async openOnDevice(groupId: number, deviceId: number): Promise<number> {
      const r = await db
        .selectFrom('receipts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('group_id', '=', groupId)
        .where('device_id', '=', deviceId)
        .where('state', 'in', ['processing', 'in_doubt'])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async queueLength(groupId: number): Promise<number> {
      const r = await db
        .selectFrom('receipts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('group_id', '=', groupId)
        .where('state', 'in', ['pending', 'processing', 'in_doubt'])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async countByState(): Promise<{ group_id: number; state: ReceiptState; n: number }[]> {
      const rows = await db
        .selectFrom('receipts')
        .select(['group_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['group_id', 'state'])
        .execute();
      return rows.map((r) => ({ group_id: r.group_id, state: storedEnum(RECEIPT_STATES, r.state, 'receipts.state'), n: Number(r.n) }));
    },

    /**
     * Admin actions. Conditional on the current state, so they cannot race the worker: a receipt the
     * worker has already claimed is no longer pending and the cancel does not apply.
     */
    async cancel(groupId: number, id: number, error: ReceiptError, now: number): Promise<boolean> {
      // A canceled receipt is failed: its callback is queued with the cancel.
      return finalWrite(
        db,
        (q) => q.updateTable('receipts').set({ state: 'failed', error: JSON.stringify(error), updated_at: now }).where('id', '=', id).where('group_id', '=', groupId).where('state', '=', 'pending'),
        eventOf('failed'),
      );
    },
    async retry(groupId: number, id: number, now: number): Promise<boolean> {
      const r = await db
        .updateTable('receipts')
        .set({ state: 'pending', error: null, fd_before: null, updated_at: now })
        .where('id', '=', id)
        .where('group_id', '=', groupId)
        .where('state', '=', 'failed')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** Whether a receipt of this device already owns the fiscal document (in-doubt matching must not reuse it). */
    async fdTaken(deviceId: number, fdNumber: number): Promise<boolean> {
      const r = await db.selectFrom('receipts').select('id').where('device_id', '=', deviceId).where('fd_number', '=', fdNumber).executeTakeFirst();
      return r !== undefined;
    },

    async last(groupId: number): Promise<ReceiptRecord | undefined> {
      const row = await db.selectFrom('receipts').selectAll().where('group_id', '=', groupId).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row && toReceiptRecord(row);
    },
  };
}
export type ReceiptRepository = ReturnType<typeof createReceiptRepository>;

