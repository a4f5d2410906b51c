import type { ErrorCode } from './error-codes.js';

export type { DeviceErrorCode, ErrorCode } from './error-codes.js';

/**
 * Errors with a stable machine-readable `code` from the one table (src/domain/error-codes.ts). The
 * HTTP layer maps `kind` to a status in one place (src/http/errors.ts).
 */
export type ErrorKind =
  | 'invalid' // 400: malformed or invalid field
  | 'unprocessable' // 422: well-formed but fiscally impossible
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'unavailable' // 503
  | 'rate_limited'; // 429

export interface FieldError {
  field?: string;
  /**
   * A code of the table; a string because some are relayed as they come (a device job's stored
   * error, a framework's own code), which src/domain/error-codes.test.ts accounts for.
   */
  code: string;
  message: string;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly errors: FieldError[];
  /** Seconds, for `rate_limited`. */
  retryAfter?: number;

  constructor(kind: ErrorKind, errors: FieldError[] | FieldError) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '));
    this.name = 'DomainError';
    this.kind = kind;
    this.errors = list;
  }
}

export const invalid = (field: string | undefined, code: ErrorCode, message: string): DomainError =>
  new DomainError('invalid', field === undefined ? { code, message } : { field, code, message });

export const unprocessable = (field: string | undefined, code: ErrorCode, message: string): DomainError =>
  new DomainError('unprocessable', field === undefined ? { code, message } : { field, code, message });

export const notFound = (code: ErrorCode, message: string): DomainError => new DomainError('not_found', { code, message });
