import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createOrphanRepository, type NewOrphan } from '../../src/storage/orphans.js';
import { eventually, type TestServer } from '../support/server.js';
import { basic, call, emulatorGroup, backends, startAdminServer, type Admin } from './helpers.js';

type Errors = { errors: { code: string; field?: string }[] };
interface Orphan {
  id: number;
  group_id: number;
  group_name: string;
  device_id: number;
  fd_number: number;
  kind: string;
  total_sum: string | null;
  document_at: string | null;
  fiscal_sign: string | null;
  found_at: string;
  found_by: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}
interface OrphanList {
  items: Orphan[];
  open_count: number;
}
interface Attention {
  group_id: number;
  severity: string;
  code: string;
  message: string;
  count?: number;
}

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`admin orphan documents on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeEach(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterEach(async () => {
      await server.cleanup();
    });

    /** Rows as the journal reconciliation records them (found_by: the node that found them). */
    const record = async (groupId: number, o: Partial<NewOrphan> & { fdNumber: number }, at: number) => {
      const device = await createDeviceRepository(server.db).deviceOf(groupId);
      if (!device) throw new Error(`group ${groupId} has no device`);
      const fresh = await createOrphanRepository(server.db.kysely).record(
        { deviceId: device.id, groupId, kind: 'receipt', total: 12345, documentAt: '2026-03-01T10:15:00', fiscalSign: '1234567890', foundBy: 'node-b', ...o },
        at,
      );
      expect(fresh).toBe(true);
      return device.id;
    };
    const list = async (query = '') => {
      const res = await call(server, admin, 'GET', `/admin/api/orphan-documents${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<OrphanList>();
    };
    const orphanAttention = async () =>
      (await call(server, admin, 'GET', '/admin/api/overview')).json<{ attention: Attention[] }>().attention.filter((a) => a.code === 'orphan_documents');

    it('writes an orphan and its audit entry together: neither without the other, and the entry once', async () => {
      const groupId = 1;
      const device = await createDeviceRepository(server.db).deviceOf(groupId);
      if (!device) throw new Error('no device');
      const db = server.db.kysely;
      const orphans = createOrphanRepository(db);
      const o: NewOrphan = { deviceId: device.id, groupId, fdNumber: 77, kind: 'receipt', total: 100, documentAt: null, fiscalSign: null, foundBy: 'node-a' };
      const entry = { userId: null, login: null, ip: null, action: 'device.orphan_document', target: `device:${device.id}`, details: { fd_number: 77 } };
      const entries = async () =>
        (await db.selectFrom('audit_log').select('id').where('action', '=', 'device.orphan_document').where('target', '=', `device:${device.id}`).execute()).length;
      const rows = async () => (await db.selectFrom('orphan_documents').select('id').where('device_id', '=', device.id).execute()).length;
      // The audit journal refuses the write (a trigger plays the failure): the orphan row goes too.
      if (backend === 'sqlite') {
        await sql`CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END`.execute(db);
      } else {
        await sql`CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$`.execute(db);
        await sql`CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()`.execute(db);
      }
      await expect(orphans.record(o, 1_000, entry)).rejects.toThrow(/audit down/);
      expect(await rows()).toBe(0);
      expect(await entries()).toBe(0);
      await sql`DROP TRIGGER audit_down${backend === 'postgres' ? sql` ON audit_log` : sql``}`.execute(db);
      expect(await orphans.record(o, 2_000, entry)).toBe(true);
      expect(await orphans.record(o, 3_000, entry)).toBe(false);
      expect(await rows()).toBe(1);
      expect(await entries()).toBe(1);
    });

    it('lists orphan documents newest first with the group name, filters by group, state and limit', async () => {
      expect(await list()).toEqual({ items: [], open_count: 0 });
      const other = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Склад'))).json<{ id: number }>();
      const t0 = Date.parse('2026-03-01T12:00:00Z');
      const device1 = await record(1, { fdNumber: 9001 }, t0);
      await record(1, { fdNumber: 9002, kind: 'correction', total: null, documentAt: null, fiscalSign: null }, t0 + 1000);
      await record(other.id, { fdNumber: 9003, total: 5000, foundBy: 'node-c' }, t0 + 2000);

      const all = await list();
      expect(all.open_count).toBe(3);
      expect(all.items.map((o) => o.fd_number)).toEqual([9003, 9002, 9001]);
      expect(all.items[2]).toEqual({
        id: expect.any(Number) as number,
        group_id: 1,
        group_name: expect.any(String) as string,
        device_id: device1,
        fd_number: 9001,
        kind: 'receipt',
        total_sum: '123.45',
        document_at: '2026-03-01T10:15:00',
        fiscal_sign: '1234567890',
        found_at: '2026-03-01T12:00:00.000Z',
        found_by: 'node-b',
        acknowledged_at: null,
        acknowledged_by: null,
      });
      expect(all.items[1]).toMatchObject({ kind: 'correction', total_sum: null, document_at: null, fiscal_sign: null });
      expect(all.items[0]).toMatchObject({ group_id: other.id, group_name: 'Склад', total_sum: '50.00', found_by: 'node-c' });

      const mine = await list('?service_group=1');
      expect(mine.items.map((o) => o.fd_number)).toEqual([9002, 9001]);
      expect(mine.open_count).toBe(2);
      const one = await list('?limit=1');
      expect(one.items.map((o) => o.fd_number)).toEqual([9003]);
      expect(one.open_count).toBe(3);
      expect((await list('?service_group=999')).items).toEqual([]);

      for (const bad of ['?open=maybe', '?limit=0', '?limit=501', '?service_group=x']) {
        expect((await call(server, admin, 'GET', `/admin/api/orphan-documents${bad}`)).statusCode, bad).toBe(400);
      }
      expect((await server.app.inject({ method: 'GET', url: '/admin/api/orphan-documents' })).statusCode).toBe(401);
    });

    it('acknowledging: CSRF, 404, 409, audit, open filter, counts in the group views and the overview', async () => {
      const deviceId = await record(1, { fdNumber: 9101 }, Date.now() - 1000);
      await record(1, { fdNumber: 9102 }, Date.now());
      const [newest, oldest] = (await list()).items;
      if (!newest || !oldest) throw new Error('two orphans expected');

      // The REST group view and the admin one count the unacknowledged ones; the overview raises an error item.
      const rest = await server.app.inject({ method: 'GET', url: '/service_groups/1', headers: { authorization: basic('admin', 'admin') } });
      expect(rest.json<{ orphan_documents: number }>().orphan_documents).toBe(2);
      expect((await call(server, admin, 'GET', '/admin/api/service_groups/1')).json<{ orphan_documents: number }>().orphan_documents).toBe(2);
      expect(await orphanAttention()).toEqual([expect.objectContaining({ group_id: 1, severity: 'error', count: 2 })]);
      expect((await orphanAttention())[0]?.message).toContain('2');

      // A state-changing call without the CSRF header is refused.
      const forged = await server.app.inject({ method: 'POST', url: `/admin/api/orphan-documents/${oldest.id}/acknowledge`, headers: { cookie: admin.cookie } });
      expect(forged.statusCode).toBe(403);
      expect((await list()).open_count).toBe(2);

      const ack = await call(server, admin, 'POST', `/admin/api/orphan-documents/${oldest.id}/acknowledge`);
      expect(ack.statusCode, ack.body).toBe(200);
      const done = ack.json<Orphan>();
      expect(done).toMatchObject({ id: oldest.id, fd_number: 9101, acknowledged_by: 'admin' });
      expect(Date.parse(done.acknowledged_at ?? '')).toBeGreaterThan(0);

      const again = await call(server, admin, 'POST', `/admin/api/orphan-documents/${oldest.id}/acknowledge`);
      expect(again.statusCode).toBe(409);
      expect(again.json<Errors>().errors[0]?.code).toBe('orphan_document_acknowledged');
      const unknown = await call(server, admin, 'POST', '/admin/api/orphan-documents/999999/acknowledge');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json<Errors>().errors[0]?.code).toBe('orphan_document_not_found');

      const audit = (await call(server, admin, 'GET', '/admin/api/audit')).json<{ action: string; login: string | null; target: string | null; details: string | null }[]>();
      const entries = audit.filter((a) => a.action === 'device.orphan_acknowledged');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ login: 'admin', target: `device:${deviceId}` });
      expect(JSON.parse(entries[0]?.details ?? '{}')).toMatchObject({ orphan: oldest.id, service_group: 1, fd_number: 9101, total: 12345, found_by: 'node-b' });

      const open = await list('?open=true');
      expect(open.items.map((o) => o.id)).toEqual([newest.id]);
      expect(open.open_count).toBe(1);
      expect((await list('?open=false')).items.map((o) => o.id)).toEqual([oldest.id]);
      expect((await list()).items).toHaveLength(2);
      const restAfter = await server.app.inject({ method: 'GET', url: '/service_groups/1', headers: { authorization: basic('admin', 'admin') } });
      expect(restAfter.json<{ orphan_documents: number }>().orphan_documents).toBe(1);
      expect(await orphanAttention()).toEqual([expect.objectContaining({ group_id: 1, count: 1 })]);

      expect((await call(server, admin, 'POST', `/admin/api/orphan-documents/${newest.id}/acknowledge`)).statusCode).toBe(200);
      expect(await orphanAttention()).toEqual([]);
      expect((await list('?open=true')).open_count).toBe(0);
    });

    it('shows the device lease (owner node, epoch, until) in the admin group view', async () => {
      const device = await eventually(async () => {
        const g = (await call(server, admin, 'GET', '/admin/api/service_groups/1')).json<{ device: { lease_owner: string | null; lease_epoch: number; lease_until: string | null } | null }>();
        return g.device?.lease_owner ? g.device : null;
      }, 10_000);
      expect(device.lease_owner).toBe('test-node');
      expect(device.lease_epoch).toBeGreaterThanOrEqual(1);
      expect(Date.parse(device.lease_until ?? '')).toBeGreaterThan(0);
      // The REST view is the operators': it carries no lease details.
      const rest = await server.app.inject({ method: 'GET', url: '/service_groups/1', headers: { authorization: basic('admin', 'admin') } });
      expect(rest.json<{ device: Record<string, unknown> }>().device).not.toHaveProperty('lease_owner');
    });
  });
}
