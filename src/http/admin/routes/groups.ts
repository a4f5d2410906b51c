import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeviceOperations, ShiftOperation } from '../../../services/device-operations.js';
import type { GroupService } from '../../../services/groups.js';
import { ErrorSchema } from '../../schemas.js';
import { adminGroupView } from '../../views/groups.js';
import { AccessBody, AccessResponse, AnyObject, Driver, GroupCreateBody, GroupPatchBody, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function groupRoutes(deps: { groups: GroupService; devices: DeviceOperations; now: () => number }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
    const tags = ['admin: service groups'];
    const G = deps.groups;
    const view = (st: Parameters<typeof adminGroupView>[0]) => adminGroupView(st, deps.now());

    r.get('/drivers', {
      schema: { summary: 'Device drivers, their device models and config schemas (the dashboard renders the form from them)', tags, response: { 200: Type.Array(Driver), ...errors } },
    }, async (request) => G.drivers(actorOf(request)).map((f) => ({
      model: f.model,
      title: f.title,
      device_models: [...f.deviceModels],
      config_schema: { ...f.configSchema },
      defaults: f.defaults(),
    })));

    r.get('/service_groups', {
      schema: { summary: 'Service groups with device state, shift, queue and access list', tags, response: { 200: Type.Array(AnyObject), ...errors } },
    }, async (request) => (await G.listAdmin(actorOf(request))).map(view));

    r.get('/service_groups/:id', { schema: { summary: 'A service group', tags, params: IdParams, response: { 200: AnyObject, ...errors } } },
      async (request) => view(await G.getAdmin(actorOf(request), Number(request.params.id))));

    r.post('/service_groups', {
      schema: { summary: 'Create a service group and its device', description: 'Created stopped; «Пуск» starts it.', tags, body: GroupCreateBody, response: { 200: AnyObject, ...errors } },
    }, async (request) => view(await G.create(actorOf(request), request.body)));

    r.patch('/service_groups/:id', {
      schema: { summary: 'Edit a service group, its device settings, or enable/disable it', description: 'New device settings restart a running device worker (one operation: the group stays running).', tags, params: IdParams, body: GroupPatchBody, response: { 200: AnyObject, ...errors } },
    }, async (request) => view(await G.update(actorOf(request), Number(request.params.id), request.body)));

    r.delete('/service_groups/:id', {
      schema: { summary: 'Delete a service group', description: 'Refused while it has receipts (pending/processing/in doubt, or fiscalized: disable it instead).', tags, params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors } },
    }, async (request) => {
      await G.delete(actorOf(request), Number(request.params.id));
      return { ok: true };
    });

    r.put('/service_groups/:id/access', {
      schema: { summary: 'Users allowed to use the group («Настройки доступа»)', tags, params: IdParams, body: AccessBody, response: { 200: AccessResponse, ...errors } },
    }, async (request) => ({ user_ids: await G.setAccess(actorOf(request), Number(request.params.id), request.body.user_ids) }));

    r.post('/service_groups/:id/start', { schema: { summary: '«Пуск»: drive the device', tags, params: IdParams, response: { 200: AnyObject, ...errors } } },
      async (request) => view(await G.setRunning(actorOf(request), Number(request.params.id), true)));
    r.post('/service_groups/:id/stop', {
      schema: { summary: '«Стоп»: stop the device worker after its current operation', tags, params: IdParams, response: { 200: AnyObject, ...errors } },
    }, async (request) => view(await G.setRunning(actorOf(request), Number(request.params.id), false)));

    const op = (path: string, kind: ShiftOperation, summary: string) =>
      r.post(path, {
        schema: { summary, description: 'Runs through the device queue, between receipts; answers when the device has finished (or after 30 s with the pending job).', tags, params: IdParams, response: { 200: AnyObject, ...errors, 503: ErrorSchema } },
      }, async (request) => deps.devices.shift(actorOf(request), Number(request.params.id), kind));
    op('/service_groups/:id/shift/open', 'open_shift', 'Open the shift');
    op('/service_groups/:id/shift/close', 'close_shift', 'Close the shift (Z-report)');
    op('/service_groups/:id/reports/x', 'x_report', 'X-report');
  };
}
