import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { AtolReceiptsTable } from './schema.js';
import { parseStoredOrNull, storedEnum } from './json.js';
import { ATOL_VERSIONS, isAtolOperation, type AtolOperation, type AtolVersion } from '../atol-online/protocol.js';

type AtolReceiptRow = Selectable<AtolReceiptsTable>;

/** The ATOL Online document of a native receipt (migration 008), its version and operation narrowed, mark_codes parsed. */
export type AtolReceiptRecord = Omit<AtolReceiptRow, 'version' | 'operation' | 'mark_codes'> & {
  version: AtolVersion;
  operation: AtolOperation;
  mark_codes: (string | null)[] | null;
};

export function toAtolReceiptRecord(row: AtolReceiptRow): AtolReceiptRecord {
  if (!isAtolOperation(row.operation)) throw new Error(`atol_receipts.operation holds an unknown value: ${row.operation}`);
  return {
    ...row,
    version: storedEnum(ATOL_VERSIONS, row.version, 'atol_receipts.version'),
    operation: row.operation,
    mark_codes: parseStoredOrNull<(string | null)[]>(row.mark_codes),
  };
}

export type NewAtolReceipt = Omit<AtolReceiptRecord, 'created_at'>;

/** What a token names: its user as the token's row and the user's row see it now. */
export interface TokenOwner {
  userId: number;
  login: string;
  isActive: boolean;
  isSuperuser: boolean;
  /** credentials_version when the token was issued, and now. */
  issuedVersion: number;
  currentVersion: number;
  expiresAt: number;
}

/**
 * Expired tokens are kept this long after their end, so a client sending one hears "expired" (11)
 * rather than "unknown" (10), then deleted.
 */
export const EXPIRED_TOKEN_RETENTION_MS = 7 * 24 * 3_600_000;
/** At most one sweep of expired tokens per process this often (issuing a token triggers it). */
const SWEEP_EVERY_MS = 60_000;

/** Tokens, group codes and the uuid ↔ receipt mapping of the ATOL Online-compatible API. */
export function createAtolOnlineRepository(handle: Db) {
  const db = handle.kysely;
  let lastSweep = 0;

  const byExternal = async (groupId: number, externalId: string): Promise<AtolReceiptRecord | undefined> => {
    const row = await db.selectFrom('atol_receipts').selectAll().where('group_id', '=', groupId).where('external_id', '=', externalId).executeTakeFirst();
    return row && toAtolReceiptRecord(row);
  };

  return {
    async insertToken(t: { tokenHash: string; userId: number; credentialsVersion: number; now: number; expiresAt: number }): Promise<void> {
      await db.insertInto('atol_tokens').values({
        token_hash: t.tokenHash, user_id: t.userId, credentials_version: t.credentialsVersion, created_at: t.now, expires_at: t.expiresAt,
      }).execute();
      if (t.now - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = t.now;
        await db.deleteFrom('atol_tokens').where('expires_at', '<', t.now - EXPIRED_TOKEN_RETENTION_MS).execute();
      }
    },

    /** The token's user, in one statement; undefined for a token never issued (or long expired). */
    async tokenOwner(tokenHash: string): Promise<TokenOwner | undefined> {
      const row = await db
        .selectFrom('atol_tokens')
        .innerJoin('users', 'users.id', 'atol_tokens.user_id')
        .select([
          'atol_tokens.user_id as user_id', 'atol_tokens.credentials_version as issued_version', 'atol_tokens.expires_at as expires_at',
          'users.login as login', 'users.is_active as is_active', 'users.is_superuser as is_superuser', 'users.credentials_version as current_version',
        ])
        .where('atol_tokens.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        userId: row.user_id, login: row.login, isActive: row.is_active === 1, isSuperuser: row.is_superuser === 1,
        issuedVersion: row.issued_version, currentVersion: row.current_version, expiresAt: row.expires_at,
      };
    },

    /**
     * Records the ATOL document of a receipt unless one already holds its (group, external_id) — or
     * its receipt: two concurrent requests with one external_id reach the same native receipt (its
     * idempotency key), and the first row wins. Returns the row that holds the external_id now.
     */
    async insertReceipt(r: NewAtolReceipt, now: number): Promise<{ row: AtolReceiptRecord; created: boolean }> {
      const inserted = await db.insertInto('atol_receipts').values({ ...r, mark_codes: r.mark_codes === null ? null : JSON.stringify(r.mark_codes), created_at: now }).onConflict((oc) => oc.doNothing()).returningAll().execute();
      const first = inserted[0];
      if (first) return { row: toAtolReceiptRecord(first), created: true };
      const existing = await byExternal(r.group_id, r.external_id);
      if (!existing) throw new Error(`atol_receipts: the insert for receipt ${r.receipt_id} conflicted, yet no row holds external_id ${r.external_id}`);
      return { row: existing, created: false };
    },

    byExternalId: byExternal,

    async byUuid(uuid: string): Promise<AtolReceiptRecord | undefined> {
      const row = await db.selectFrom('atol_receipts').selectAll().where('uuid', '=', uuid).executeTakeFirst();
      return row && toAtolReceiptRecord(row);
    },

    /** The ATOL document of a native receipt, if it came through the ATOL API (the callbacks' marker). */
    async byReceiptId(receiptId: number): Promise<AtolReceiptRecord | undefined> {
      const row = await db.selectFrom('atol_receipts').selectAll().where('receipt_id', '=', receiptId).executeTakeFirst();
      return row && toAtolReceiptRecord(row);
    },

    /** The receipt a native idempotency key names in the group (the document a resend must answer with). */
    async receiptIdByKey(groupId: number, idempotencyKey: string): Promise<number | undefined> {
      const row = await db.selectFrom('receipts').select('id').where('group_id', '=', groupId).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
      return row?.id;
    },
  };
}
export type AtolOnlineRepository = ReturnType<typeof createAtolOnlineRepository>;
