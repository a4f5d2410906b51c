import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError, notFound } from '../../domain/errors.js';
import type { Fault, FiscalDocument, FiscalDriver } from '../../devices/driver.js';
import { hasFaults } from '../../devices/emulator/index.js';
import { requireGroupAccess } from '../../services/access.js';
import type { GroupService } from '../../services/groups.js';
import type { AuditRepository } from '../../storage/audit.js';
import type { GroupRepository } from '../../storage/groups.js';
import { currentUser } from '../auth.js';
import { ErrorSchema, GroupParams } from '../schemas.js';

const DocParams = Type.Object({ service_group_id: Type.String({ pattern: '^\\d{1,15}$' }), fd_number: Type.String({ pattern: '^\\d{1,10}$' }) });
const DocQuery = Type.Object({
  before: Type.Optional(Type.String({ pattern: '^\\d{1,10}$', description: 'documents numbered below this FD number' })),
  limit: Type.Optional(Type.String({ pattern: '^([1-9]|[1-9]\\d|100)$', description: '1..100, default 50' })),
});
const FaultBody = Type.Object({
  kind: Type.Union([
    Type.Literal('offline'), Type.Literal('lose_answer_after_close'), Type.Literal('disconnect_before_close'),
    Type.Literal('paper_out'), Type.Literal('slow'), Type.Literal('fn_full'), Type.Literal('fn_expired'),
  ]),
  delay_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'for "slow"' })),
  times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'operations affected; default: until cleared' })),
});

/**
 * FN documents read back through the group's device queue (so a read never interleaves with a
 * receipt), served in the FNS/OFD JSON form, and fault injection on virtual registers.
 */
export function deviceRoutes(deps: {
  groups: GroupRepository;
  service: GroupService;
  audit: AuditRepository;
  now: () => number;
  driverOf: (groupId: number) => FiscalDriver | undefined;
}): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };

    const unwrap = <T>(job: { state: string; result: unknown; error: unknown }): T => {
      if (job.state === 'success') return job.result as T;
      if (job.state === 'failed') {
        const e = job.error as { code?: string; message?: string } | null;
        throw new DomainError('unavailable', { code: e?.code ?? 'device_error', message: e?.message ?? 'The device failed' });
      }
      throw new DomainError('unavailable', { code: 'device_busy', message: 'The device did not answer in time' });
    };

    r.get('/service_groups/:service_group_id/documents/', {
      schema: {
        summary: 'Fiscal documents of the group’s FN, newest first, in the FNS/OFD JSON form',
        tags: ['documents'],
        params: GroupParams,
        querystring: DocQuery,
        response: { 200: Type.Object({ items: Type.Array(Type.Object({}, { additionalProperties: true })), next_before: Type.Union([Type.Integer(), Type.Null()]), last_fd_number: Type.Integer() }), ...errors },
      },
    }, async (request) => {
      const user = currentUser(request);
      const g = await requireGroupAccess(deps.groups, user, Number(request.params.service_group_id));
      const limit = request.query.limit ? Number(request.query.limit) : 50;
      const before = request.query.before ? Number(request.query.before) : null;
      const res = unwrap<{ last: number; documents: FiscalDocument[] }>(await deps.service.runJob(g, user, 'documents', { before, limit }));
      const lowest = res.documents.at(-1)?.fdNumber ?? null;
      return { items: res.documents.map((d) => d.json), next_before: lowest !== null && lowest > 1 ? lowest : null, last_fd_number: res.last };
    });

    r.get('/service_groups/:service_group_id/documents/:fd_number', {
      schema: { summary: 'One fiscal document by its number (tag 1040), in the FNS/OFD JSON form', tags: ['documents'], params: DocParams, response: { 200: Type.Object({}, { additionalProperties: true }), ...errors } },
    }, async (request) => {
      const user = currentUser(request);
      const g = await requireGroupAccess(deps.groups, user, Number(request.params.service_group_id));
      const doc = unwrap<FiscalDocument | null>(await deps.service.runJob(g, user, 'document', { fd: Number(request.params.fd_number) }));
      if (!doc) throw notFound('document_not_found', `The FN has no document ${request.params.fd_number}`);
      return doc.json;
    });

    // Fault injection: superusers only, virtual registers only, never active unless asked for.
    const faultTarget = async (request: Parameters<typeof currentUser>[0], groupId: number) => {
      const user = currentUser(request);
      if (!user.isSuperuser) throw new DomainError('forbidden', { code: 'superuser_required', message: 'Only a superuser may inject faults' });
      await requireGroupAccess(deps.groups, user, groupId);
      const driver = deps.driverOf(groupId);
      if (!driver) throw new DomainError('unavailable', { code: 'device_not_driven_here', message: 'The group is stopped or its device is driven by another node' });
      if (!hasFaults(driver)) throw new DomainError('conflict', { code: 'faults_not_supported', message: 'Fault injection exists only on virtual registers and protocol emulators' });
      return { user, faults: driver.faults };
    };
    r.get('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Active injected faults (virtual registers)', tags: ['faults'], params: GroupParams },
    }, async (request) => {
      const { faults } = await faultTarget(request, Number(request.params.service_group_id));
      return { active: faults.active() };
    });

    r.post('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Inject a fault into the virtual register (superuser)', tags: ['faults'], params: GroupParams, body: FaultBody, response: { 200: Type.Object({ active: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errors, 409: ErrorSchema } },
    }, async (request) => {
      const groupId = Number(request.params.service_group_id);
      const { user, faults } = await faultTarget(request, groupId);
      const b = request.body;
      const fault: Fault = b.kind === 'slow' ? { kind: 'slow', delayMs: b.delay_ms ?? 1000 } : { kind: b.kind };
      faults.inject(fault, b.times);
      await deps.audit.write({ userId: user.id, login: user.login, ip: request.ip, action: 'device.fault_inject', target: `service_group:${groupId}`, details: b }, deps.now());
      return { active: faults.active() };
    });

    r.delete('/service_groups/:service_group_id/device/faults', {
      schema: { summary: 'Clear every injected fault (superuser)', tags: ['faults'], params: GroupParams },
    }, async (request) => {
      const groupId = Number(request.params.service_group_id);
      const { user, faults } = await faultTarget(request, groupId);
      faults.clear();
      await deps.audit.write({ userId: user.id, login: user.login, ip: request.ip, action: 'device.fault_clear', target: `service_group:${groupId}` }, deps.now());
      return { active: faults.active() };
    });
  };
}
