import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DomainError } from '../../domain/errors.js';
import { requireGroupAccess, requireGroupForReceipts } from '../../services/access.js';
import type { ReceiptService } from '../../services/receipts.js';
import type { ReceiptView } from '../../services/receipt-view.js';
import type { GroupForReceipts, GroupRepository } from '../../storage/groups.js';
import { currentUser } from '../auth.js';
import { ErrorSchema, GroupParams, ListQuery, ReceiptBodySchema, ReceiptListResponse, ReceiptParams, ReceiptResponse, RegisterResponse } from '../schemas.js';

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/** The group the access check of a request already read, so the handler does not read it again. */
const checkedGroups = new WeakMap<object, Omit<GroupForReceipts, 'allowed'>>();

export function receiptRoutes(deps: { groups: GroupRepository; receipts: ReceiptService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

    r.post('/service_groups/:service_group_id/receipts/', {
      schema: {
        summary: 'Register a receipt',
        description: '200 means the receipt is durably stored and queued, not yet fiscalized: read `location` until `state` is final.',
        tags: ['receipts'],
        params: GroupParams,
        body: ReceiptBodySchema,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: '1–128 printable characters' } } },
        response: { 200: RegisterResponse, ...errors, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema, 503: ErrorSchema },
      },
      // Access is checked before the body is validated, so a user without access learns nothing from validation errors.
      preValidation: async (request) => {
        const params = request.params as { service_group_id?: string };
        const id = Number(params.service_group_id);
        if (Number.isSafeInteger(id)) checkedGroups.set(request, await requireGroupForReceipts(deps.groups, currentUser(request), id));
      },
    }, async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key))) {
        throw new DomainError('invalid', { field: 'Idempotency-Key', code: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1–128 printable ASCII characters' });
      }
      const target = checkedGroups.get(request) ?? (await requireGroupForReceipts(deps.groups, currentUser(request), Number(request.params.service_group_id)));
      const result = await deps.receipts.register(target, currentUser(request).id, request.body, key ?? null);
      void reply.header('Location', result.location);
      return { id: result.id, location: result.location };
    });

    r.get('/service_groups/:service_group_id/receipts/:receipt_id', {
      schema: { summary: 'Read a receipt', tags: ['receipts'], params: ReceiptParams, response: { 200: ReceiptResponse, ...errors } },
    }, async (request, reply) => {
      const serialize = reply.getSerializationFunction('200');
      const render = (view: ReceiptView) => (serialize ? serialize(view) : JSON.stringify(view));
      const body = await deps.receipts.getFor(currentUser(request), Number(request.params.service_group_id), Number(request.params.receipt_id), render);
      // Already serialized by the route's own serializer: Fastify sends a string as it is (the cast
      // only quiets the type provider, which types the payload as the schema's object).
      return reply.type('application/json; charset=utf-8').send(body as unknown as ReceiptView);
    });

    r.get('/service_groups/:service_group_id/receipts/', {
      schema: {
        summary: 'List receipts, newest first',
        tags: ['receipts'],
        params: GroupParams,
        querystring: ListQuery,
        response: { 200: ReceiptListResponse, ...errors },
      },
    }, async (request) => {
      const groupId = Number(request.params.service_group_id);
      await requireGroupAccess(deps.groups, currentUser(request), groupId);
      const { limit, ...rest } = request.query;
      return deps.receipts.list(groupId, { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
    });
  };
}
