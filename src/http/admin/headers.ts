import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's own code only: no inline scripts, no third-party origins, never framed. The
 * receipt print view is framed from the dashboard, so `frame-src 'self'`; that page itself answers
 * with PRINT_CSP and `X-Frame-Options: SAMEORIGIN`.
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

/** The printable receipt: static HTML with an inline <style> and an inline SVG, no script; framed only by the dashboard. */
export const PRINT_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "frame-ancestors 'self'",
  "form-action 'none'",
  "base-uri 'none'",
].join('; ');

export async function securityHeaders(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const framable = request.routeOptions.config.adminFramable === true && reply.statusCode === 200;
  void reply.header('Content-Security-Policy', framable ? PRINT_CSP : DASHBOARD_CSP);
  void reply.header('X-Frame-Options', framable ? 'SAMEORIGIN' : 'DENY');
  void reply.header('X-Content-Type-Options', 'nosniff');
  void reply.header('Referrer-Policy', 'same-origin');
  void reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  if (request.url.startsWith('/admin/api/')) void reply.header('Cache-Control', 'no-store');
  // The errors module answers 401 with a Basic challenge for the REST API; in the dashboard it
  // would pop the browser's password dialog over the login form.
  reply.removeHeader('WWW-Authenticate');
}
