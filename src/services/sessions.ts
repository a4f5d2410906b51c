import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { SessionRepository, SessionRow } from '../storage/sessions.js';
import type { UserRepository } from '../storage/users.js';
import type { Actor } from './actor.js';
import type { Authenticator } from './auth.js';
import type { Auditor } from './auditor.js';
import type { LoginFailure } from './login-failures.js';
import type { UserRecord } from './users.js';

export interface SessionServiceDeps {
  users: UserRepository;
  sessions: SessionRepository;
  authenticator: Authenticator;
  audit: Auditor;
  /** A refused login, for the audit journal (the same bounded journal the authenticator feeds). */
  onLoginFailure?: (failure: LoginFailure) => void;
  now: () => number;
  /** Absolute lifetime of a dashboard session. */
  ttlMs?: number;
}

export interface AdminPrincipal {
  session: SessionRow;
  user: UserRecord;
}

/** The actor of a dashboard request. */
export const sessionActor = (p: AdminPrincipal, ip: string): Actor => ({ id: p.user.id, login: p.user.login, isSuperuser: p.user.is_superuser, ip, sessionId: p.session.id });

/** The cookie carries the random token; the table keeps only its hash. */
export const sessionIdOf = (token: string): string => createHash('sha256').update(token).digest('hex');

const notSuperuser = () => new DomainError('forbidden', { code: 'not_superuser', message: 'Only superusers may use the dashboard' });

/** Dashboard login/logout over database-stored sessions (shared by every node on PostgreSQL). */
export function createSessionService(deps: SessionServiceDeps) {
  const ttl = deps.ttlMs ?? 12 * 3600_000;

  /** The session and its user, or null when the token is unknown or expired; 403 when the user lost superuser rights. */
  async function resolve(token: string): Promise<AdminPrincipal | null> {
    const session = await deps.sessions.get(sessionIdOf(token), deps.now());
    if (!session) return null;
    const user = await deps.users.findById(session.user_id);
    if (!user || !user.is_active) {
      await deps.sessions.delete(session.id);
      return null;
    }
    if (!user.is_superuser) throw notSuperuser();
    return { session, user };
  }

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
      if (!user.is_superuser) {
        deps.onLoginFailure?.({ login, ip, reason: 'not_superuser' });
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
      await deps.audit.write(sessionActor({ session, user }, ip), 'session.login', `user:${user.id}`);
      return { token, session, user };
    },

    resolve,

    /**
     * The login page's probe: the session when there is a valid one, else null — never an error,
     * so a browser that is simply not logged in sees no failed request.
     */
    async probe(token: string | undefined): Promise<AdminPrincipal | null> {
      if (!token) return null;
      try {
        return await resolve(token);
      } catch (e) {
        if (e instanceof DomainError && e.kind === 'forbidden') return null;
        throw e;
      }
    },

    async logout(p: AdminPrincipal, ip: string): Promise<void> {
      await deps.sessions.delete(p.session.id);
      await deps.audit.write(sessionActor(p, ip), 'session.logout', `user:${p.user.id}`);
    },
  };
}
export type SessionService = ReturnType<typeof createSessionService>;
