import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { OrphanService } from '../../../services/orphans.js';
import { ErrorSchema, Text } from '../../schemas.js';
import { orphanView } from '../../views/orphans.js';
import { IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const OrphanQuery = Type.Object({
  service_group: Type.Optional(Text({ pattern: '^\\d{1,15}$', description: 'Only this service group' })),
  open: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: unacknowledged only; false: acknowledged only; omitted: both' })),
  limit: Type.Optional(Text({ pattern: '^([1-9]|[1-9]\\d|[1-4]\\d\\d|500)$', description: '1..500, default 100' })),
});

export const OrphanDocument = Type.Object({
  id: Type.Integer(),
  group_id: Type.Integer(),
  group_name: Type.String(),
  device_id: Type.Integer(),
  fd_number: Type.Integer({ description: 'Tag 1040' }),
  kind: Type.String({ description: 'receipt | correction' }),
  total_sum: Nullable(Type.String({ description: 'Tag 1020, roubles' })),
  document_at: Nullable(Type.String({ description: 'Tag 1012 as the document carries it' })),
  fiscal_sign: Nullable(Type.String({ description: 'Tag 1077' })),
  found_at: Type.String(),
  found_by: Type.String({ description: 'Node id of the device worker that found it' }),
  acknowledged_at: Nullable(Type.String()),
  acknowledged_by: Nullable(Type.String({ description: 'Login of the superuser who acknowledged it' })),
});

export const OrphanList = Type.Object({
  items: Type.Array(OrphanDocument),
  open_count: Type.Integer({ description: 'Unacknowledged documents (of the service group when filtered), whatever `open` and `limit` say' }),
});

/** «Документы без чека»: receipt documents in an FN journal that no receipt owns. */
export function orphanRoutes(deps: { orphans: OrphanService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
    const tags = ['admin: orphan documents'];

    r.get('/orphan-documents', {
      schema: {
        summary: 'Fiscal documents in an FN that no receipt owns, newest first',
        description: 'Found by the device workers’ reconciliation pass over the FN journal (a sale made on the register itself, or a document a node that lost its device lease left behind). Each stays open until acknowledged.',
        tags, querystring: OrphanQuery, response: { 200: OrphanList, ...errors },
      },
    }, async (request) => {
      const q = request.query;
      const page = await deps.orphans.list(actorOf(request), {
        ...(q.service_group !== undefined ? { groupId: Number(q.service_group) } : {}),
        ...(q.open !== undefined ? { open: q.open === 'true' } : {}),
        limit: q.limit !== undefined ? Number(q.limit) : 100,
      });
      return { items: page.items.map(orphanView), open_count: page.openCount };
    });

    r.post('/orphan-documents/:id/acknowledge', {
      schema: {
        summary: 'Acknowledge an orphan document: the operator has accounted for it (audited)',
        description: '404 orphan_document_not_found; 409 orphan_document_acknowledged when it already was.',
        tags, params: IdParams, response: { 200: OrphanDocument, ...errors, 409: ErrorSchema },
      },
    }, async (request) => orphanView(await deps.orphans.acknowledge(actorOf(request), Number(request.params.id))));
  };
}
