import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { CallbackAttemptsTable, CallbackDeliveriesTable } from './schema.js';
import type { Db, Dialect } from './db.js';
import { dbNow } from './fence.js';
import { parseStoredOrNull, storedEnum } from './json.js';

/**
 * The callbacks outbox (migration 007). Deliveries are written by the receipt repository in the
 * transaction that writes a receipt's final state (outboxValues / OUTBOX_COLUMNS below), by a
 * user's resend, and by the device repository in the transaction of the register health that
 * records a group's register event (eventValues, migration 010: no receipt, a body of its own); the
 * delivery worker claims them here under a lease and records each attempt.
 * Every time in these tables is the database's clock (dbNow): nodes whose clocks disagree, or a
 * test's injected clock, still agree on what is due and whose lease has expired.
 */

/** A receipt's outcome: the events of a receipt's callback_url. */
export const RECEIPT_EVENTS = ['receipt.success', 'receipt.failed'] as const;
export type ReceiptEvent = (typeof RECEIPT_EVENTS)[number];
/** A group's register events, sent to the group's events_url (migration 010). */
export const REGISTER_EVENTS = ['register.fn_warning'] as const;
export type RegisterEvent = (typeof REGISTER_EVENTS)[number];
export const CALLBACK_EVENTS = [...RECEIPT_EVENTS, ...REGISTER_EVENTS] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const DELIVERY_KINDS = ['outcome', 'resend', 'event'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

type DeliveryRow = Selectable<CallbackDeliveriesTable>;
export type DeliveryRecord = Omit<DeliveryRow, 'event' | 'state' | 'kind' | 'payload'> & {
  event: CallbackEvent;
  state: DeliveryState;
  kind: DeliveryKind;
  /** A register event's body as it was queued; null for a receipt's delivery (rendered from the receipt). */
  payload: Record<string, unknown> | null;
};
export type AttemptRecord = Selectable<CallbackAttemptsTable>;

const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  ...row,
  event_id: String(row.event_id),
  event: storedEnum(CALLBACK_EVENTS, row.event, 'callback_deliveries.event'),
  state: storedEnum(DELIVERY_STATES, row.state, 'callback_deliveries.state'),
  kind: storedEnum(DELIVERY_KINDS, row.kind, 'callback_deliveries.kind'),
  payload: parseStoredOrNull<Record<string, unknown>>(row.payload),
});

/** What the receipt view shows of a receipt's latest delivery. */
export type DeliverySummary = Pick<DeliveryRecord, 'state' | 'attempts' | 'last_status' | 'last_error' | 'next_attempt_at' | 'delivered_at'>;

/** A receipt's final state as an event. */
export const eventOf = (state: 'success' | 'failed'): ReceiptEvent => (state === 'success' ? 'receipt.success' : 'receipt.failed');

/** The columns an outbox row is inserted with, in the order outboxSelect lists their values. */
export const OUTBOX_COLUMNS = ['event_id', 'receipt_id', 'group_id', 'user_id', 'url', 'event', 'kind', 'state', 'attempts', 'next_attempt_at', 'created_at'] as const;

/**
 * The SELECT list of an outcome's delivery, read from the rows an UPDATE … RETURNING of receipts
 * handed to the CTE `source` (PostgreSQL writes the outcome and its delivery in one statement).
 * Due at once, on the database's clock.
 */
export function outboxSelect(source: string, eventId: string, event: CallbackEvent): RawBuilder<unknown> {
  const now = dbNow('postgres');
  return sql`SELECT CAST(${eventId} AS uuid), ${sql.ref(`${source}.id`)}, ${sql.ref(`${source}.group_id`)}, ${sql.ref(`${source}.user_id`)}, ${sql.ref(`${source}.callback_url`)},
    ${event}, 'outcome', 'pending', 0, ${now}, ${now} FROM ${sql.table(source)} WHERE ${sql.ref(`${source}.callback_url`)} IS NOT NULL`;
}

/** The values of one outcome's delivery (SQLite: inserted after the UPDATE, in its transaction). */
export function outboxValues(dialect: Dialect, r: { id: number; group_id: number; user_id: number; callback_url: string }, event: CallbackEvent, kind: 'outcome' | 'resend') {
  const now = dbNow(dialect);
  return {
    event_id: randomUUID(),
    receipt_id: r.id,
    group_id: r.group_id,
    user_id: r.user_id,
    url: r.callback_url,
    event,
    kind,
    state: 'pending',
    attempts: 0,
    next_attempt_at: now,
    created_at: now,
  };
}

