import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DomainError } from '../domain/errors.js';
import { errorText } from '../domain/error-codes.js';
import { unavailableOf } from '../http/errors.js';
import { AtolError, pointer, schemaKind, serviceError, validationError, type AtolFieldIssue } from './errors.js';
import type { AtolRequest } from './mapping.js';
import { ATOL_VERSIONS, OPERATIONS, SERVICE_ERRORS, atolTimestamp, operationsOf, type AtolOperation, type AtolVersion } from './protocol.js';
import {
  GetTokenBody, GetTokenQuery, GroupParams, OperationParams, RegistrationResponse, ReportParams, ReportResponse, requestSchema, TokenQuery,
  TokenResponse, type GetTokenInput,
} from './schemas.js';
import type { Actor } from '../services/actor.js';
import type { AtolCaller, AtolOnlineService } from './service.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Query parameters that carry secrets: never written to the log (a token, getToken's password). */
const SECRET_PARAMS = new Set(['token', 'tokenid', 'pass']);

/** The request URL for the log, with the values of secret query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq));
    return SECRET_PARAMS.has(name.toLowerCase()) ? `${eq < 0 ? pair : pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Fastify's request serializer with the URL redacted (Bitrix sends the token as ?token=, GET getToken the password as ?pass=). */
const LOG_SERIALIZERS = {
  req: (req: FastifyRequest) => ({
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket.remotePort,
  }),
};

/** The token of a document or report request: the Token header, else ?token= (else the v3 clients' ?tokenid=). */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.token;
  if (typeof header === 'string' && header !== '') return header.trim();
  const q = request.query as { token?: unknown; tokenid?: unknown } | undefined;
  if (typeof q?.token === 'string') return q.token;
  if (typeof q?.tokenid === 'string') return q.tokenid;
  return undefined;
}

function send(reply: FastifyReply, e: AtolError, now: number): FastifyReply {
  if (e.retryAfter !== undefined) void reply.header('Retry-After', String(e.retryAfter));
  return reply
    .code(e.http)
    .type('application/json; charset=utf-8')
    .send({ ...(e.uuid !== undefined ? { uuid: e.uuid } : {}), ...(e.status !== null ? { status: e.status } : {}), error: e.body, timestamp: atolTimestamp(now) });
}

/** Schema validation errors of ajv → ATOL's code 32, naming each field as `<Kind>: #/pointer`. */
function fromAjv(errors: readonly AjvIssue[]): AtolFieldIssue[] {
  // Query and path parameters are named like body fields: getToken's ?login= is "#/login", as ATOL names it.
  return errors.map((e) => {
    const missing = e.keyword === 'required' && typeof e.params.missingProperty === 'string' ? e.params.missingProperty : undefined;
    return { kind: schemaKind(e.keyword, e.params), pointer: pointer(e.instancePath, missing) };
  });
}

/**
 * Every failure of the /possystem routes answered in ATOL's envelope, never in the native
 * `{errors: […]}`: ATOL's clients read `error.code` and `error.text`.
 */
function errorHandler(now: () => number) {
  return (error: FastifyError | DomainError | AtolError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AtolError) return send(reply, error, now());
    if (error instanceof DomainError) {
      const message = error.errors.map((x) => errorText(x.code, 'ru') ?? x.message).join('; ');
      switch (error.kind) {
        case 'invalid':
        case 'unprocessable':
          // The body's JSON itself (malformed, too deep) is a bad request; a field is a validation error.
          if (error.errors.some((x) => x.code === 'malformed_json' || x.code === 'too_deep')) return send(reply, serviceError('bad_request', message), now());
          return send(reply, validationError(error.errors.map((x) => ({ kind: 'IncorrectValue', pointer: `#/${(x.field ?? '').replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/')}`, detail: errorText(x.code, 'ru') ?? x.message }))), now());
        case 'rate_limited':
          return send(reply, serviceError('user_blocked', message, { http: 429, retryAfter: error.retryAfter ?? 1 }), now());
        case 'unavailable':
          return send(reply, serviceError('server', message, { http: 503, retryAfter: error.retryAfter ?? 1 }), now());
        default:
          return send(reply, serviceError('processing_failed', message), now());
      }
    }
    const unavailable = unavailableOf(error);
    if (unavailable) {
      request.log.warn({ err: error, code: unavailable.code }, 'database or storage unavailable');
      return send(reply, serviceError('server', errorText(unavailable.code, 'ru'), { http: 503, retryAfter: unavailable.retryAfter }), now());
    }
    const fe = error as FastifyError & { validation?: AjvIssue[] };
    if (fe.validation) return send(reply, validationError(fromAjv(fe.validation)), now());
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(reply, serviceError('media_type', `Ожидается application/json, передан "${String(request.headers['content-type'] ?? '')}"`), now());
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, serviceError('bad_request', 'Тело запроса слишком велико', { http: 413 }), now());
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(reply, serviceError('bad_request', fe.message), now());
      default:
        break;
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) return send(reply, serviceError('bad_request', fe.message, { http: status }), now());
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, serviceError('server'), now());
  };
}

