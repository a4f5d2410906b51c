import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ReceiptService } from '../../services/receipts.js';
import { actorOf } from '../auth.js';
import { PRINT_CSP } from '../admin/headers.js';
import { renderReceiptHtml } from '../views/receipt-print.js';
import { receiptView } from '../views/receipt.js';
import { ErrorSchema, ReceiptParams, ReceiptResponse } from '../schemas.js';

/** The printable receipt, and a superuser's retry / cancel of a receipt (audited by the service). */
export function receiptOperationRoutes(deps: { receipts: ReceiptService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

    r.get('/service_groups/:service_group_id/receipts/:receipt_id/print', {
      schema: { summary: 'The receipt as printed on paper (HTML with the QR code as SVG)', tags: ['receipts'], params: ReceiptParams, produces: ['text/html'] },
    }, async (request, reply) => {
      const record = await deps.receipts.printable(actorOf(request), Number(request.params.service_group_id), Number(request.params.receipt_id));
      const html = await renderReceiptHtml(record);
      // The dashboard's print view policy: static HTML, no script, framed only by this server.
      void reply.headers({ 'Content-Security-Policy': PRINT_CSP, 'X-Frame-Options': 'SAMEORIGIN', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
      return reply.type('text/html; charset=utf-8').send(html);
    });

    r.post('/service_groups/:service_group_id/receipts/:receipt_id/retry', {
      schema: { summary: 'Retry a failed receipt (superuser)', description: '409 receipt_not_failed naming the receipt’s current state.', tags: ['receipts'], params: ReceiptParams, response: { 200: ReceiptResponse, ...errors } },
    }, async (request) => receiptView(await deps.receipts.retry(actorOf(request), Number(request.params.service_group_id), Number(request.params.receipt_id))));

    r.post('/service_groups/:service_group_id/receipts/:receipt_id/cancel', {
      schema: { summary: 'Cancel a pending receipt (superuser): it becomes failed with code "canceled"', description: '409 receipt_not_pending naming the receipt’s current state.', tags: ['receipts'], params: ReceiptParams, response: { 200: ReceiptResponse, ...errors } },
    }, async (request) => receiptView(await deps.receipts.cancel(actorOf(request), Number(request.params.service_group_id), Number(request.params.receipt_id))));
  };
}
