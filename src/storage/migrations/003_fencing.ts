import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Fencing for scale-out and persistent login trust.
 * - devices.lease_epoch: the fencing token. It increases at every change of the lease's owner, and
 *   every write a device worker makes is conditional on (owner, epoch), so a node that lost the
 *   lease (paused, partitioned) cannot overwrite what its successor did.
 * - devices.reconciled_fd: how far the FN journal has been checked for receipt documents that no
 *   receipt owns (a document a stale node could still leave behind).
 * - receipts.claim_epoch: the lease epoch under which the receipt was claimed.
 * - orphan_documents: receipt documents found in an FN journal that no receipt owns. Never silent.
 * - login_trust: (user, address) pairs that logged in successfully recently; survives restarts so
 *   an attacker's failures cannot lock a trusted shop backend or admin out after a restart.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const pg = dialect === 'postgres';
  const big = pg ? sql.raw('BIGINT') : sql.raw('INTEGER');
  const id = pg ? sql.raw('id BIGSERIAL PRIMARY KEY') : sql.raw('id INTEGER PRIMARY KEY AUTOINCREMENT');

  await sql`ALTER TABLE devices ADD COLUMN lease_epoch ${big} NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE devices ADD COLUMN reconciled_fd ${big}`.execute(db);
  await sql`ALTER TABLE receipts ADD COLUMN claim_epoch ${big}`.execute(db);

  await sql`CREATE TABLE orphan_documents (
    ${id},
    device_id ${big} NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    group_id ${big} NOT NULL,
    fd_number ${big} NOT NULL,
    kind TEXT NOT NULL,
    total ${big},
    document_at TEXT,
    fiscal_sign TEXT,
    found_at ${big} NOT NULL,
    found_by TEXT NOT NULL,
    acknowledged_at ${big},
    acknowledged_by TEXT
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX orphan_documents_device_fd ON orphan_documents (device_id, fd_number)`.execute(db);

  await sql`CREATE TABLE login_trust (
    user_id ${big} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    credentials_version INTEGER NOT NULL,
    expires_at ${big} NOT NULL,
    PRIMARY KEY (user_id, ip)
  )`.execute(db);
  await sql`CREATE INDEX login_trust_expires ON login_trust (expires_at)`.execute(db);
}
