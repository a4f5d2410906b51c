import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { eventually } from '../support/server.js';
import { call, EXAMPLE_RECEIPT, backends, rest as restAsAdmin, startAdminServer, startPool, type Admin } from './helpers.js';

type Errors = { errors: { code: string; field?: string }[] };
interface RegisterView {
  id: number;
  service: 'active' | 'maintenance' | 'retired';
  health: { level: string; reasons: { code: string }[] } | null;
  registration: { fn_serial: string } | null;
  fn: { phase: string } | null;
  shift: { state: string } | null;
}
interface GroupView {
  id: number;
  registers: RegisterView[];
}
interface ArchiveClose {
  register_id: number;
  fd_number: number;
  fiscal_sign: string;
  date_time: string;
  fn_serial: string | null;
}

/**
 * «Закрыть архив ФН» (POST /admin/api/service_groups/{id}/registers/{register_id}/close-archive,
 * docs/pools.md): the step of the FN replacement flow between closing the shift and «ФН заменён».
 * Refused as replace-fn is (not drained, shift open) and on a driver that cannot; made by the
 * register's worker; the FN then refuses documents and the register is unavailable until its FN is
 * replaced.
 */
for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`closing a register’s FN archive on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeEach(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterEach(async () => {
      await server.cleanup();
    });

    const rest = (method: 'GET' | 'POST', url: string, payload?: unknown) => restAsAdmin(server, method, url, payload);
    const group = async (id: number) => (await rest('GET', `/service_groups/${id}`)).json<GroupView>();
    const closeArchive = (groupId: number, registerId: number) => call(server, admin, 'POST', `/admin/api/service_groups/${groupId}/registers/${registerId}/close-archive`);
    const register = async (groupId: number, id: number) => (await group(groupId)).registers.find((r) => r.id === id);

    /** A running group whose pool has two virtual registers, each judged once. */
    async function pool(): Promise<{ id: number; a: number; b: number }> {
      const { id, registers } = await startPool(server, admin, 2, { latency_ms: 20 });
      const [a, b] = registers as [number, number];
      return { id, a, b };
    }

    it('refuses a register that is active, holds receipts or has its shift open, and a driver that cannot', async () => {
      const g = await pool();
      const active = await closeArchive(g.id, g.a);
      expect(active.statusCode).toBe(409);
      expect(active.json<Errors>().errors[0]?.code).toBe('register_not_drained');

      // A receipt opens a's shift (auto-open); in maintenance with the shift open: shift_open.
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${g.b}`, { service: 'maintenance' });
      const sent = await rest('POST', `/service_groups/${g.id}/receipts/`, EXAMPLE_RECEIPT);
      const id = sent.json<{ id: string }>().id;
      await eventually(async () => (await rest('GET', `/service_groups/${g.id}/receipts/${id}`)).json<{ state: string }>().state === 'success', 10_000);
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${g.a}`, { service: 'maintenance' });
      await eventually(async () => (await register(g.id, g.a))?.shift?.state === 'open', 10_000);
      const shiftOpen = await closeArchive(g.id, g.a);
      expect(shiftOpen.statusCode).toBe(409);
      expect(shiftOpen.json<Errors>().errors[0]?.code).toBe('shift_open');

      const missing = await closeArchive(g.id, 999_999);
      expect(missing.statusCode).toBe(404);
      expect(missing.json<Errors>().errors[0]?.code).toBe('register_not_found');

      // Shtrih-M: no public source gives the frame of its close-fiscal-mode command, so its driver cannot.
      const drivers = (await call(server, admin, 'GET', '/admin/api/drivers')).json<{ model: string; capabilities: { close_archive: boolean } }[]>();
      expect(Object.fromEntries(drivers.map((d) => [d.model, d.capabilities.close_archive]))).toMatchObject({ emulator: true, atol: true, shtrih: false });
      const added = (await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers`, { driver: 'shtrih', config: { host: '127.0.0.1', port: 1 } })).json<GroupView>();
      const shtrih = added.registers.at(-1)?.id ?? 0;
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${shtrih}`, { service: 'maintenance' });
      const cannot = await closeArchive(g.id, shtrih);
      expect(cannot.statusCode).toBe(409);
      expect(cannot.json<Errors>().errors[0]?.code).toBe('close_archive_not_supported');
      // Nothing was closed or audited.
      expect((await register(g.id, g.a))?.fn?.phase).toBe('fiscal');
      const audit = await server.db.kysely.selectFrom('audit_log').select('action').where('action', '=', 'service_group.register_fn_archive_closed').execute();
      expect(audit).toHaveLength(0);
    });

    it('closes the archive through the register’s worker, then «ФН заменён» finishes the replacement', async () => {
      const g = await pool();
      const fnBefore = (await register(g.id, g.a))?.registration?.fn_serial;
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${g.a}`, { service: 'maintenance' });
      const res = await closeArchive(g.id, g.a);
      expect(res.statusCode).toBe(200);
      const body = res.json<GroupView & { close_archive: ArchiveClose }>();
      expect(body.close_archive).toMatchObject({ register_id: g.a, fn_serial: fnBefore });
      expect(body.close_archive.fd_number).toBeGreaterThan(1);
      expect(body.close_archive.fiscal_sign).toMatch(/^\d+$/);
      expect(body.close_archive.date_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);

      // The document in the FN, as the documents API reads it: type 6, FNS JSON `closeArchive`.
      const doc = await rest('GET', `/service_groups/${g.id}/documents/${body.close_archive.fd_number}?register_id=${g.a}`);
      expect(doc.statusCode).toBe(200);
      expect(doc.json<{ closeArchive: { code: number; fiscalDocumentNumber: number; fiscalDriveNumber: string } }>().closeArchive).toMatchObject({
        code: 6, fiscalDocumentNumber: body.close_archive.fd_number, fiscalDriveNumber: fnBefore,
      });
      const list = (await call(server, admin, 'GET', `/admin/api/service_groups/${g.id}/documents?register_id=${g.a}&limit=1`)).json<{ items: { kind: string }[] }>();
      expect(list.items[0]?.kind).toBe('closeArchive');

      // The FN's phase is closed: the register is unavailable (fn_not_fiscal); a second close is the FN's refusal.
      const closed = await eventually(async () => {
        const r = await register(g.id, g.a);
        return r?.fn?.phase === 'closed' && r.health?.reasons.some((x) => x.code === 'fn_not_fiscal') ? r : null;
      }, 10_000);
      expect(closed.health?.level).toBe('unavailable');
      const again = await closeArchive(g.id, g.a);
      expect(again.statusCode).toBe(503);
      expect(again.json<Errors>().errors[0]?.code).toBe('fn_archive_closed');
      const shift = await rest('POST', `/service_groups/${g.id}/shift/open?register_id=${g.a}`);
      expect(shift.json<{ state: string; error: { code: string } }>()).toMatchObject({ state: 'failed', error: { code: 'fn_archive_closed' } });

      const audit = await server.db.kysely.selectFrom('audit_log').select('details').where('action', '=', 'service_group.register_fn_archive_closed').orderBy('id').execute();
      expect(audit).toHaveLength(2);
      expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ device: g.a, state: 'success', fd_number: body.close_archive.fd_number, fn_serial: fnBefore });
      expect(JSON.parse(audit[1]?.details ?? '{}')).toMatchObject({ device: g.a, state: 'failed' });

      // «ФН заменён»: the old row retires; a new one reads the new FN and, put back to work, takes receipts.
      const replaced = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers/${g.a}/replace-fn`);
      expect(replaced.statusCode).toBe(200);
      const fresh = replaced.json<{ replacement_register: number }>().replacement_register;
      const newFn = await eventually(async () => (await register(g.id, fresh))?.registration?.fn_serial, 10_000);
      expect(newFn).not.toBe(fnBefore);
      // a took no receipt: with no history it is deleted outright rather than retired (docs/pools.md).
      expect((await group(g.id)).registers.map((r) => [r.id, r.service])).toEqual([[g.b, 'active'], [fresh, 'maintenance']]);
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${g.b}`, { service: 'maintenance' });
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${fresh}`, { service: 'active' });
      const sent = await rest('POST', `/service_groups/${g.id}/receipts/`, EXAMPLE_RECEIPT);
      const id = sent.json<{ id: string }>().id;
      const done = await eventually(async () => {
        const r = (await rest('GET', `/service_groups/${g.id}/receipts/${id}`)).json<{ state: string; registrator_id: number; fn_serial: string }>();
        return r.state === 'success' ? r : null;
      }, 10_000);
      expect(done).toMatchObject({ registrator_id: fresh, fn_serial: newFn });
    });
  });
}
