import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DOCUMENTS_PAGE_DEFAULT, type DeviceOperations } from '../../services/device-operations.js';
import { actorOf } from '../auth.js';
import { ErrorSchema, FaultBody, GroupParams, MarkingCheckBody, RegisterQuery, registerOf } from '../schemas.js';
import { documentJson } from '../views/documents.js';
import { markingCheckView } from '../views/marking.js';

const DocParams = Type.Object({ service_group_id: Type.String({ pattern: '^\\d{1,15}$' }), fd_number: Type.String({ pattern: '^\\d{1,10}$' }) });
const DocQuery = Type.Object({
  ...RegisterQuery.properties,
  before: Type.Optional(Type.String({ pattern: '^\\d{1,10}$', description: 'documents numbered below this FD number' })),
  limit: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9]\\d|100)$', description: '1..100, default 50' })),
});

/**
 * FN documents read back through the group's device queue (so a read never interleaves with a
 * receipt), served in the FNS/OFD JSON form, and fault injection on virtual registers.
 */
export function deviceRoutes(deps: { devices: DeviceOperations }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };

    r.get('/service_groups/:service_group_id/documents/', {
      schema: {
        summary: 'Fiscal documents of the group’s FN, newest first, in the FNS/OFD JSON form',
        tags: ['documents'],
        params: GroupParams,
        querystring: DocQuery,
        response: { 200: Type.Object({ items: Type.Array(Type.Object({}, { additionalProperties: true })), next_before: Type.Union([Type.Integer(), Type.Null()]), last_fd_number: Type.Integer() }), ...errors },
      },
    }, async (request) => {
      const q = request.query;
      const res = await deps.devices.documents(actorOf(request), Number(request.params.service_group_id), q.before ? Number(q.before) : null, q.limit ? Number(q.limit) : DOCUMENTS_PAGE_DEFAULT, registerOf(q));
      return { items: res.documents.map(documentJson), next_before: res.nextBefore, last_fd_number: res.last };
    });

    r.get('/service_groups/:service_group_id/documents/:fd_number', {
      schema: { summary: 'One fiscal document by its number (tag 1040), in the FNS/OFD JSON form', tags: ['documents'], params: DocParams, querystring: RegisterQuery, response: { 200: Type.Object({}, { additionalProperties: true }), ...errors } },
    }, async (request) => documentJson(await deps.devices.document(actorOf(request), Number(request.params.service_group_id), Number(request.params.fd_number), registerOf(request.query))));

    r.post('/service_groups/:service_group_id/marking-codes/check', {
      schema: {
        summary: 'Check a marking code with the FN and the marking operator, without a receipt',
        description: 'Runs through the device queue like a shift operation. The code is declined after the check, so nothing stays in the FN. `sellable` says whether the group’s marking policy would sell an item with this answer.',
        tags: ['marking'],
        params: GroupParams,
        body: MarkingCheckBody,
        response: { 200: Type.Object({}, { additionalProperties: true }), 400: ErrorSchema, 422: ErrorSchema, ...errors },
      },
    }, async (request) => markingCheckView(await deps.devices.checkMarkingCode(actorOf(request), Number(request.params.service_group_id), request.body)));

    // Fault injection: superusers only, virtual registers only, never active unless asked for.
    r.get('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Active injected faults (virtual registers)', tags: ['faults'], params: GroupParams, querystring: RegisterQuery },
    }, async (request) => ({ active: await deps.devices.activeFaults(actorOf(request), Number(request.params.service_group_id), registerOf(request.query)) }));

    r.post('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Inject a fault into the virtual register (superuser)', tags: ['faults'], params: GroupParams, querystring: RegisterQuery, body: FaultBody, response: { 200: Type.Object({ active: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errors, 409: ErrorSchema } },
    }, async (request) => ({ active: await deps.devices.injectFault(actorOf(request), Number(request.params.service_group_id), request.body, registerOf(request.query)) }));

    r.delete('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Clear every injected fault (superuser)', tags: ['faults'], params: GroupParams, querystring: RegisterQuery },
    }, async (request) => ({ active: await deps.devices.clearFaults(actorOf(request), Number(request.params.service_group_id), registerOf(request.query)) }));
  };
}
