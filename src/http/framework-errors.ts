import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../domain/error-codes.js';
import { sendErrors, tableError } from './errors.js';
import { bodyUnread } from './limits.js';
import { API_CSP, apiSecurityHeaders } from './security-headers.js';

/**
 * Fastify's `frameworkErrors`: errors raised by the router before any route, hook or error handler
 * exists for the request — a malformed URL or percent-encoding (`/admin/..%c0%af..`, `/%`), a path
 * parameter over `maxParamLength`. Answered in the API error format like everything else.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No route hooks run for these requests: the headers they would have set are set here.
  apiSecurityHeaders(reply, '');
  if (bodyUnread(request)) void reply.header('Connection', 'close');
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      void sendErrors(reply, request, 400, [tableError('bad_url')]);
      return;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // A path parameter this long names no resource that exists (as a malformed id does).
      void sendErrors(reply, request, 404, [tableError('not_found')]);
      return;
    default:
      request.log.error({ err: error }, 'router error');
      void sendErrors(reply, request, 500, [tableError('internal_error')]);
  }
}

type HttpSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the bytes (malformed request, headers
 * too large) or Node's request/headers deadline passed. Answered on the raw socket, in the API
 * error format, unless an answer has already started on it; the connection is then closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // No request exists yet to read Accept-Language from: the answer is in English.
  const [status, code]: [number, ErrorCode] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout']
      : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large']
        : [400, 'bad_request'];
  const started = (socket as HttpSocket)._httpMessage?.headersSent === true;
  if (socket.writable && !started) {
    const body = JSON.stringify({ errors: [{ code, message: ERROR_CODES[code].en }] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      `Content-Security-Policy: ${API_CSP}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    );
  }
  socket.destroy();
}
