import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DeviceAdmin } from '../../../services/admin/device.js';
import type { GroupAdmin } from '../../../services/admin/groups.js';
import { ErrorSchema } from '../../schemas.js';
import { DocumentsQuery, DocumentsResponse, FaultBody, FaultsResponse, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function deviceRoutes(deps: { groupAdmin: GroupAdmin; deviceAdmin: DeviceAdmin }): FastifyPluginAsync {
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
      const g = await deps.groupAdmin.row(Number(request.params.id));
      const before = request.query.before !== undefined ? Number(request.query.before) : null;
      return deps.deviceAdmin.documents(g, actorOf(request), before, Number(request.query.limit ?? 20));
    });

    const tags = ['admin: fault injection (tests)'];
    r.get('/service_groups/:id/device/faults', {
      schema: { summary: 'Active injected faults (virtual registers driven by this node)', tags, params: IdParams, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => {
      await deps.groupAdmin.row(Number(request.params.id));
      return deps.deviceAdmin.activeFaults(Number(request.params.id));
    });

    r.post('/service_groups/:id/device/faults', {
      schema: { summary: 'Inject a fault into the virtual register (test tool, audited)', tags, params: IdParams, body: FaultBody, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => {
      await deps.groupAdmin.row(Number(request.params.id));
      return deps.deviceAdmin.injectFault(Number(request.params.id), request.body, actorOf(request));
    });

    r.delete('/service_groups/:id/device/faults', {
      schema: { summary: 'Clear every injected fault (audited)', tags, params: IdParams, response: { 200: FaultsResponse, ...errors } },
    }, async (request) => {
      await deps.groupAdmin.row(Number(request.params.id));
      return deps.deviceAdmin.clearFaults(Number(request.params.id), actorOf(request));
    });
  };
}