/** A register event of a group, as it is queued: where it goes, who signs it, and its body. */
export interface GroupEvent {
  groupId: number;
  /** The user whose callback secret signs it (service_groups.events_user_id). */
  userId: number;
  url: string;
  event: RegisterEvent;
  /** Stable over every attempt (X-CR-Event-Id, and `event_id` in the body). */
  eventId: string;
  /** The body, fixed now: a retry sends the event as it happened. */
  body: Record<string, unknown>;
}

/** The outbox row of a register event: no receipt, due at once on the database's clock. */
export function eventValues(dialect: Dialect, e: GroupEvent) {
  const now = dbNow(dialect);
  return {
    event_id: e.eventId,
    receipt_id: null,
    group_id: e.groupId,
    user_id: e.userId,
    url: e.url,
    event: e.event,
    kind: 'event',
    state: 'pending',
    attempts: 0,
    next_attempt_at: now,
    created_at: now,
    payload: JSON.stringify(e.body),
  };
}
export type EventValues = ReturnType<typeof eventValues>;

/** A claimed delivery: the row, the claim's token, and the database's time when it was claimed. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  token: string;
  claimedAt: number;
}

export interface AttemptOutcome {
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** What the delivery becomes; `nextAttemptAt` for a pending one (database clock). */
  next: { state: 'delivered' } | { state: 'failed' } | { state: 'pending'; nextAttemptAt: number };
}

/** The attempt log of a receipt or of a group's register events: deliveries, newest first, each with its attempts in order. */
export interface DeliveryLog {
  delivery: DeliveryRecord;
  attempts: AttemptRecord[];
}

const LOG_DELIVERIES_MAX = 50;
const LOG_ATTEMPTS_MAX = 2000;

