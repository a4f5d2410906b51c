import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { sendErrors } from './errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * onRequest hook of the REST API (Basic auth), registered before the auth hook so a refused
 * request does not even count as a login attempt. Browsers cache Basic credentials and send them
 * with cross-site requests, so for state-changing methods (POST, PUT, PATCH, DELETE):
 *
 * 1. Cross-site browser requests are refused with 403 `cross_site_request`: `Sec-Fetch-Site`
 *    `cross-site` or `same-site` (a sibling subdomain is another application); without
 *    Sec-Fetch-Site (older browsers), an `Origin` other than the server's own — the origin of
 *    CR_PUBLIC_URL or of the Host the request was sent to. `same-origin` and `none` (typed in the
 *    address bar) pass; so do requests with neither header (curl, servers, cash-register software).
 * 2. The body is JSON or absent: any other Content-Type — the three a form can send without a
 *    CORS preflight (text/plain, urlencoded, multipart) above all — is refused with 415, also on
 *    routes that read no body (Fastify only checks the type of a body a route parses).
 *
 * Reads (GET, HEAD) are not refused: links to the print page from other applications are a use.
 * The dashboard API (/admin/api) has its own session cookie and CSRF token and is not under this.
 */
export function crossSiteGuard(opts: { publicUrl: string }) {
  const publicOrigin = originOf(opts.publicUrl);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!STATE_CHANGING.has(request.method)) return undefined;
    const h = request.headers;
    const site = h['sec-fetch-site'];
    let crossSite: boolean;
    if (site !== undefined) {
      crossSite = site !== 'same-origin' && site !== 'none';
    } else if (h.origin !== undefined) {
      const own = originOf(`${request.protocol}://${request.host}`);
      crossSite = h.origin !== publicOrigin && h.origin !== own;
    } else {
      crossSite = false;
    }
    if (crossSite) {
      throw new DomainError('forbidden', { code: 'cross_site_request', message: 'Cross-site requests may not change state; call the API from your server or from this server’s own pages' });
    }

    const type = h['content-type'];
    const hasBody = h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
    if (type === undefined && !hasBody) return undefined;
    const media = (type ?? '').split(';', 1)[0]?.trim().toLowerCase();
    if (media === 'application/json') return undefined;
    // Answered here (no ErrorKind is 415); returning the reply ends the hook chain.
    return sendErrors(reply, request, 415, [{ code: 'unsupported_media_type', message: 'Content-Type must be application/json (or send no body)' }]);
  };
}
