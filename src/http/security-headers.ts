import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * REST API answers are data, never documents: nothing may load, run or frame them. The dashboard
 * (/admin) sets DASHBOARD_CSP over this in its own onSend hook, the print page sets PRINT_CSP in
 * its handler, and /docs (swagger-ui, scripts and styles of its own) keeps no CSP.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers every API answer carries, unless the route set its own. */
export function apiSecurityHeaders(reply: FastifyReply, path: string): void {
  void reply.header('X-Content-Type-Options', 'nosniff');
  if (path === '/docs' || path.startsWith('/docs/')) return;
  if (!reply.hasHeader('Content-Security-Policy')) void reply.header('Content-Security-Policy', API_CSP);
  if (!reply.hasHeader('X-Frame-Options')) void reply.header('X-Frame-Options', 'DENY');
}

/** onSend hook on the root instance (callback-style: it runs on every request). */
export function registerApiSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    apiSecurityHeaders(reply, request.url.split('?', 1)[0] ?? '');
    done(null, payload);
  });
}
