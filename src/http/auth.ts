import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Actor } from '../services/actor.js';
import { parseBasicAuth, type AuthenticatedUser, type Authenticator } from '../services/auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
}

/** onRequest hook: HTTP Basic, checked before the body is even read. */
export function basicAuth(authenticator: Authenticator) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const creds = parseBasicAuth(request.headers.authorization);
    if (!creds) throw new DomainError('unauthenticated', { code: 'auth_required', message: 'HTTP Basic authorization is required' });
    const user = await authenticator.verify(creds.login, creds.password, request.ip);
    request.user = { id: user.id, login: user.login, isSuperuser: user.is_superuser };
  };
}

export function currentUser(request: FastifyRequest): AuthenticatedUser {
  if (!request.user) throw new DomainError('unauthenticated', { code: 'auth_required', message: 'HTTP Basic authorization is required' });
  return request.user;
}

/** The actor of a REST API request. */
export function actorOf(request: FastifyRequest): Actor {
  return { ...currentUser(request), ip: request.ip, sessionId: null };
}
