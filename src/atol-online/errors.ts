import { randomUUID } from 'node:crypto';
import { SERVICE_ERRORS, type AtolErrorType, type AtolStatus, type ServiceErrorName } from './protocol.js';

/** ATOL's error object: `error` of every reply and report. */
export interface AtolErrorBody {
  error_id: string;
  code: number;
  text: string;
  type: AtolErrorType;
}

export const errorBody = (code: number, text: string, type: AtolErrorType): AtolErrorBody => ({ error_id: randomUUID(), code, text, type });

/**
 * A refusal of the ATOL Online API, answered in ATOL's envelope: `{error, timestamp}` plus
 * `status` where ATOL's table gives the reply one (30, 32: fail; 33, 34: wait) and `uuid` for a
 * duplicate external_id. Thrown by the service and the routes, rendered by the plugin's error handler.
 */
export class AtolError extends Error {
  readonly http: number;
  readonly body: AtolErrorBody;
  readonly status: AtolStatus | null;
  readonly uuid: string | undefined;
  /** Seconds, for Retry-After (429 and 503). */
  readonly retryAfter: number | undefined;

  constructor(opts: { http: number; code: number; text: string; type?: AtolErrorType; status?: AtolStatus | null; uuid?: string; retryAfter?: number }) {
    super(`ATOL Online error ${opts.code}: ${opts.text}`);
    this.name = 'AtolError';
    this.http = opts.http;
    this.body = errorBody(opts.code, opts.text, opts.type ?? 'system');
    this.status = opts.status ?? null;
    this.uuid = opts.uuid;
    this.retryAfter = opts.retryAfter;
  }
}

/** One of the service errors of ATOL's table, its text extended by `detail` (after the table's text). */
export function serviceError(name: ServiceErrorName, detail?: string, extra: { uuid?: string; http?: number; retryAfter?: number } = {}): AtolError {
  const e = SERVICE_ERRORS[name];
  return new AtolError({
    http: extra.http ?? e.http,
    code: e.code,
    text: detail === undefined ? e.text : name === 'validation' ? `${e.text}${detail}` : `${e.text}. ${detail}`,
    status: e.status,
    ...(extra.uuid !== undefined ? { uuid: extra.uuid } : {}),
    ...(extra.retryAfter !== undefined ? { retryAfter: extra.retryAfter } : {}),
  });
}

/** A field of a request that failed validation, named as ATOL names them: `<Kind>: #/json/pointer`. */
export interface AtolFieldIssue {
  kind: string;
  pointer: string;
  /** Why, in words, for the issues cr-server's fiscal rules find (not the schema's). */
  detail?: string;
}

/** Code 32 with ATOL's text: "Ошибка валидации входящего чека. Ошибочные поля : PatternMismatch: #/login, …". */
export function validationError(issues: readonly AtolFieldIssue[]): AtolError {
  const list = issues.map((i) => `${i.kind}: ${i.pointer}${i.detail ? ` (${i.detail})` : ''}`).join(', ');
  return serviceError('validation', list);
}

/** The JSON pointer of ATOL's validation texts from an instance path: "/receipt/items/0/sum" → "#/receipt/items/0/sum". */
export const pointer = (instancePath: string, extra?: string): string => `#${instancePath}${extra === undefined || extra === '' ? '' : `/${extra}`}`;

/**
 * JSON Schema keywords → the kind names ATOL's validator prints (its observed text is
 * "PatternMismatch: #/login"; the others are the same validator's names for the other keywords).
 */
export function schemaKind(keyword: string, params: Record<string, unknown> = {}): string {
  switch (keyword) {
    case 'required': return 'PropertyRequired';
    case 'type': {
      const raw: unknown = Array.isArray(params.type) ? params.type[0] : params.type;
      const t = typeof raw === 'string' ? raw : '';
      const names: Record<string, string> = { string: 'StringExpected', number: 'NumberExpected', integer: 'IntegerExpected', boolean: 'BooleanExpected', object: 'ObjectExpected', array: 'ArrayExpected', null: 'NullExpected' };
      return names[t] ?? 'InvalidType';
    }
    case 'maxLength': return 'StringTooLong';
    case 'minLength': return 'StringTooShort';
    // `not` is the text rule of src/http/schemas.ts (control characters, lone surrogates…): a pattern to the client.
    case 'pattern':
    case 'format':
    case 'not': return 'PatternMismatch';
    case 'minimum':
    case 'exclusiveMinimum': return 'NumberTooSmall';
    case 'maximum':
    case 'exclusiveMaximum': return 'NumberTooBig';
    case 'multipleOf': return 'NumberNotMultipleOf';
    case 'maxItems': return 'TooManyItems';
    case 'minItems': return 'TooFewItems';
    case 'enum':
    case 'const': return 'NotInEnumeration';
    case 'anyOf': return 'NotAnyOf';
    case 'oneOf': return 'NotOneOf';
    case 'maxProperties': return 'TooManyProperties';
    case 'minProperties': return 'TooFewProperties';
    default: return 'Unknown';
  }
}
