import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GroupAdmin } from '../../../services/admin/groups.js';
import type { JobKind } from '../../../storage/jobs.js';
import { ErrorSchema } from '../../schemas.js';
import { AccessBody, AccessResponse, AnyObject, Driver, GroupCreateBody, GroupPatchBody, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

export function groupRoutes(deps: { groupAdmin: GroupAdmin }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
    const tags = ['admin: service groups'];
    const G = deps.groupAdmin;

    r.get('/drivers', {
      schema: { summary: 'Device drivers, their device models and config schemas (the dashboard renders the form from them)', tags, response: { 200: Type.Array(Driver), ...errors } },
    }, async () => G.drivers());

    r.get('/service_groups', {
      schema: { summary: 'Service groups with device state, shift, queue and access list', tags, response: { 200: Type.Array(AnyObject), ...errors } },
    }, async () => G.list());

    r.get('/service_groups/:id', { schema: { summary: 'A service group', tags, params: IdParams, response: { 200: AnyObject, ...errors } } },
      async (request) => G.get(Number(request.params.id)));

    r.post('/service_groups', {
      schema: { summary: 'Create a service group and its device', description: 'Created stopped; «Пуск» starts it.', tags, body: GroupCreateBody, response: { 200: AnyObject, ...errors } },
    }, async (request) => G.create(request.body, actorOf(request)));

    r.patch('/service_groups/:id', {
      schema: { summary: 'Edit a service group, its device settings, or enable/disable it', description: 'New device settings restart a running device worker.', tags, params: IdParams, body: GroupPatchBody, response: { 200: AnyObject, ...errors } },
    }, async (request) => G.update(Number(request.params.id), request.body, actorOf(request)));

    r.delete('/service_groups/:id', {
      schema: { summary: 'Delete a service group', description: 'Refused while it has receipts (pending/processing/in doubt, or fiscalized: disable it instead).', tags, params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors } },
    }, async (request) => {
      await G.delete(Number(request.params.id), actorOf(request));
      return { ok: true };
    });

    r.put('/service_groups/:id/access', {
      schema: { summary: 'Users allowed to use the group («Настройки доступа»)', tags, params: IdParams, body: AccessBody, response: { 200: AccessResponse, ...errors } },
    }, async (request) => ({ user_ids: await G.setAccess(Number(request.params.id), request.body.user_ids, actorOf(request)) }));

    r.post('/service_groups/:id/start', { schema: { summary: '«Пуск»: drive the device', tags, params: IdParams, response: { 200: AnyObject, ...errors } } },
      async (request) => G.setRunning(Number(request.params.id), true, actorOf(request)));
    r.post('/service_groups/:id/stop', {
      schema: { summary: '«Стоп»: stop the device worker after its current operation', tags, params: IdParams, response: { 200: AnyObject, ...errors } },
    }, async (request) => G.setRunning(Number(request.params.id), false, actorOf(request)));

    const op = (path: string, kind: JobKind, summary: string) =>
      r.post(path, {
        schema: { summary, description: 'Runs through the device queue, between receipts; answers when the device has finished (or after 30 s with the pending job).', tags, params: IdParams, response: { 200: AnyObject, ...errors, 503: ErrorSchema } },
      }, async (request) => G.runJob(Number(request.params.id), kind, actorOf(request)));
    op('/service_groups/:id/shift/open', 'open_shift', 'Open the shift');
    op('/service_groups/:id/shift/close', 'close_shift', 'Close the shift (Z-report)');
    op('/service_groups/:id/reports/x', 'x_report', 'X-report');
  };
}
