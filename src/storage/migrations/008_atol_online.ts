import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The ATOL Online-compatible API (docs/atol-online.md):
 * - service_groups.group_code: the group's «код группы ККТ», the path segment ATOL clients send.
 *   Unique when set (a partial unique index: NULL never collides on either dialect); NULL means the
 *   group is not reachable through the ATOL API. Existing groups get NULL.
 * - atol_tokens: the tokens getToken issues, as the sha256 of the token (the token itself is only
 *   ever in the client's hands), with the user's credentials_version at issue — a password or
 *   status change ends every token the user holds — and the end of its 24 h life. In the database,
 *   so every node accepts a token any node issued.
 * - atol_receipts: the ATOL document (uuid, external_id, group, protocol version, operation, the
 *   client's timestamp, callback_url) of a native receipt. One row per receipt; (group_id,
 *   external_id) is unique, which is what makes a resent external_id answer with the first uuid.
 *   mark_codes: the v5 items' mark_code values as sent (JSON array by item, null for unmarked
 *   items), which the report's payload.marks_result echoes.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? sql.raw('BIGINT') : sql.raw('INTEGER');

  await sql`ALTER TABLE service_groups ADD COLUMN group_code TEXT`.execute(db);
  await sql`CREATE UNIQUE INDEX service_groups_group_code ON service_groups (group_code) WHERE group_code IS NOT NULL`.execute(db);

  await sql`CREATE TABLE atol_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id ${big} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credentials_version INTEGER NOT NULL,
    created_at ${big} NOT NULL,
    expires_at ${big} NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX atol_tokens_expires ON atol_tokens (expires_at)`.execute(db);
  await sql`CREATE INDEX atol_tokens_user ON atol_tokens (user_id)`.execute(db);

  await sql`CREATE TABLE atol_receipts (
    uuid TEXT PRIMARY KEY,
    receipt_id ${big} NOT NULL UNIQUE REFERENCES receipts(id),
    group_id ${big} NOT NULL REFERENCES service_groups(id),
    group_code TEXT NOT NULL,
    external_id TEXT NOT NULL,
    version TEXT NOT NULL,
    operation TEXT NOT NULL,
    client_timestamp TEXT NOT NULL,
    callback_url TEXT,
    callback_warning TEXT,
    mark_codes TEXT,
    created_at ${big} NOT NULL
  )`.execute(db);
  // ATOL scopes external_id to the group code, i.e. to the group.
  await sql`CREATE UNIQUE INDEX atol_receipts_external ON atol_receipts (group_id, external_id)`.execute(db);
}
