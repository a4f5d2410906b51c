import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DOCUMENTS_PAGE_DEFAULT, type DeviceOperations } from '../../../services/device-operations.js';
import { ErrorSchema, RegisterQuery, registerOf } from '../../schemas.js';
import { documentItemView, faultView } from '../../views/documents.js';
import { DocumentsQuery, DocumentsResponse, FaultBody, FaultsResponse, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function deviceRoutes(deps: { devices: DeviceOperations }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };

    r.get('/service_groups/:id/documents', {
      schema: {
        summary: '«Документы ФН»: the FN’s fiscal documents, newest first',
        description: 'Read through the device queue (between receipts); page with `before` = the previous answer’s next_before. 503 when the group is stopped or the device fails.',
        tags: ['admin: device'], params: IdParams, querystring: DocumentsQuery, response: { 200: DocumentsResponse, ...errors },
      },
    }, async (request) => {
      const q = request.query;
      const res = await deps.devices.documents(actorOf(request), Number(request.params.id), q.before !== undefined ? Number(q.before) : null, q.limit !== undefined ? Number(q.limit) : DOCUMENTS_PAGE_DEFAULT, registerOf(q));
      return { items: res.documents.map(documentItemView), next_before: res.nextBefore, last_fd_number: res.last };
    });

    const tags = ['admin: fault injection (tests)'];
    r.get('/service_groups/:id/device/faults', {
      schema: { summary: 'Active injected faults (virtual registers driven by this node)', tags, params: IdParams, querystring: RegisterQuery, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => ({ active: (await deps.devices.activeFaults(actorOf(request), Number(request.params.id), registerOf(request.query))).map(faultView) }));

    r.post('/service_groups/:id/device/faults', {
      schema: { summary: 'Inject a fault into the virtual register (test tool, audited)', tags, params: IdParams, querystring: RegisterQuery, body: FaultBody, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => ({ active: (await deps.devices.injectFault(actorOf(request), Number(request.params.id), request.body, registerOf(request.query))).map(faultView) }));

    r.delete('/service_groups/:id/device/faults', {
      schema: { summary: 'Clear every injected fault (audited)', tags, params: IdParams, querystring: RegisterQuery, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => ({ active: (await deps.devices.clearFaults(actorOf(request), Number(request.params.id), registerOf(request.query))).map(faultView) }));
  };
}