/**
 * The ATOL Online-compatible API under /possystem (docs/atol-online.md): getToken, the document
 * operations of v4 and v5, and the report. A request's token and group code are checked before its
 * body is validated (a caller without access learns nothing from validation), then the body against
 * the operation's schema (code 32), then the service.
 *
 * No cross-site guard as on the Basic-auth API: nothing here rides on credentials a browser keeps —
 * the token travels in a header or in the URL the client builds itself.
 */
export function atolOnlineRoutes(deps: { service: AtolOnlineService; now: () => number }) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (api) => {
      api.setErrorHandler(errorHandler(deps.now));
      const r = api.withTypeProvider<TypeBoxTypeProvider>();
      const callers = new WeakMap<FastifyRequest, AtolCaller>();
      const tags = ['ATOL Online compatibility'];
      const base = { logSerializers: LOG_SERIALIZERS };

      const authorize = (version: AtolVersion) => async (request: FastifyRequest): Promise<void> => {
        const actor = await deps.service.actorOf(tokenOf(request), request.ip);
        const params = request.params as { group_code?: string };
        callers.set(request, await deps.service.caller(actor, version, params.group_code ?? ''));
      };
      const actors = new WeakMap<FastifyRequest, Actor>();
      const authenticate = async (request: FastifyRequest): Promise<void> => {
        actors.set(request, await deps.service.actorOf(tokenOf(request), request.ip));
      };
      const callerOf = (request: FastifyRequest): AtolCaller => {
        const c = callers.get(request);
        if (!c) throw serviceError('missing_token');
        return c;
      };
      const token = async (input: GetTokenInput, ip: string) => {
        const { token: value, timestamp } = await deps.service.issueToken(input.login, input.pass, ip);
        return { error: null, token: value, timestamp };
      };

      for (const version of ATOL_VERSIONS) {
        r.post(`/${version}/getToken`, {
          ...base,
          schema: { summary: `${version}: get a token (24 h) for a cr-server user`, tags, body: GetTokenBody, response: { 200: TokenResponse } },
        }, async (request) => token(request.body, request.ip));
        r.get(`/${version}/getToken`, {
          ...base,
          schema: { summary: `${version}: get a token, login and password in the query`, tags, querystring: GetTokenQuery, response: { 200: TokenResponse } },
        }, async (request) => token(request.query, request.ip));

        for (const operation of operationsOf(version)) {
          r.post(`/${version}/:group_code/${operation}`, {
            ...base,
            schema: {
              summary: `${version}: ${operation}`,
              description: 'Stored and queued through the native receipts service; 200 {uuid, status: wait}. A known external_id answers 400 with code 33 and the first uuid.',
              tags, params: GroupParams, querystring: TokenQuery, body: requestSchema(version, OPERATIONS[operation].correction),
              response: { 200: RegistrationResponse },
            },
            preValidation: authorize(version),
          }, async (request) => {
            const { uuid, timestamp } = await deps.service.register(callerOf(request), version, operation, request.body as AtolRequest);
            return { uuid, status: 'wait', error: null, timestamp };
          });
        }

        // Any other operation name: 31, once the token and group are known good.
        r.post(`/${version}/:group_code/:operation`, {
          ...base,
          schema: { summary: `${version}: an operation this version does not have`, tags, params: OperationParams, querystring: TokenQuery, hide: true },
          preValidation: authorize(version),
        }, async (request) => {
          callerOf(request);
          const op = request.params.operation;
          const other = (Object.keys(OPERATIONS) as AtolOperation[]).includes(op as AtolOperation) ? ` в протоколе ${version}` : '';
          throw new AtolError({ http: SERVICE_ERRORS.unsupported_operation.http, code: SERVICE_ERRORS.unsupported_operation.code, text: `Операция "${op}" не поддерживается${other}` });
        });

        r.get(`/${version}/:group_code/report/:uuid`, {
          ...base,
          schema: { summary: `${version}: the document's state and fiscal data`, tags, params: ReportParams, querystring: TokenQuery, response: { 200: ReportResponse } },
          preValidation: authenticate,
        }, async (request) => {
          const actor = actors.get(request);
          if (!actor) throw serviceError('missing_token');
          return deps.service.report(actor, request.params.group_code, request.params.uuid);
        });
      }

      // Everything else under /possystem answers in ATOL's envelope too.
      api.all('/*', { ...base, schema: { hide: true } }, async (request) => {
        throw serviceError('bad_request', `Нет ресурса ${request.method} ${request.url.split('?')[0] ?? ''}`, { http: 404 });
      });
    }, { prefix: '/possystem' });
  };
}
