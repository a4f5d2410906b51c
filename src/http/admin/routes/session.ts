import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionService } from '../../../services/sessions.js';
import { ErrorSchema } from '../../schemas.js';
import { sessionView } from '../../views/session.js';
import { LoginBody, SessionInfo, SessionProbe } from '../schemas.js';
import { clearSessionCookie, COOKIE, currentAdmin, setSessionCookie } from '../session.js';

export function sessionRoutes(deps: { sessions: SessionService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.post('/session', {
      config: { adminPublic: true },
      schema: {
        summary: 'Log in to the dashboard (superusers only)',
        description: 'Sets the HttpOnly session cookie. Failed logins are throttled together with the REST API’s Basic auth (429 + Retry-After) and journaled as `auth.login_failed`.',
        tags: ['admin'],
        body: LoginBody,
        response: { 200: SessionInfo, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema },
      },
    }, async (request, reply) => {
      const ua = request.headers['user-agent'];
      const p = await deps.sessions.login(request.body.login, request.body.password, request.ip, typeof ua === 'string' ? ua : null);
      setSessionCookie(request, reply, p.token, deps.sessions.ttlMs);
      return sessionView(p);
    });

    r.get('/session', {
      // The login page asks whether someone is logged in: "no" is an answer, not an error.
      config: { adminPublic: true },
      schema: {
        summary: 'The current dashboard session and its CSRF token, or `{ "user": null }` without a valid session',
        tags: ['admin'],
        response: { 200: SessionProbe },
      },
    }, async (request) => {
      const p = await deps.sessions.probe(request.cookies[COOKIE]);
      return p ? sessionView(p) : { user: null };
    });

    r.delete('/session', {
      schema: { summary: 'Log out', tags: ['admin'], response: { 200: Type.Object({ ok: Type.Boolean() }), 401: ErrorSchema, 403: ErrorSchema } },
    }, async (request, reply) => {
      await deps.sessions.logout(currentAdmin(request), request.ip);
      clearSessionCookie(request, reply);
      return { ok: true };
    });
  };
}
