import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AdminPrincipal, AdminSessions } from '../../../services/admin/sessions.js';
import { userView } from '../../../services/admin/users.js';
import { ErrorSchema } from '../../schemas.js';
import { LoginBody, SessionInfo } from '../schemas.js';
import { clearSessionCookie, currentAdmin, setSessionCookie } from '../session.js';

export function sessionRoutes(deps: { sessions: AdminSessions; printView: () => boolean }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const info = (p: AdminPrincipal) => ({
      user: userView(p.user),
      csrf_token: p.session.csrf_token,
      expires_at: new Date(p.session.expires_at).toISOString(),
      features: { print_view: deps.printView() },
    });

    r.post('/session', {
      config: { adminPublic: true },
      schema: {
        summary: 'Log in to the dashboard (superusers only)',
        description: 'Sets the HttpOnly session cookie. Failed logins are throttled together with the REST API’s Basic auth (429 + Retry-After).',
        tags: ['admin'],
        body: LoginBody,
        response: { 200: SessionInfo, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema },
      },
    }, async (request, reply) => {
      const ua = request.headers['user-agent'];
      const p = await deps.sessions.login(request.body.login, request.body.password, request.ip, typeof ua === 'string' ? ua : null);
      setSessionCookie(request, reply, p.token, deps.sessions.ttlMs);
      return info(p);
    });

    r.get('/session', {
      schema: { summary: 'The current dashboard session and its CSRF token', tags: ['admin'], response: { 200: SessionInfo, 401: ErrorSchema, 403: ErrorSchema } },
    }, async (request) => info(currentAdmin(request)));

    r.delete('/session', {
      schema: { summary: 'Log out', tags: ['admin'], response: { 200: Type.Object({ ok: Type.Boolean() }), 401: ErrorSchema, 403: ErrorSchema } },
    }, async (request, reply) => {
      await deps.sessions.logout(currentAdmin(request), request.ip);
      clearSessionCookie(request, reply);
      return { ok: true };
    });
  };
}
