import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's own code only: no inline scripts, no third-party origins, never framed. The
 * receipt print view is framed from the dashboard, so `frame-src 'self'`; that page itself must
 * answer with `X-Frame-Options: SAMEORIGIN` (it is served outside /admin).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export async function securityHeaders(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  void reply.header('Content-Security-Policy', DASHBOARD_CSP);
  void reply.header('X-Frame-Options', 'DENY');
  void reply.header('X-Content-Type-Options', 'nosniff');
  void reply.header('Referrer-Policy', 'same-origin');
  void reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  if (request.url.startsWith('/admin/api/')) void reply.header('Cache-Control', 'no-store');
  // The errors module answers 401 with a Basic challenge for the REST API; in the dashboard it
  // would pop the browser's password dialog over the login form.
  reply.removeHeader('WWW-Authenticate');
}
