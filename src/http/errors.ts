import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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

const KEYWORD_CODES: Record<string, string> = {
  required: 'required',
  type: 'invalid_type',
  anyOf: 'invalid_type',
  oneOf: 'invalid_type',
  pattern: 'invalid_format',
  format: 'invalid_format',
  maxLength: 'too_long',
  minLength: 'too_short',
  maxItems: 'too_many_items',
  minItems: 'too_few_items',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  enum: 'invalid_value',
  const: 'invalid_value',
};

function fromValidation(errors: AjvError[], context: string | undefined): FieldError[] {
  return errors.map((e) => {
    const missing = e.keyword === 'required' ? typeof e.params.missingProperty === 'string' ? e.params.missingProperty : '' : undefined;
    const path = fieldPath(e.instancePath, missing);
    const field = path;
    const code = KEYWORD_CODES[e.keyword] ?? 'invalid';
    const message = e.keyword === 'required' ? `${field} is required` : `${field || context || 'body'} ${e.message ?? 'is invalid'}`;
    return field ? { field, code, message } : { code, message };
  });
}

export function sendErrors(reply: FastifyReply, request: FastifyRequest, status: number, errors: FieldError[]): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ errors: localize(errors, request.headers['accept-language']) });
}

export function errorHandler(error: FastifyError | DomainError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof DomainError) {
    if (error.kind === 'unauthenticated') reply.header('WWW-Authenticate', 'Basic realm="cr-server", charset="UTF-8"');
    if (error.kind === 'rate_limited' && error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
    return sendErrors(reply, request, STATUS[error.kind], error.errors);
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    // A malformed id in the path names no resource that exists.
    if (fe.validationContext === 'params') return sendErrors(reply, request, 404, [{ code: 'not_found', message: 'No such resource' }]);
    return sendErrors(reply, request, 400, fromValidation(fe.validation, fe.validationContext));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendErrors(reply, request, 413, [{ code: 'body_too_large', message: 'The request body is too large' }]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendErrors(reply, request, 415, [{ code: 'unsupported_media_type', message: 'Content-Type must be application/json' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendErrors(reply, request, 400, [{ code: 'malformed_json', message: 'The body is not valid JSON' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendErrors(reply, request, 400, [{ code: 'invalid_content_length', message: 'Content-Length does not match the body' }]);
    default:
      break;
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return sendErrors(reply, request, status, [{ code: fe.code ? fe.code.toLowerCase() : 'bad_request', message: fe.message }]);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendErrors(reply, request, 500, [{ code: 'internal_error', message: 'Internal server error' }]);
}
