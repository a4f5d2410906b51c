import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditLog } from '../../../services/audit-log.js';
import type { Overview } from '../../../services/overview.js';
import { ErrorSchema } from '../../schemas.js';
import { auditEntryView } from '../../views/audit.js';
import { AuditEntry, AuditQuery, OverviewQuery } from '../schemas.js';
import { actorOf } from '../session.js';

const Num = Type.Number();

export function overviewRoutes(deps: { overview: Overview; auditLog: AuditLog }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

    r.get('/overview', {
      schema: {
        summary: 'Receipts per day and sums per group; devices needing attention',
        tags: ['admin'],
        querystring: OverviewQuery,
        response: {
          200: Type.Object({
            days: Type.Array(Type.String({ description: 'YYYY-MM-DD' })),
            groups: Type.Array(Type.Object({
              id: Type.Integer(),
              name: Type.String(),
              state: Type.String(),
              counts: Type.Array(Num, { description: 'Receipts created per day' }),
              sums: Type.Array(Num, { description: 'Sum of successful receipts per day, roubles' }),
              by_state: Type.Record(Type.String(), Num),
            })),
            attention: Type.Array(Type.Object({
              group_id: Type.Integer(), group_name: Type.String(), severity: Type.String(), code: Type.String(), message: Type.String(),
              count: Type.Optional(Type.Integer({ description: 'How many, when the item counts something (orphan_documents)' })),
              device_id: Type.Optional(Type.Integer({ description: 'The register of the pool the item is about (only in groups with several registers)' })),
            })),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const days = request.query.days !== undefined ? Number(request.query.days) : 14;
      const tz = request.query.tz_offset !== undefined ? Number(request.query.tz_offset) : -new Date().getTimezoneOffset();
      return deps.overview.get(actorOf(request), days, Math.max(-840, Math.min(840, tz)));
    });

    r.get('/audit', {
      schema: { summary: 'The audit log, newest first, each entry with its actor’s current login (`actor_login`)', tags: ['admin'], querystring: AuditQuery, response: { 200: Type.Array(AuditEntry), ...errors } },
    }, async (request) => {
      const rows = await deps.auditLog.list(actorOf(request), Number(request.query.limit ?? 50), request.query.before !== undefined ? Number(request.query.before) : null);
      return rows.map(auditEntryView);
    });
  };
}
