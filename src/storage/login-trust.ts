import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A trusted (login, address) pair as the authenticator keeps it: valid while the user's credentials_version is unchanged. */
export interface TrustedPair {
  userId: number;
  login: string;
  ip: string;
  credentialsVersion: number;
  expiresAt: number;
}

/**
 * Persistent login trust (table login_trust, migration 003): an address from which a user logged in
 * successfully. Rows survive restarts and are shared by every node on PostgreSQL. A row counts only
 * while it has not expired, its credentials_version equals the user's and the user is active; the
 * user's deletion removes it (ON DELETE CASCADE), so a recreated login never inherits it.
 */
export function createLoginTrustRepository(db: Kysely<Database>) {
  const live = (now: number) =>
    db
      .selectFrom('login_trust as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(['t.user_id as userId', 'u.login as login', 't.ip as ip', 't.credentials_version as credentialsVersion', 't.expires_at as expiresAt'])
      .where('t.expires_at', '>', now)
      .whereRef('t.credentials_version', '=', 'u.credentials_version')
      .where('u.is_active', '=', 1);

  return {
    /** The live pairs, the most recently renewed first (bounded: the caller's memory table has a size). */
    async loadLive(now: number, limit: number): Promise<TrustedPair[]> {
      return live(now).orderBy('t.expires_at', 'desc').limit(limit).execute();
    },
    /** The live pair for this login and address, if any (another node may have written it). */
    async find(login: string, ip: string, now: number): Promise<TrustedPair | undefined> {
      return live(now).where('u.login', '=', login).where('t.ip', '=', ip).executeTakeFirst();
    },
    /** Creates or renews the pair (and rebinds it to the current credentials version). */
    async upsert(p: { userId: number; ip: string; credentialsVersion: number; expiresAt: number }): Promise<void> {
      await db
        .insertInto('login_trust')
        .values({ user_id: p.userId, ip: p.ip, credentials_version: p.credentialsVersion, expires_at: p.expiresAt })
        .onConflict((oc) => oc.columns(['user_id', 'ip']).doUpdateSet({ credentials_version: p.credentialsVersion, expires_at: p.expiresAt }))
        .execute();
    },
    async deleteExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('login_trust').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type LoginTrustRepository = ReturnType<typeof createLoginTrustRepository>;
