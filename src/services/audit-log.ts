import type { AuditRepository, AuditRow } from '../storage/audit.js';
import type { UserRepository } from '../storage/users.js';
import { requireSuperuser, type Actor } from './actor.js';

/** The audit journal as superusers read it: each entry with its actor's current login. */
export function createAuditLog(deps: { audit: AuditRepository; users: Pick<UserRepository, 'loginsOf'> }) {
  return {
    /** Newest first, `limit` entries with ids below `before` (null: from the newest). */
    async list(actor: Actor, limit: number, before: number | null): Promise<{ entry: AuditRow; actorLogin: string | null }[]> {
      requireSuperuser(actor);
      const rows = await deps.audit.list(limit, before);
      const logins = await deps.users.loginsOf(rows.flatMap((r) => (r.user_id === null ? [] : [r.user_id])));
      return rows.map((entry) => ({ entry, actorLogin: entry.user_id === null ? null : (logins.get(entry.user_id) ?? null) }));
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
