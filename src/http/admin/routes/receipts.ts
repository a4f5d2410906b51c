import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { GroupAdmin } from '../../../services/admin/groups.js';
import type { ReceiptService } from '../../../services/receipts.js';
import { ErrorSchema, ListQuery, ReceiptListResponse, ReceiptResponse } from '../../schemas.js';
import { GroupReceiptParams, IdParams } from '../schemas.js';

export function receiptRoutes(deps: { groupAdmin: GroupAdmin; receipts: ReceiptService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
    const tags = ['admin: receipts'];

    r.get('/service_groups/:id/receipts', {
      schema: { summary: 'Receipts of a group, newest first (filters: period, state, order id; cursor pagination)', tags, params: IdParams, querystring: ListQuery, response: { 200: ReceiptListResponse, ...errors } },
    }, async (request) => {
      const id = Number(request.params.id);
      await deps.groupAdmin.get(id);
      const { limit, ...rest } = request.query;
      return deps.receipts.list(id, { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
    });

    r.get('/service_groups/:id/receipts/:receipt_id', {
      schema: { summary: 'A receipt with all its fields', tags, params: GroupReceiptParams, response: { 200: ReceiptResponse, ...errors } },
    }, async (request) => deps.receipts.get(Number(request.params.id), Number(request.params.receipt_id)));
  };
}
