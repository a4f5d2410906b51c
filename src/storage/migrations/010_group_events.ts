import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Register events through the callbacks outbox (docs/api.md "Register events"):
 * - service_groups.events_url: where the group's register events (an FN forecast warning) are
 *   POSTed; NULL: none. Set by a superuser in the group's settings.
 * - service_groups.events_user_id: the superuser who last set events_url. The events are signed with
 *   that user's callback secret (users.callback_secret, migration 007), so the receiver verifies
 *   them exactly as receipt callbacks. ON DELETE SET NULL: a deleted signer leaves the URL in place
 *   but unsigned events are never sent (the device worker queues nothing until an admin sets the
 *   URL again, and says so in its log).
 * - callback_deliveries.receipt_id becomes nullable: an event delivery belongs to a group, not to a
 *   receipt. Its body is fixed when the event happens (callback_deliveries.payload, JSON), where a
 *   receipt callback's body is rendered from the receipt at each attempt. Receipt deliveries keep
 *   their receipt and its ON DELETE CASCADE.
 *
 * PostgreSQL drops the NOT NULL in place. SQLite cannot, so both outbox tables are rebuilt, in one
 * transaction (a migration there runs outside one): the new tables are created and filled, the
 * old attempts table is dropped before the old deliveries table — with foreign_keys ON a DROP TABLE
 * runs an implicit DELETE, which would CASCADE into callback_attempts if the attempts still
 * referenced it — then the new tables take the old names (the rename rewrites the attempts' foreign
 * key to the final name) and every index of migration 007 is made again. The AUTOINCREMENT
 * counters are carried over, so an id is never handed out twice.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const big = pg ? sql.raw('BIGINT') : sql.raw('INTEGER');

  if (pg) {
    await sql`ALTER TABLE service_groups ADD COLUMN events_url TEXT`.execute(db);
    await sql`ALTER TABLE service_groups ADD COLUMN events_user_id ${big} REFERENCES users(id) ON DELETE SET NULL`.execute(db);
    await sql`ALTER TABLE callback_deliveries ALTER COLUMN receipt_id DROP NOT NULL`.execute(db);
    await sql`ALTER TABLE callback_deliveries ADD COLUMN payload TEXT`.execute(db);
    return;
  }

  await db.transaction().execute(async (trx) => {
    // SQLite: a column with a REFERENCES clause may be added when its default is NULL.
    await sql`ALTER TABLE service_groups ADD COLUMN events_url TEXT`.execute(trx);
    await sql`ALTER TABLE service_groups ADD COLUMN events_user_id ${big} REFERENCES users(id) ON DELETE SET NULL`.execute(trx);

    // The columns of migration 007, receipt_id without NOT NULL, and payload.
    await sql`CREATE TABLE callback_deliveries_new (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      event_id TEXT NOT NULL,
      receipt_id INTEGER REFERENCES receipts(id) ON DELETE CASCADE,
      group_id INTEGER NOT NULL,
      user_id INTEGER NOT NULL,
      url TEXT NOT NULL,
      event TEXT NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_status INTEGER,
      last_error TEXT,
      created_at INTEGER NOT NULL,
      delivered_at INTEGER,
      lease_owner TEXT,
      lease_token TEXT,
      lease_until INTEGER,
      payload TEXT
    )`.execute(trx);
    await sql`CREATE TABLE callback_attempts_new (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      delivery_id INTEGER NOT NULL REFERENCES callback_deliveries_new(id) ON DELETE CASCADE,
      at INTEGER NOT NULL,
      status INTEGER,
      latency_ms INTEGER NOT NULL,
      error TEXT,
      node TEXT NOT NULL
    )`.execute(trx);

    const deliveryColumns = sql.raw(
      'id, event_id, receipt_id, group_id, user_id, url, event, kind, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at, lease_owner, lease_token, lease_until',
    );
    await sql`INSERT INTO callback_deliveries_new (${deliveryColumns}) SELECT ${deliveryColumns} FROM callback_deliveries ORDER BY id`.execute(trx);
    await sql`INSERT INTO callback_attempts_new (id, delivery_id, at, status, latency_ms, error, node)
      SELECT id, delivery_id, at, status, latency_ms, error, node FROM callback_attempts ORDER BY id`.execute(trx);
    // The copies set each counter to the highest id copied; the old counter may be higher.
    for (const [from, to] of [['callback_deliveries', 'callback_deliveries_new'], ['callback_attempts', 'callback_attempts_new']] as const) {
      await sql`INSERT INTO sqlite_sequence (name, seq) SELECT ${to}, 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ${to})`.execute(trx);
      await sql`UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = ${from}), 0)) WHERE name = ${to}`.execute(trx);
    }

    // Children first: once the old attempts are gone, nothing references the old deliveries and
    // dropping them cascades nowhere (the new attempts reference the new deliveries).
    await sql`DROP TABLE callback_attempts`.execute(trx);
    await sql`DROP TABLE callback_deliveries`.execute(trx);
    await sql`ALTER TABLE callback_deliveries_new RENAME TO callback_deliveries`.execute(trx);
    await sql`ALTER TABLE callback_attempts_new RENAME TO callback_attempts`.execute(trx);

    // Every index of migration 007, as it made them.
    await sql`CREATE UNIQUE INDEX callback_deliveries_event ON callback_deliveries (event_id)`.execute(trx);
    await sql`CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at, id) WHERE state = 'pending'`.execute(trx);
    await sql`CREATE INDEX callback_deliveries_receipt ON callback_deliveries (receipt_id, id)`.execute(trx);
    await sql`CREATE INDEX callback_attempts_delivery ON callback_attempts (delivery_id, id)`.execute(trx);
  });
}
