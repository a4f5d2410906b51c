import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeviceOperations, ShiftOperation } from '../../services/device-operations.js';
import type { GroupService } from '../../services/groups.js';
import { actorOf } from '../auth.js';
import { groupSummary, groupView } from '../views/groups.js';
import { ErrorSchema, GroupParams, RegisterQuery, registerOf } from '../schemas.js';

const GroupSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  enabled: Type.Boolean(),
  running: Type.Boolean(),
  device_model: Type.Union([Type.String(), Type.Null()]),
  state: Type.String({ description: 'running | stopped | disabled | error' }),
  state_reason: Type.Union([Type.String(), Type.Null()]),
});

export function groupRoutes(deps: { groups: GroupService; devices: DeviceOperations; now: () => number }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

    r.get('/service_groups/', {
      schema: { summary: 'Service groups this user may use', tags: ['service groups'], response: { 200: Type.Array(GroupSummary), 401: ErrorSchema } },
    }, async (request) => (await deps.groups.list(actorOf(request))).map((g) => groupSummary(g.group, g.device)));

    r.get('/service_groups/:service_group_id', {
      schema: {
        summary: 'Service group state, its pool of registers and their status',
        description: '`registers`: every register of the pool with its service (active, maintenance, retired), health, FN forecast, unfinished receipts and share of the last hour (docs/pools.md); `device`: the first register. `orphan_documents`: receipt documents found in the FN journal that no receipt owns and no superuser has acknowledged yet (see the dashboard).',
        tags: ['service groups'],
        params: GroupParams,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors },
      },
    }, async (request) => groupView(await deps.groups.get(actorOf(request), Number(request.params.service_group_id)), deps.now()));

    const op = (path: string, kind: ShiftOperation, summary: string) =>
      r.post(path, {
        schema: {
          summary,
          description: 'Runs through the register’s device queue, between receipts. Answers when the device has finished (or with the pending operation after 30 s). `register_id` names a register of the pool (default: the first).',
          tags: ['service groups'],
          params: GroupParams,
          querystring: RegisterQuery,
          response: { 200: Type.Object({}, { additionalProperties: true }), ...errors, 503: ErrorSchema },
        },
      }, async (request) => deps.devices.shift(actorOf(request), Number(request.params.service_group_id), kind, registerOf(request.query)));
    op('/service_groups/:service_group_id/shift/open', 'open_shift', 'Open the shift');
    op('/service_groups/:service_group_id/shift/close', 'close_shift', 'Close the shift (Z-report)');
    op('/service_groups/:service_group_id/reports/x', 'x_report', 'X-report');
  };
}
