import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

// Forward-only. Never edit a migration that has shipped: add the next number instead.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const id = (t: string) => (pg ? sql.raw(`${t} BIGSERIAL PRIMARY KEY`) : sql.raw(`${t} INTEGER PRIMARY KEY AUTOINCREMENT`));
  const big = pg ? sql.raw('BIGINT') : sql.raw('INTEGER');

  await sql`CREATE TABLE users (
    ${id('id')},
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    is_superuser INTEGER NOT NULL DEFAULT 0,
    credentials_version INTEGER NOT NULL DEFAULT 1,
    created_at ${big} NOT NULL,
    updated_at ${big} NOT NULL
  )`.execute(db);

  await sql`CREATE TABLE service_groups (
    ${id('id')},
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    running INTEGER NOT NULL DEFAULT 0,
    default_tax_system INTEGER,
    default_vat INTEGER,
    auto_open_shift INTEGER NOT NULL DEFAULT 1,
    shift_duration_min INTEGER NOT NULL DEFAULT 1440,
    daily_close_time TEXT,
    created_at ${big} NOT NULL,
    updated_at ${big} NOT NULL
  )`.execute(db);

  await sql`CREATE TABLE devices (
    ${id('id')},
    group_id ${big} NOT NULL REFERENCES service_groups(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'stopped',
    state_reason TEXT,
    registration TEXT,
    status TEXT,
    status_at ${big},
    lease_owner TEXT,
    lease_until ${big},
    created_at ${big} NOT NULL,
    updated_at ${big} NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX devices_group ON devices (group_id)`.execute(db);

  await sql`CREATE TABLE group_access (
    group_id ${big} NOT NULL REFERENCES service_groups(id) ON DELETE CASCADE,
    user_id ${big} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
  )`.execute(db);
  await sql`CREATE INDEX group_access_user ON group_access (user_id)`.execute(db);

  await sql`CREATE TABLE receipts (
    ${id('id')},
    group_id ${big} NOT NULL REFERENCES service_groups(id),
    user_id ${big} NOT NULL REFERENCES users(id),
    device_id ${big} REFERENCES devices(id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    idempotency_key TEXT,
    request_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    order_id TEXT,
    receipt_type INTEGER NOT NULL,
    total ${big} NOT NULL,
    fd_before ${big},
    fd_number ${big},
    fiscal TEXT,
    created_at ${big} NOT NULL,
    updated_at ${big} NOT NULL,
    fiscalized_at ${big}
  )`.execute(db);
  // Idempotency keys are scoped to the group (api.md); NULL keys never collide.
  await sql`CREATE UNIQUE INDEX receipts_idempotency ON receipts (group_id, idempotency_key)`.execute(db);
  // The claim query: with only (group_id, state) PostgreSQL claims slowed to a few hundred per second.
  await sql`CREATE INDEX receipts_pending ON receipts (group_id, id) WHERE state = 'pending'`.execute(db);
  // Receipts a worker must resolve before new work (crash recovery, in-doubt).
  await sql`CREATE INDEX receipts_unresolved ON receipts (group_id, id) WHERE state IN ('processing', 'in_doubt')`.execute(db);
  // Listing: newest first by id within a group, optionally bounded by creation date.
  await sql`CREATE INDEX receipts_group_id ON receipts (group_id, id)`.execute(db);
  await sql`CREATE INDEX receipts_group_created ON receipts (group_id, created_at, id)`.execute(db);
  await sql`CREATE INDEX receipts_group_order ON receipts (group_id, order_id) WHERE order_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX receipts_device_fd ON receipts (device_id, fd_number) WHERE fd_number IS NOT NULL`.execute(db);
  await sql`CREATE INDEX receipts_group_state ON receipts (group_id, state, id)`.execute(db);

  await sql`CREATE TABLE device_jobs (
    ${id('id')},
    group_id ${big} NOT NULL REFERENCES service_groups(id) ON DELETE CASCADE,
    user_id ${big} REFERENCES users(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    params TEXT,
    state TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created_at ${big} NOT NULL,
    updated_at ${big} NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX device_jobs_pending ON device_jobs (group_id, id) WHERE state IN ('pending', 'processing')`.execute(db);

  await sql`CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id ${big} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at ${big} NOT NULL,
    expires_at ${big} NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX sessions_expires ON sessions (expires_at)`.execute(db);

  await sql`CREATE TABLE audit_log (
    ${id('id')},
    at ${big} NOT NULL,
    user_id ${big},
    login TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT
  )`.execute(db);
  await sql`CREATE INDEX audit_log_at ON audit_log (at)`.execute(db);
}
