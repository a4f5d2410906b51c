import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../../domain/errors.js';
import type { AuditRepository } from '../../storage/audit.js';
import type { SessionRepository, SessionRow } from '../../storage/sessions.js';
import type { UserRepository, UserRow } from '../../storage/users.js';
import type { Authenticator } from '../auth.js';

export interface AdminSessionDeps {
  users: UserRepository;
  sessions: SessionRepository;
  authenticator: Authenticator;
  audit: AuditRepository;
  now: () => number;
  /** Absolute lifetime of a dashboard session. */
  ttlMs?: number;
}

export interface AdminPrincipal {
  session: SessionRow;
  user: UserRow;
}

/** The cookie carries the random token; the table keeps only its hash. */
export const sessionIdOf = (token: string): string => createHash('sha256').update(token).digest('hex');

const notSuperuser = () => new DomainError('forbidden', { code: 'not_superuser', message: 'Only superusers may use the dashboard' });

/** Dashboard login/logout over database-stored sessions (shared by every node on PostgreSQL). */
export function createAdminSessions(deps: AdminSessionDeps) {
  const ttl = deps.ttlMs ?? 12 * 3600_000;

  return {
    ttlMs: ttl,
    /**
     * Checks the password through the API authenticator, so failed dashboard logins feed the same
     * throttle (429 + Retry-After) and a successful one makes the address trusted for the login:
     * an attacker spraying the admin login from elsewhere neither refuses a correct password from a
     * new address nor locks out a trusted one (see createThrottle). A valid non-superuser is
     * refused with 403 and gets no session.
     */
    async login(login: string, password: string, ip: string, userAgent: string | null): Promise<{ token: string } & AdminPrincipal> {
      const user = await deps.authenticator.verify(login, password, ip);
      if (user.is_superuser !== 1) {
        await deps.audit.write({ userId: user.id, login: user.login, ip, action: 'session.login_refused', target: `user:${user.id}`, details: { reason: 'not_superuser' } }, deps.now());
        throw notSuperuser();
      }
      const now = deps.now();
      await deps.sessions.deleteExpired(now);
      const token = randomBytes(32).toString('base64url');
      const session: SessionRow = {
        id: sessionIdOf(token),
        user_id: user.id,
        csrf_token: randomBytes(32).toString('base64url'),
        ip,
        user_agent: userAgent === null ? null : userAgent.slice(0, 256),
        created_at: now,
        expires_at: now + ttl,
      };
      await deps.sessions.create(session);
      await deps.audit.write({ userId: user.id, login: user.login, ip, action: 'session.login', target: `user:${user.id}`}, now);
      return { token, session, user };
    },

    /** The session and its user, or null when the token is unknown or expired; 403 when the user lost superuser rights. */
    async resolve(token: string): Promise<AdminPrincipal | null> {
      const session = await deps.sessions.get(sessionIdOf(token), deps.now());
      if (!session) return null;
      const user = await deps.users.findById(session.user_id);
      if (!user || user.is_active !== 1) {
        await deps.sessions.delete(session.id);
        return null;
      }
      if (user.is_superuser !== 1) throw notSuperuser();
      return { session, user };
    },

    async logout(p: AdminPrincipal, ip: string): Promise<void> {
      await deps.sessions.delete(p.session.id);
      await deps.audit.write({ userId: p.user.id, login: p.user.login, ip, action: 'session.logout', target: `user:${p.user.id}` }, deps.now());
    },
  };
}
export type AdminSessions = ReturnType<typeof createAdminSessions>;
