import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Actor } from '../services/actor.js';
import { parseBasicAuth, type Authenticator } from '../services/auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The REST API's actor, set by the Basic auth hook. */
    user: Actor | null;
  }
}

/** onRequest hook: HTTP Basic, checked before the body is even read. */
export function basicAuth(authenticator: Authenticator) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const creds = parseBasicAuth(request.headers.authorization);
    if (!creds) throw new DomainError('unauthenticated', { code: 'auth_required', message: 'HTTP Basic authorization is required' });
    // request.ip runs proxy-addr over the forwarding chain on every read (a tenth of a cached GET's
    // CPU when read twice): read it once, for the throttle and for the actor's audit address.
    const ip = request.ip;
    const user = await authenticator.verify(creds.login, creds.password, ip);
    request.user = { id: user.id, login: user.login, isSuperuser: user.is_superuser, ip, sessionId: null };
  };
}

export function currentUser(request: FastifyRequest): Actor {
  if (!request.user) throw new DomainError('unauthenticated', { code: 'auth_required', message: 'HTTP Basic authorization is required' });
  return request.user;
}

/** The actor of a REST API request. */
export const actorOf = (request: FastifyRequest): Actor => currentUser(request);
