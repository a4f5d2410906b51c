import type { AuditRow } from '../../storage/audit.js';

/** A journal entry: `login` as written at the time, `actor_login` the actor's login now. */
export const auditEntryView = ({ entry, actorLogin }: { entry: AuditRow; actorLogin: string | null }) => ({
  ...entry,
  at: new Date(Number(entry.at)).toISOString(),
  actor_login: actorLogin,
});
