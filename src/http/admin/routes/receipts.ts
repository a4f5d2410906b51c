import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GroupAdmin } from '../../../services/admin/groups.js';
import type { ReceiptAdmin } from '../../../services/admin/receipts.js';
import type { ReceiptService } from '../../../services/receipts.js';
import { ErrorSchema, ListQuery, ReceiptListResponse, ReceiptResponse } from '../../schemas.js';
import { GroupReceiptParams, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function receiptRoutes(deps: { groupAdmin: GroupAdmin; receipts: ReceiptService; receiptAdmin: ReceiptAdmin }): FastifyPluginAsync {
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

    r.get('/service_groups/:id/receipts/:receipt_id/print', {
      // Framed by the dashboard's receipt page: its own CSP (inline <style>, no script) and SAMEORIGIN.
      config: { adminFramable: true },
      schema: {
        summary: 'The receipt as printed on paper (HTML, QR code as SVG)',
        description: '409 receipt_not_fiscalized unless the receipt is success. Served with X-Frame-Options: SAMEORIGIN for the dashboard’s print preview.',
        tags, params: GroupReceiptParams, produces: ['text/html'], response: { 200: Type.String({ description: 'text/html' }), ...errors, 409: ErrorSchema },
      },
    }, async (request, reply) => {
      const html = await deps.receiptAdmin.printHtml(Number(request.params.id), Number(request.params.receipt_id));
      return reply.type('text/html; charset=utf-8').send(html);
    });

    r.post('/service_groups/:id/receipts/:receipt_id/retry', {
      schema: { summary: 'Retry a failed receipt: back to the queue (audited)', description: '409 receipt_not_failed unless the receipt is failed.', tags, params: GroupReceiptParams, response: { 200: ReceiptResponse, ...errors, 409: ErrorSchema } },
    }, async (request) => deps.receiptAdmin.retry(Number(request.params.id), Number(request.params.receipt_id), actorOf(request)));

    r.post('/service_groups/:id/receipts/:receipt_id/cancel', {
      schema: { summary: 'Cancel a pending receipt: it becomes failed with code "canceled" (audited)', description: '409 receipt_not_pending unless the receipt is still pending (not yet claimed by the device worker).', tags, params: GroupReceiptParams, response: { 200: ReceiptResponse, ...errors, 409: ErrorSchema } },
    }, async (request) => deps.receiptAdmin.cancel(Number(request.params.id), Number(request.params.receipt_id), actorOf(request)));
  };
}
