import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireGroupAccess } from '../../services/access.js';
import type { GroupService } from '../../services/groups.js';
import type { GroupRepository } from '../../storage/groups.js';
import type { JobKind } from '../../storage/jobs.js';
import type { AuditRepository } from '../../storage/audit.js';
import { currentUser } from '../auth.js';
import { ErrorSchema, GroupParams } from '../schemas.js';

const GroupSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  enabled: Type.Boolean(),
  running: Type.Boolean(),
  device_model: Type.Union([Type.String(), Type.Null()]),
  state: Type.String({ description: 'running | stopped | disabled | error' }),
  state_reason: Type.Union([Type.String(), Type.Null()]),
});

export function groupRoutes(deps: { groups: GroupRepository; service: GroupService; audit: AuditRepository; now: () => number }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

    r.get('/service_groups/', {
      schema: { summary: 'Service groups this user may use', tags: ['service groups'], response: { 200: Type.Array(GroupSummary), 401: ErrorSchema } },
    }, async (request) => deps.service.list(currentUser(request)));

    r.get('/service_groups/:service_group_id', {
      schema: {
        summary: 'Service group state and device status',
        description: '`orphan_documents`: receipt documents found in the FN journal that no receipt owns and no superuser has acknowledged yet (see the dashboard).',
        tags: ['service groups'],
        params: GroupParams,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors },
      },
    }, async (request) => {
      const g = await requireGroupAccess(deps.groups, currentUser(request), Number(request.params.service_group_id));
      return deps.service.view(g);
    });

    const op = (path: string, kind: JobKind, summary: string) =>
      r.post(path, {
        schema: {
          summary,
          description: 'Runs through the group’s device queue, between receipts. Answers when the device has finished (or with the pending operation after 30 s).',
          tags: ['service groups'],
          params: GroupParams,
          response: { 200: Type.Object({}, { additionalProperties: true }), ...errors, 503: ErrorSchema },
        },
      }, async (request) => {
        const user = currentUser(request);
        const g = await requireGroupAccess(deps.groups, user, Number(request.params.service_group_id));
        const result = await deps.service.runJob(g, user, kind);
        // Operators' shift operations are fiscal events: who did it, when and from where.
        await deps.audit.write({ userId: user.id, login: user.login, ip: request.ip, action: `service_group.${kind}`, target: `service_group:${g.id}`, details: { job: result.id, state: result.state } }, deps.now());
        return result;
      });
    op('/service_groups/:service_group_id/shift/open', 'open_shift', 'Open the shift');
    op('/service_groups/:service_group_id/shift/close', 'close_shift', 'Close the shift (Z-report)');
    op('/service_groups/:service_group_id/reports/x', 'x_report', 'X-report');
  };
}
