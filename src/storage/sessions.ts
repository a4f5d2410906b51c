import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from './schema.js';

export type SessionRow = Selectable<SessionsTable>;

/** Dashboard sessions. `id` is the sha256 of the cookie token: a leaked table cannot be replayed. */
export function createSessionRepository(db: Kysely<Database>) {
  return {
    async create(s: SessionRow): Promise<void> {
      await db.insertInto('sessions').values(s).execute();
    },
    /** The live session with this id, or undefined when absent or expired. */
    async get(id: string, now: number): Promise<SessionRow | undefined> {
      return db.selectFrom('sessions').selectAll().where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
    },
    async extend(id: string, expiresAt: number): Promise<void> {
      await db.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
    },
    async delete(id: string): Promise<void> {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },
    /** Ends every session of a user (deactivation, password change, loss of superuser rights). */
    async deleteForUser(userId: number, exceptId: string | null = null): Promise<void> {
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (exceptId !== null) q = q.where('id', '!=', exceptId);
      await q.execute();
    },
    async deleteExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type SessionRepository = ReturnType<typeof createSessionRepository>;
