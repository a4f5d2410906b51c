import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import type { ReceiptService, ReceiptTarget } from '../../services/receipts.js';
import { actorOf } from '../auth.js';
import type { BodyCache } from '../views/body-cache.js';
import { receiptView } from '../views/receipt.js';
import { ErrorSchema, GroupParams, ListQuery, ReceiptBodySchema, ReceiptListResponse, ReceiptParams, ReceiptResponse, RegisterResponse } from '../schemas.js';

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/** The group the access check of a request already read, so the handler does not read it again. */
const checkedGroups = new WeakMap<object, ReceiptTarget>();

export function receiptRoutes(deps: { receipts: ReceiptService; bodies?: BodyCache }): FastifyPluginAsync {
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
        if (Number.isSafeInteger(id)) checkedGroups.set(request, await deps.receipts.target(actorOf(request), id));
      },
    }, async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key))) {
        throw new DomainError('invalid', { field: 'Idempotency-Key', code: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1–128 printable ASCII characters' });
      }
      const actor = actorOf(request);
      const target = checkedGroups.get(request) ?? (await deps.receipts.target(actor, Number(request.params.service_group_id)));
      const result = await deps.receipts.register(actor, target, request.body, key ?? null);
      void reply.header('Location', result.location);
      return { id: result.id, location: result.location };
    });

    // Declared without the type provider's reply typing: the handler sends either the view or the
    // body already rendered by this route's own serializer (a string Fastify sends as it is).
    app.get<{ Params: Static<typeof ReceiptParams> }>('/service_groups/:service_group_id/receipts/:receipt_id', {
      schema: { summary: 'Read a receipt', tags: ['receipts'], params: ReceiptParams, response: { 200: ReceiptResponse, ...errors } },
    }, async (request, reply) => {
      const actor = actorOf(request);
      const groupId = Number(request.params.service_group_id);
      const receiptId = Number(request.params.receipt_id);
      // A fiscalized receipt never changes again: its rendered body is served again after the
      // access check alone (http/views/body-cache.ts).
      const cached = deps.bodies?.get(receiptId, groupId);
      if (cached !== undefined && (await deps.receipts.mayRead(actor, groupId))) {
        return reply.type('application/json; charset=utf-8').send(cached);
      }
      const record = await deps.receipts.get(actor, groupId, receiptId);
      const view = receiptView(record);
      // A receipt with a callback is not final in its view: its `callback` block changes with every
      // delivery attempt after the success, so its body is never cached.
      if (record.state === 'success' && record.callback_url === null && deps.bodies) {
        const serialize = reply.getSerializationFunction('200');
        const body = serialize ? serialize(view) : JSON.stringify(view);
        deps.bodies.set(record.id, groupId, body);
        return reply.type('application/json; charset=utf-8').send(body);
      }
      return view;
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
      const { limit, ...rest } = request.query;
      const page = await deps.receipts.list(actorOf(request), Number(request.params.service_group_id), { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
      return { items: page.items.map(receiptView), next_cursor: page.next_cursor };
    });
  };
}
