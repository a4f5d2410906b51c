import { DomainError } from '../domain/errors.js';
import type { AuthenticatedUser } from './auth.js';

/**
 * Who is acting, whichever door they came in through: an API request with HTTP Basic auth or a
 * dashboard session. Every use case takes one, checks access itself and audits with it.
 */
export interface Actor extends AuthenticatedUser {
  /** The client's address (behind trusted proxies: the forwarded one), for the audit journal. */
  ip: string;
  /** The dashboard session acting, kept when the actor's other sessions are ended; null over the API. */
  sessionId: string | null;
}

/** «admin» in this server means exactly this: an active superuser. */
export function requireSuperuser(actor: Actor): void {
  if (!actor.isSuperuser) throw new DomainError('forbidden', { code: 'superuser_required', message: 'Only a superuser may do this' });
}
