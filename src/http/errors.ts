import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, validationCodes, type ErrorCode } from '../domain/error-codes.js';
import { DomainError, type ErrorKind, type FieldError } from '../domain/errors.js';
import { localize } from './i18n.js';

/** The one place where error kinds become HTTP statuses. */
export const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** "/products/1/price" → "products[1].price" — the field path format of api.md. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** An error with the table's English text: for the answers whose message says nothing more specific. */
export const tableError = (code: ErrorCode): FieldError => ({ code, message: ERROR_CODES[code].en });

function fromValidation(errors: AjvError[], context: string | undefined): FieldError[] {
  const codes = validationCodes(errors);
  return errors.map((e, i) => {
    const missing = e.keyword === 'required' ? typeof e.params.missingProperty === 'string' ? e.params.missingProperty : '' : undefined;
    const path = fieldPath(e.instancePath, missing);
    const field = path;
    const code = codes[i] ?? 'invalid';
    const message = e.keyword === 'required' ? `${field} is required` : `${field || context || 'body'} ${e.message ?? 'is invalid'}`;
    return field ? { field, code, message } : { code, message };
  });
}

export function sendErrors(reply: FastifyReply, request: FastifyRequest, status: number, errors: FieldError[]): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ errors: localize(errors, request.headers['accept-language']) });
}

/** A failure of the database or of the disk under it, not of the request: 503, and the client retries. */
export interface Unavailable {
  code: Extract<ErrorCode, 'database_unavailable' | 'disk_full' | 'storage_unavailable'>;
  message: string;
  /** Seconds, for Retry-After. */
  retryAfter: number;
}

const storageFailure = (code: Unavailable['code'], retryAfter: number): Unavailable => ({ code, message: ERROR_CODES[code].en, retryAfter });
const DATABASE_UNAVAILABLE = storageFailure('database_unavailable', 1);
const DISK_FULL = storageFailure('disk_full', 5);
const STORAGE_UNAVAILABLE = storageFailure('storage_unavailable', 5);

/** PostgreSQL SQLSTATEs of a lost or refused connection: class 08, the shutdown family 57P0x, too many connections. */
const PG_CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors below node-postgres. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres' own errors (they carry no code): a dropped connection, a pool or client connect timeout, a dead client. */
const PG_CLIENT_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

function classify(e: unknown): Unavailable | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    // better-sqlite3: the extended result code, e.g. SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED.
    if (code === 'SQLITE_FULL') return DISK_FULL;
    if (/^SQLITE_(IOERR|READONLY|CANTOPEN)(_|$)/.test(code)) return STORAGE_UNAVAILABLE;
    if (/^08[0-9A-Z]{3}$/.test(code) || PG_CONNECTION_STATES.has(code) || SOCKET_CODES.has(code)) return DATABASE_UNAVAILABLE;
  }
  const message = (e as { message?: unknown }).message;
  if (typeof message === 'string' && PG_CLIENT_MESSAGES.test(message)) return DATABASE_UNAVAILABLE;
  return null;
}

/**
 * The 503 an error means when the database or its storage failed (connection lost or refused, disk
 * full, I/O error, read-only file), looking through `cause` and AggregateError's `errors`; null
 * for anything else — a bug stays a 500 and is never dressed up as "retry later".
 */
export function unavailableOf(error: unknown): Unavailable | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const e = queue.shift();
    if (seen.has(e)) continue;
    seen.add(e);
    const hit = classify(e);
    if (hit) return hit;
    if (typeof e === 'object' && e !== null) {
      if ('cause' in e) queue.push(e.cause);
      if (e instanceof AggregateError) queue.push(...(e.errors as unknown[]));
    }
  }
  return null;
}

const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = { 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 406: 'not_acceptable', 412: 'precondition_failed', 416: 'range_not_satisfiable' };

export function errorHandler(error: FastifyError | DomainError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof DomainError) {
    if (error.kind === 'unauthenticated') reply.header('WWW-Authenticate', 'Basic realm="cr-server", charset="UTF-8"');
    if ((error.kind === 'rate_limited' || error.kind === 'unavailable') && error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    return sendErrors(reply, request, STATUS[error.kind], error.errors);
  }
  const unavailable = unavailableOf(error);
  if (unavailable) {
    // The details (addresses, paths, driver text) go to the log, never to the client.
    request.log.warn({ err: error, code: unavailable.code }, 'database or storage unavailable');
    reply.header('Retry-After', String(unavailable.retryAfter));
    return sendErrors(reply, request, 503, [{ code: unavailable.code, message: unavailable.message }]);
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    // A malformed id in the path names no resource that exists.
    if (fe.validationContext === 'params') return sendErrors(reply, request, 404, [tableError('not_found')]);
    return sendErrors(reply, request, 400, fromValidation(fe.validation, fe.validationContext));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendErrors(reply, request, 413, [tableError('body_too_large')]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendErrors(reply, request, 415, [tableError('unsupported_media_type')]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendErrors(reply, request, 400, [tableError('malformed_json')]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendErrors(reply, request, 400, [tableError('invalid_content_length')]);
    default:
      break;
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Errors without a code (http-errors from @fastify/static: a path outside the root is a 403) are named by their status.
    return sendErrors(reply, request, status, [{ code: fe.code ? fe.code.toLowerCase() : (CODE_OF_STATUS[status] ?? 'bad_request'), message: fe.message }]);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendErrors(reply, request, 500, [tableError('internal_error')]);
}
