import type { AuditRepository } from '../../storage/audit.js';

/** Who is acting: every admin change is written to audit_log with it. */
export interface Actor {
  userId: number;
  login: string;
  ip: string;
  /** The actor's own session, kept when their other sessions are ended. */
  sessionId: string | null;
}

export function auditor(audit: AuditRepository, now: () => number) {
  return (actor: Actor, action: string, target: string | null, details?: unknown) =>
    audit.write({ userId: actor.userId, login: actor.login, ip: actor.ip, action, target, details }, now());
}
export type Auditor = ReturnType<typeof auditor>;