export function createCallbackRepository(handle: Pick<Db, 'kysely' | 'dialect'>) {
  const { kysely: db, dialect } = handle;
  const now = dbNow(dialect);
  /** The deliveries, each with its attempts in order (the newest 2,000 attempts of them all). */
  const withAttempts = async (deliveries: DeliveryRecord[]): Promise<DeliveryLog[]> => {
    if (deliveries.length === 0) return [];
    const attempts = await db
      .selectFrom('callback_attempts')
      .selectAll()
      .where('delivery_id', 'in', deliveries.map((d) => d.id))
      .orderBy('id', 'desc')
      .limit(LOG_ATTEMPTS_MAX)
      .execute();
    const byDelivery = new Map<number, AttemptRecord[]>();
    for (const a of attempts.reverse()) {
      const list = byDelivery.get(a.delivery_id);
      if (list) list.push(a);
      else byDelivery.set(a.delivery_id, [a]);
    }
    return deliveries.map((delivery) => ({ delivery, attempts: byDelivery.get(delivery.id) ?? [] }));
  };
  return {
    /**
     * Claims up to `limit` due deliveries for `owner` for `leaseMs`: pending, due, and not under an
     * unexpired lease (a node that died mid-attempt leaves its lease behind: it expires and another
     * node takes the delivery). PostgreSQL: SKIP LOCKED, so two nodes claiming at once take
     * different rows; SQLite: one UPDATE … RETURNING under its single writer. Every claim carries a
     * fresh token, and an attempt is recorded only under the token it was claimed with.
     */
    async claimDue(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
      const token = randomUUID();
      const lease = sql.lit(Math.trunc(leaseMs));
      const due = sql`state = 'pending' AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now})`;
      const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
      const r = await sql<DeliveryRow & { db_now: number }>`UPDATE callback_deliveries SET lease_owner = ${owner}, lease_token = ${token}, lease_until = ${now} + ${lease}
        WHERE id IN (SELECT id FROM callback_deliveries WHERE ${due} ORDER BY next_attempt_at, id LIMIT ${sql.lit(Math.trunc(limit))} ${lock})
        AND ${due}
        RETURNING *, ${now} AS db_now`.execute(db);
      return r.rows.map(({ db_now, ...row }) => ({ delivery: toDelivery(row), token, claimedAt: Number(db_now) }));
    },

    /**
     * Records an attempt and moves the delivery on (delivered, failed, or due again), in one
     * transaction. The move is conditional on the claim's token: a node whose lease expired while
     * it waited for the receiver (and whose delivery another node has claimed since) still logs what
     * it saw, but changes nothing. False then.
     */
    async recordAttempt(c: ClaimedDelivery, node: string, a: AttemptOutcome): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.insertInto('callback_attempts').values({ delivery_id: c.delivery.id, at: now, status: a.status, latency_ms: Math.round(a.latencyMs), error: a.error, node }).execute();
        const r = await trx
          .updateTable('callback_deliveries')
          .set((eb) => ({
            attempts: eb('attempts', '+', 1),
            last_status: a.status,
            last_error: a.error,
            state: a.next.state,
            ...(a.next.state === 'pending' ? { next_attempt_at: Math.trunc(a.next.nextAttemptAt) } : {}),
            ...(a.next.state === 'delivered' ? { delivered_at: now } : {}),
            lease_owner: null,
            lease_token: null,
            lease_until: null,
          }))
          .where('id', '=', c.delivery.id)
          .where('lease_token', '=', c.token)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      });
    },

    /** The database's clock now (the worker schedules retries on it). */
    async dbNow(): Promise<number> {
      const r = await sql<{ t: number }>`SELECT ${now} AS t`.execute(db);
      return Number(r.rows[0]?.t);
    },

    /** A user's resend: a new delivery (new event id) of the receipt's current final state. */
    async enqueueResend(r: { id: number; group_id: number; user_id: number; callback_url: string }, event: ReceiptEvent): Promise<DeliveryRecord> {
      return toDelivery(await db.insertInto('callback_deliveries').values(outboxValues(dialect, r, event, 'resend')).returningAll().executeTakeFirstOrThrow());
    },

    /** The latest delivery of each receipt (the receipt view's `callback`), in one query. */
    async latestFor(receiptIds: readonly number[]): Promise<Map<number, DeliverySummary>> {
      const ids = [...new Set(receiptIds)];
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('callback_deliveries')
        .selectAll()
        .where('id', 'in', (eb) => eb.selectFrom('callback_deliveries').select((e) => e.fn.max('id').as('id')).where('receipt_id', 'in', ids).groupBy('receipt_id'))
        .execute();
      const latest = new Map<number, DeliverySummary>();
      for (const row of rows) {
        const d = toDelivery(row);
        // Always set: the rows were selected by receipt_id (a register event has none).
        if (d.receipt_id !== null) latest.set(d.receipt_id, { state: d.state, attempts: d.attempts, last_status: d.last_status, last_error: d.last_error, next_attempt_at: d.next_attempt_at, delivered_at: d.delivered_at });
      }
      return latest;
    },

    /** A receipt's deliveries (newest first, at most 50) with their attempts. */
    async logOf(receiptId: number): Promise<DeliveryLog[]> {
      return withAttempts((await db.selectFrom('callback_deliveries').selectAll().where('receipt_id', '=', receiptId).orderBy('id', 'desc').limit(LOG_DELIVERIES_MAX).execute()).map(toDelivery));
    },

    /**
     * A group's register-event deliveries (newest first, at most 50) with their attempts. Register
     * events are rare (one per warning that appears), so the receipt index's NULL range serves them.
     */
    async eventLogOf(groupId: number): Promise<DeliveryLog[]> {
      const rows = await db.selectFrom('callback_deliveries').selectAll().where('receipt_id', 'is', null).where('group_id', '=', groupId).orderBy('id', 'desc').limit(LOG_DELIVERIES_MAX).execute();
      return withAttempts(rows.map(toDelivery));
    },

    /** One register-event delivery of the group (with its body); undefined for another group's or a receipt's. */
    async eventDelivery(groupId: number, deliveryId: number): Promise<(DeliveryRecord & { payload: Record<string, unknown> }) | undefined> {
      const row = await db.selectFrom('callback_deliveries').selectAll().where('id', '=', deliveryId).where('group_id', '=', groupId).where('receipt_id', 'is', null).executeTakeFirst();
      const d = row && toDelivery(row);
      return d && d.payload !== null ? { ...d, payload: d.payload } : undefined;
    },

    /** A register event queued again by a user: a new delivery (new event id) of the body it carried. */
    async enqueueEventResend(e: GroupEvent): Promise<DeliveryRecord> {
      return toDelivery(await db.insertInto('callback_deliveries').values({ ...eventValues(dialect, e), kind: 'resend' }).returningAll().executeTakeFirstOrThrow());
    },

    /**
     * The metrics' backlog: pending deliveries and the age of the oldest, in one statement over the
     * partial index of pending rows (never the history of delivered ones).
     */
    async backlog(): Promise<{ pending: number; oldestAgeSeconds: number | null }> {
      const r = await sql<{ n: number; oldest: number | null; t: number }>`SELECT count(*) AS n, min(created_at) AS oldest, ${now} AS t FROM callback_deliveries WHERE state = 'pending'`.execute(db);
      const row = r.rows[0];
      const oldest = row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
      return { pending: Number(row?.n ?? 0), oldestAgeSeconds: oldest === null ? null : Math.max(0, (Number(row?.t) - oldest) / 1000) };
    },
  };
}
export type CallbackRepository = ReturnType<typeof createCallbackRepository>;
