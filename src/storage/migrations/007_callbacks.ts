import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Completion callbacks (docs/architecture.md "Callbacks: the outbox").
 * - receipts.callback_url: where the client wants the receipt's outcome POSTed (NULL: no callback).
 * - users.callback_secret / callback_secret_previous / callback_secret_rotated_at: the per-user
 *   HMAC key that signs callbacks; the previous key keeps signing for 24 h after a rotation.
 * - callback_deliveries: the outbox. A row is written in the same transaction (or statement) that
 *   writes a receipt's final state, so an outcome and its notification are durable together; the
 *   delivery worker of any node claims due rows under a lease (lease_owner, lease_token,
 *   lease_until, on the database's clock) and sends them.
 * - callback_attempts: every attempt, for the attempt log.
 *
 * Existing receipts and users get NULLs: nothing to deliver, a secret made on first need. The
 * new tables start empty. No CHECK constraints on the enumerated columns (a later value would need
 * a table rebuild on SQLite); the repository narrows them when it reads a row.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const big = pg ? sql.raw('BIGINT') : sql.raw('INTEGER');
  const id = pg ? sql.raw('id BIGSERIAL PRIMARY KEY') : sql.raw('id INTEGER PRIMARY KEY AUTOINCREMENT');

  await sql`ALTER TABLE receipts ADD COLUMN callback_url TEXT`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN callback_secret TEXT`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN callback_secret_previous TEXT`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN callback_secret_rotated_at ${big}`.execute(db);

  await sql`CREATE TABLE callback_deliveries (
    ${id},
    event_id ${pg ? sql.raw('UUID') : sql.raw('TEXT')} NOT NULL,
    receipt_id ${big} NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
    group_id ${big} NOT NULL,
    user_id ${big} NOT NULL,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${big} NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at ${big} NOT NULL,
    delivered_at ${big},
    lease_owner TEXT,
    lease_token TEXT,
    lease_until ${big}
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX callback_deliveries_event ON callback_deliveries (event_id)`.execute(db);
  // The claim: due pending rows in order. Partial, so it holds only the backlog, never the history
  // of delivered notifications (the same reason as receipts_pending); the metrics' backlog count
  // reads it too.
  await sql`CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at, id) WHERE state = 'pending'`.execute(db);
  // A receipt's deliveries, newest first (its view and its attempt log).
  await sql`CREATE INDEX callback_deliveries_receipt ON callback_deliveries (receipt_id, id)`.execute(db);

  await sql`CREATE TABLE callback_attempts (
    ${id},
    delivery_id ${big} NOT NULL REFERENCES callback_deliveries(id) ON DELETE CASCADE,
    at ${big} NOT NULL,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    node TEXT NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX callback_attempts_delivery ON callback_attempts (delivery_id, id)`.execute(db);
}
