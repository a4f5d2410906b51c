import type { AuditRepository } from '../storage/audit.js';
import type { Actor } from './actor.js';

/** The one way a use case writes the audit journal: who (the actor), what, on what, from where. */
export function createAuditor(audit: AuditRepository, now: () => number) {
  return {
    write(actor: Actor, action: string, target: string | null, details?: unknown): Promise<void> {
      return audit.write({ userId: actor.id, login: actor.login, ip: actor.ip, action, target, details }, now());
    },
    /** An entry no authenticated user caused (a refused login). */
    writeAnonymous(action: string, ip: string | null, target: string | null, details?: unknown): Promise<void> {
      return audit.write({ userId: null, login: null, ip, action, target, details }, now());
    },
  };
}
export type Auditor = ReturnType<typeof createAuditor>;
