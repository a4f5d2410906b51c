import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ReceiptService } from '../../../services/receipts.js';
import type { ReceiptRecord } from '../../../storage/receipts.js';
import { ErrorSchema, ListQuery } from '../../schemas.js';
import { renderReceiptHtml } from '../../views/receipt-print.js';
import { adminReceiptView } from '../../views/receipt.js';
import { AdminReceipt, AdminReceiptList, GroupReceiptParams, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function receiptRoutes(deps: { receipts: ReceiptService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
    const tags = ['admin: receipts'];
    const one = async (record: ReceiptRecord) => adminReceiptView(record, await deps.receipts.loginsOf([record]));

    r.get('/service_groups/:id/receipts', {
      schema: { summary: 'Receipts of a group, newest first (filters: period, state, order id; cursor pagination)', tags, params: IdParams, querystring: ListQuery, response: { 200: AdminReceiptList, ...errors } },
    }, async (request) => {
      const { limit, ...rest } = request.query;
      const page = await deps.receipts.list(actorOf(request), Number(request.params.id), { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
      const logins = await deps.receipts.loginsOf(page.items);
      return { items: page.items.map((item) => adminReceiptView(item, logins)), next_cursor: page.next_cursor };
    });

    r.get('/service_groups/:id/receipts/:receipt_id', {
      schema: { summary: 'A receipt with all its fields and the login of the API user who sent it', tags, params: GroupReceiptParams, response: { 200: AdminReceipt, ...errors } },
    }, async (request) => one(await deps.receipts.get(actorOf(request), Number(request.params.id), Number(request.params.receipt_id))));

    r.get('/service_groups/:id/receipts/:receipt_id/print', {
      // Framed by the dashboard's receipt page: its own CSP (inline <style>, no script) and SAMEORIGIN.
      config: { adminFramable: true },
      schema: {
        summary: 'The receipt as printed on paper (HTML, QR code as SVG)',
        description: '409 receipt_not_fiscalized unless the receipt is success. Served with X-Frame-Options: SAMEORIGIN for the dashboard’s print preview.',
        tags, params: GroupReceiptParams, produces: ['text/html'], response: { 200: Type.String({ description: 'text/html' }), ...errors, 409: ErrorSchema },
      },
    }, async (request, reply) => {
      const record = await deps.receipts.printable(actorOf(request), Number(request.params.id), Number(request.params.receipt_id));
      return reply.type('text/html; charset=utf-8').send(await renderReceiptHtml(record));
    });

    r.post('/service_groups/:id/receipts/:receipt_id/retry', {
      schema: { summary: 'Retry a failed receipt: back to the queue (audited)', description: '409 receipt_not_failed naming the receipt’s current state unless it is failed.', tags, params: GroupReceiptParams, response: { 200: AdminReceipt, ...errors, 409: ErrorSchema } },
    }, async (request) => one(await deps.receipts.retry(actorOf(request), Number(request.params.id), Number(request.params.receipt_id))));

    r.post('/service_groups/:id/receipts/:receipt_id/cancel', {
      schema: { summary: 'Cancel a pending receipt: it becomes failed with code "canceled" (audited)', description: '409 receipt_not_pending naming the receipt’s current state unless it is still pending (not yet claimed by the device worker).', tags, params: GroupReceiptParams, response: { 200: AdminReceipt, ...errors, 409: ErrorSchema } },
    }, async (request) => one(await deps.receipts.cancel(actorOf(request), Number(request.params.id), Number(request.params.receipt_id))));
  };
}
