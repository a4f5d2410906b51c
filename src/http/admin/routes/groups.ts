import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { DeviceOperations, ShiftOperation } from '../../../services/device-operations.js';
import type { GroupService } from '../../../services/groups.js';
import { ErrorSchema, RegisterQuery, registerOf } from '../../schemas.js';
import { adminGroupView } from '../../views/groups.js';
import { AccessBody, AccessResponse, AnyObject, Driver, GroupCreateBody, GroupPatchBody, IdParams, RegisterBody, RegisterParams, RegisterPatchBody } from '../schemas.js';
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
      capabilities: { close_archive: f.capabilities?.closeArchive === true },
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

    // The register pool (docs/pools.md).
    r.post('/service_groups/:id/registers', {
      schema: { summary: 'Add a register to the group’s pool', description: 'In service at once; driven when the group runs.', tags, params: IdParams, body: RegisterBody, response: { 200: AnyObject, ...errors } },
    }, async (request) => view(await G.addRegister(actorOf(request), Number(request.params.id), request.body)));

    r.patch('/service_groups/:id/registers/:register_id', {
      schema: {
        summary: 'Change a register’s settings, or put it in or out of maintenance («обслуживание»)',
        description: 'New settings restart that register’s worker. In maintenance the register takes no new receipts; what it holds in doubt stays with it until its FN answers.',
        tags, params: RegisterParams, body: RegisterPatchBody, response: { 200: AnyObject, ...errors },
      },
    }, async (request) => view(await G.updateRegister(actorOf(request), Number(request.params.id), Number(request.params.register_id), request.body)));

    r.delete('/service_groups/:id/registers/:register_id', {
      schema: {
        summary: 'Remove a drained register from the pool',
        description: '409 register_not_drained unless it is in maintenance and holds no unfinished receipt; 409 last_register for the pool’s last one. A register that receipts name is retired (kept, no longer driven), otherwise deleted.',
        tags, params: RegisterParams, response: { 200: AnyObject, ...errors },
      },
    }, async (request) => {
      const { state, retired } = await G.removeRegister(actorOf(request), Number(request.params.id), Number(request.params.register_id));
      return { ...view(state), removed_register: { id: Number(request.params.register_id), retired } };
    });

    r.post('/service_groups/:id/registers/:register_id/replace-fn', {
      schema: {
        summary: '«ФН заменён»: the register’s FN was replaced',
        description: 'The register must be in maintenance, drained, with its shift closed (409 register_not_drained, shift_open). It is retired and joins the pool again as a new register with the same settings, in maintenance, so its new registration (RNM, FN serial) is read from the device before it is put back to work.',
        tags, params: RegisterParams, response: { 200: AnyObject, ...errors },
      },
    }, async (request) => {
      const { state, replacement } = await G.replaceFn(actorOf(request), Number(request.params.id), Number(request.params.register_id));
      return { ...view(state), replacement_register: replacement };
    });

    r.post('/service_groups/:id/registers/:register_id/close-archive', {
      schema: {
        summary: '«Закрыть архив ФН»: close the register’s FN archive before replacing the FN',
        description: 'The register must be in maintenance, drained, with its shift closed, as for «ФН заменён» (409 register_not_drained, shift_open, register_retired), and its driver must be able to (409 close_archive_not_supported). The report on closing the FN (document 6) is made by the register’s worker through its device queue, like the shift operations; the answer carries it (`close_archive`: FD number, fiscal sign, date) or the device’s refusal (503 with its code, device_busy after 30 s). The FN then refuses every fiscal document (fn_archive_closed): replace it, re-register the register and mark «ФН заменён».',
        tags, params: RegisterParams, response: { 200: AnyObject, ...errors, 503: ErrorSchema },
      },
    }, async (request) => {
      const { state, document } = await G.closeArchive(actorOf(request), Number(request.params.id), Number(request.params.register_id));
      return { ...view(state), close_archive: document };
    });

    const op = (path: string, kind: ShiftOperation, summary: string) =>
      r.post(path, {
        schema: { summary, description: 'Runs through the register’s device queue, between receipts; answers when the device has finished (or after 30 s with the pending job). `register_id`: a register of the pool (default: the first).', tags, params: IdParams, querystring: RegisterQuery, response: { 200: AnyObject, ...errors, 503: ErrorSchema } },
      }, async (request) => deps.devices.shift(actorOf(request), Number(request.params.id), kind, registerOf(request.query)));
    op('/service_groups/:id/shift/open', 'open_shift', 'Open the shift');
    op('/service_groups/:id/shift/close', 'close_shift', 'Close the shift (Z-report)');
    op('/service_groups/:id/reports/x', 'x_report', 'X-report');
  };
}
