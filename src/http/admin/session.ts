import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { Actor } from '../../services/actor.js';
import { sessionActor, type AdminPrincipal, type SessionService } from '../../services/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminPrincipal | null;
  }
  interface FastifyContextConfig {
    /** Admin API route reachable without a session (the login, and the session probe). */
    adminPublic?: boolean;
    /** Admin page the dashboard frames (the printable receipt): its own CSP, X-Frame-Options SAMEORIGIN. */
    adminFramable?: boolean;
  }
}

export const COOKIE = 'cr_admin';
export const COOKIE_PATH = '/admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Secure when the browser came over TLS, directly or through a proxy (trustProxy: X-Forwarded-Proto). */
const isTls = (request: FastifyRequest) => request.protocol === 'https';

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs: number): void {
  void reply.setCookie(COOKIE, token, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: isTls(request),
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: isTls(request) });
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * onRequest hook of the admin API: a live session of an active superuser, and on every
 * state-changing call the session's CSRF token in `X-CSRF-Token` (the cookie alone proves nothing:
 * the browser attaches it to forged requests too; SameSite=Strict is the second wall).
 */
export function requireAdmin(sessions: SessionService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (request.routeOptions.config.adminPublic) return;
    const token = request.cookies[COOKIE];
    const principal = token ? await sessions.resolve(token) : null;
    if (!principal) throw new DomainError('unauthenticated', { code: 'session_required', message: 'Log in to the dashboard' });
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameToken(sent, principal.session.csrf_token)) {
        throw new DomainError('forbidden', { code: 'csrf_invalid', message: 'Missing or wrong X-CSRF-Token header; reload the page' });
      }
    }
    request.admin = principal;
  };
}

export function currentAdmin(request: FastifyRequest): AdminPrincipal {
  if (!request.admin) throw new DomainError('unauthenticated', { code: 'session_required', message: 'Log in to the dashboard' });
  return request.admin;
}

export function actorOf(request: FastifyRequest): Actor {
  return sessionActor(currentAdmin(request), request.ip);
}
