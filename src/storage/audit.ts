import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Database } from './schema.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface AuditEntry {
  userId: number | null;
  login: string | null;
  ip: string | null;
  /** Stable verb, e.g. `user.create`, `group.start`, `session.login`. */
  action: string;
  /** What was acted on, e.g. `user:5`, `service_group:2`. */
  target: string | null;
  details?: unknown;
}

/** An entry's row, for a write that must land in the same transaction as what it records. */
export const auditValues = (e: AuditEntry, now: number) => ({
  at: now,
  user_id: e.userId,
  login: e.login,
  ip: e.ip,
  action: e.action,
  target: e.target,
  details: e.details === undefined ? null : JSON.stringify(e.details),
});

/** Who changed what in the dashboard. Append-only: nothing in the server updates or deletes rows. */
export function createAuditRepository(db: Kysely<Database>) {
  return {
    async write(e: AuditEntry, now: number): Promise<void> {
      await db.insertInto('audit_log').values(auditValues(e, now)).execute();
    },
    async list(limit: number, beforeId: number | null = null): Promise<AuditRow[]> {
      let q = db.selectFrom('audit_log').selectAll();
      if (beforeId !== null) q = q.where('id', '<', beforeId);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },
  };
}
export type AuditRepository = ReturnType<typeof createAuditRepository>;
