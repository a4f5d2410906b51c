import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DomainError, notFound } from '../../domain/errors.js';
import { requireGroupAccess } from '../../services/access.js';
import { renderReceiptHtml } from '../../services/print.js';
import type { ReceiptService } from '../../services/receipts.js';
import type { StoredRequest } from '../../services/receipt-view.js';
import type { AuditRepository } from '../../storage/audit.js';
import type { GroupRepository } from '../../storage/groups.js';
import type { ReceiptRepository } from '../../storage/receipts.js';
import { currentUser } from '../auth.js';
import { PRINT_CSP } from '../admin/headers.js';
import { ErrorSchema, ReceiptParams, ReceiptResponse } from '../schemas.js';

const requireSuperuser = (request: Parameters<typeof currentUser>[0]) => {
  const user = currentUser(request);
  if (!user.isSuperuser) throw new DomainError('forbidden', { code: 'superuser_required', message: 'Only a superuser may do this' });
  return user;
};

/** The printable receipt, and the admin's retry / cancel of a receipt, with an audit record. */
export function receiptAdminRoutes(deps: { groups: GroupRepository; receipts: ReceiptRepository; service: ReceiptService; audit: AuditRepository; now: () => number; notify: (groupId: number) => void }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

    r.get('/service_groups/:service_group_id/receipts/:receipt_id/print', {
      schema: { summary: 'The receipt as printed on paper (HTML with the QR code as SVG)', tags: ['receipts'], params: ReceiptParams, produces: ['text/html'] },
    }, async (request, reply) => {
      const groupId = Number(request.params.service_group_id);
      await requireGroupAccess(deps.groups, currentUser(request), groupId);
      const row = await deps.receipts.get(groupId, Number(request.params.receipt_id));
      if (!row) throw notFound('receipt_not_found', 'No such receipt');
      if (row.state !== 'success') throw new DomainError('conflict', { code: 'receipt_not_fiscalized', message: `The receipt is ${row.state}: there is no fiscal document to print` });
      const view = await deps.service.get(groupId, row.id);
      const html = await renderReceiptHtml(view, JSON.parse(row.request) as StoredRequest);
      // The dashboard's print view policy: static HTML, no script, framed only by this server.
      void reply.headers({ 'Content-Security-Policy': PRINT_CSP, 'X-Frame-Options': 'SAMEORIGIN', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
      return reply.type('text/html; charset=utf-8').send(html);
    });

    const action = (name: 'retry' | 'cancel', summary: string) =>
      r.post(`/service_groups/:service_group_id/receipts/:receipt_id/${name}`, {
        schema: { summary, tags: ['receipts'], params: ReceiptParams, response: { 200: ReceiptResponse, ...errors } },
      }, async (request) => {
        const user = requireSuperuser(request);
        const groupId = Number(request.params.service_group_id);
        const id = Number(request.params.receipt_id);
        await requireGroupAccess(deps.groups, user, groupId);
        const before = await deps.receipts.get(groupId, id);
        if (!before) throw notFound('receipt_not_found', 'No such receipt');
        const done = name === 'retry'
          ? await deps.receipts.retry(groupId, id, deps.now())
          : await deps.receipts.cancel(groupId, id, { code: 'canceled', message: `Canceled by ${user.login}; nothing was fiscalized`, retryable: false }, deps.now());
        if (!done) {
          throw new DomainError('conflict', {
            code: name === 'retry' ? 'receipt_not_failed' : 'receipt_not_pending',
            message: name === 'retry' ? `Only a failed receipt can be retried; this one is ${before.state}` : `Only a pending receipt can be canceled; this one is ${before.state}`,
          });
        }
        await deps.audit.write({ userId: user.id, login: user.login, ip: request.ip, action: `receipt.${name}`, target: `receipt:${id}`, details: { service_group: groupId, previous_state: before.state } }, deps.now());
        if (name === 'retry') deps.notify(groupId);
        return deps.service.get(groupId, id);
      });
    action('retry', 'Retry a failed receipt (superuser)');
    action('cancel', 'Cancel a pending receipt (superuser): it becomes failed with code "canceled"');
  };
}
