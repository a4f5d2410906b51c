import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { eventually } from '../support/server.js';
import { call, emulatorGroup, EXAMPLE_RECEIPT, backends, rest as restAsAdmin, startAdminServer, startPool, type Admin } from './helpers.js';

type Errors = { errors: { code: string; field?: string }[] };
interface RegisterView {
  id: number;
  service: 'active' | 'maintenance' | 'retired';
  health: { level: string; reasons: { code: string }[] } | null;
  forecast: { fn_expires_at: string | null; warning: { what: string } | null } | null;
  queue: number;
  receipts_last_hour: number;
  share: number;
  registration: { fn_serial: string } | null;
}
interface GroupView {
  id: number;
  device: { id: number } | null;
  registers: RegisterView[];
  settings: { pool_policy: Record<string, number> };
}
interface ReceiptView {
  id: string;
  state: string;
  registrator_id: number | null;
  receipt_num: number | null;
  fn_serial: string | null;
}

/**
 * Register pools end to end (docs/pools.md): receipts spread over the healthy registers of a group
 * with each register's order kept, a register in maintenance drained and retired, a degraded one
 * routed around, a receipt in doubt never moved, operations addressed to one register.
 */
for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`register pools on ${backend}`, () => {
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

    /** A running group whose pool has `n` virtual registers (each with its own FN), 40 ms per operation. */
    const pool = (n: number, config: Record<string, unknown> = {}) => startPool(server, admin, n, { latency_ms: 40, ...config });

    async function post(groupId: number, count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1) {
        const res = await rest('POST', `/service_groups/${groupId}/receipts/`, EXAMPLE_RECEIPT);
        expect(res.statusCode).toBe(200);
        ids.push(res.json<{ id: string }>().id);
      }
      return ids;
    }
    const receipt = async (groupId: number, id: string) => (await rest('GET', `/service_groups/${groupId}/receipts/${id}`)).json<ReceiptView>();
    const finals = (groupId: number, ids: string[], ms = 20_000) =>
      eventually(async () => {
        const rows = await Promise.all(ids.map((id) => receipt(groupId, id)));
        return rows.every((r) => r.state === 'success' || r.state === 'failed') ? rows : null;
      }, ms, 50);

    /** This node's claims so far: those that found a receipt, and those that found the queue empty. */
    async function claims(): Promise<{ claimed: number; empty: number }> {
      // A scrape is cached for a second.
      await new Promise((r) => setTimeout(r, 1100));
      const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      const n = (result: string) => Number(new RegExp(`^cr_worker_claims_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return { claimed: n('claimed'), empty: n('empty') };
    }

    it('wakes one idle register per receipt: turns go round the pool, a burst spreads, few claims find nothing', async () => {
      const g = await pool(6);
      const start = await claims();
      const single: ReceiptView[] = [];
      for (let i = 0; i < 12; i += 1) single.push(...(await finals(g.id, await post(g.id, 1))));
      const mid = await claims();
      expect(mid.claimed - start.claimed).toBe(12);
      // The least recently woken register takes the next receipt.
      expect(new Set(single.map((r) => r.registrator_id)).size).toBeGreaterThanOrEqual(4);
      // One empty claim per receipt writes its success (the claim after it); waking all six
      // registers for each receipt would add five more each.
      expect(mid.empty - start.empty).toBeLessThanOrEqual(12 * 2);

      const burst = await finals(g.id, await post(g.id, 24));
      expect(burst.every((r) => r.state === 'success')).toBe(true);
      // A claim that sees more waiting wakes the next idle register.
      expect(new Set(burst.map((r) => r.registrator_id)).size).toBeGreaterThanOrEqual(3);
      const end = await claims();
      expect(end.claimed - mid.claimed).toBe(24);
      expect(end.empty - mid.empty).toBeLessThanOrEqual(24 * 2);
    });

    it('spreads receipts over the registers, keeps each register’s order and shows the pool', async () => {
      const g = await pool(3);
      const rows = await finals(g.id, await post(g.id, 24));
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      const used = new Set(rows.map((r) => r.registrator_id));
      expect([...used].sort()).toEqual([...g.registers].sort());
      for (const reg of g.registers) {
        // Receipts a register took went through its FN in id order.
        const mine = rows.filter((r) => r.registrator_id === reg).sort((a, b) => Number(a.id) - Number(b.id));
        const fds = mine.map((r) => r.receipt_num ?? 0);
        expect(fds).toEqual([...fds].sort((a, b) => a - b));
        expect(new Set(mine.map((r) => r.fn_serial)).size).toBe(1);
      }
      const view = await group(g.id);
      expect(view.registers).toHaveLength(3);
      expect(view.registers.map((r) => r.service)).toEqual(['active', 'active', 'active']);
      expect(view.registers.every((r) => r.health?.level === 'healthy' && r.queue === 0)).toBe(true);
      expect(view.registers.reduce((n, r) => n + r.receipts_last_hour, 0)).toBe(24);
      expect(view.registers.reduce((n, r) => n + r.share, 0)).toBeCloseTo(1, 2);
      expect(new Set(view.registers.map((r) => r.registration?.fn_serial)).size).toBe(3);
      expect(view.device?.id).toBe(g.registers[0]);
    });

    it('drains a register in maintenance, refuses to remove an active or last one, retires one with history', async () => {
      const g = await pool(2);
      const [a, b] = g.registers as [number, number];
      const m = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${a}`, { service: 'maintenance' });
      expect(m.statusCode).toBe(200);
      await eventually(async () => (await group(g.id)).registers.find((r) => r.id === a)?.health?.reasons.some((x) => x.code === 'maintenance'), 10_000);
      const rows = await finals(g.id, await post(g.id, 6));
      expect(rows.map((r) => r.registrator_id)).toEqual(Array(6).fill(b));

      const active = await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}/registers/${b}`);
      expect(active.statusCode).toBe(409);
      expect(active.json<Errors>().errors[0]?.code).toBe('register_not_drained');

      // a took nothing: it has no history and is deleted outright.
      const removed = await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}/registers/${a}`);
      expect(removed.statusCode).toBe(200);
      expect(removed.json<{ removed_register: { retired: boolean } }>().removed_register).toEqual({ id: a, retired: false });
      expect((await group(g.id)).registers.map((r) => r.id)).toEqual([b]);
      expect(server.workers.isRunning(g.id, a)).toBe(false);

      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${b}`, { service: 'maintenance' });
      const last = await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}/registers/${b}`);
      expect(last.json<Errors>().errors[0]?.code).toBe('last_register');

      // A new register takes over; b, which fiscalized receipts, is retired and no longer driven.
      const c = (await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers`, { driver: 'emulator', config: emulatorGroup().config })).json<GroupView>().registers.at(-1)?.id ?? 0;
      const retired = await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}/registers/${b}`);
      expect(retired.json<{ removed_register: { retired: boolean } }>().removed_register).toEqual({ id: b, retired: true });
      const view = await group(g.id);
      expect(view.registers.map((r) => [r.id, r.service])).toEqual([[b, 'retired'], [c, 'active']]);
      expect(view.device?.id).toBe(c);
      expect(server.workers.isRunning(g.id, b)).toBe(false);
      const again = await finals(g.id, await post(g.id, 2));
      expect(again.map((r) => r.registrator_id)).toEqual([c, c]);
      // The receipts b fiscalized still name it.
      expect((await receipt(g.id, rows[0]?.id ?? '')).registrator_id).toBe(b);
      const edit = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${b}`, { service: 'active' });
      expect(edit.json<Errors>().errors[0]?.code).toBe('register_retired');
    });

    it('routes around a degraded register (out of paper) without failing a receipt', async () => {
      const g = await pool(2);
      const [a, b] = g.registers as [number, number];
      const fault = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/device/faults?register_id=${a}`, { kind: 'paper_out' });
      expect(fault.statusCode).toBe(200);
      const rows = await finals(g.id, await post(g.id, 8));
      expect(rows.map((r) => r.state)).toEqual(Array(8).fill('success'));
      expect(rows.map((r) => r.registrator_id)).toEqual(Array(8).fill(b));
      const degraded = await eventually(async () => {
        const r = (await group(g.id)).registers.find((x) => x.id === a);
        return r?.health?.level === 'degraded' ? r : null;
      }, 10_000);
      expect(degraded.health?.reasons.map((x) => x.code)).toEqual(['paper_out']);
    });

    it('keeps a receipt whose answer was lost with its register until that FN answers', async () => {
      const g = await pool(2);
      const [a, b] = g.registers as [number, number];
      // Only a takes the first receipt; its answer is lost after the FN closed the document.
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${b}`, { service: 'maintenance' });
      await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/device/faults?register_id=${a}`, { kind: 'lose_answer_after_close', times: 1 });
      const [doubtful] = await post(g.id, 1);
      await eventually(async () => (await receipt(g.id, doubtful ?? '')).state === 'in_doubt', 10_000);
      // a is unreachable now: the receipt must wait for a's FN, whatever b does meanwhile.
      await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/device/faults?register_id=${a}`, { kind: 'offline' });
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${b}`, { service: 'active' });
      const others = await finals(g.id, await post(g.id, 3));
      expect(others.map((r) => r.registrator_id)).toEqual([b, b, b]);
      const held = await receipt(g.id, doubtful ?? '');
      expect(held.registrator_id).toBe(a);
      expect(['in_doubt', 'success']).toContain(held.state);
      await call(server, admin, 'DELETE', `/admin/api/service_groups/${g.id}/device/faults?register_id=${a}`);
      const [resolved] = await finals(g.id, [doubtful ?? '']);
      // The document a's FN had made: the receipt is that one, on a, not registered again on b.
      expect(resolved).toMatchObject({ state: 'success', registrator_id: a });
      const fnA = (await group(g.id)).registers.find((r) => r.id === a)?.registration?.fn_serial;
      expect(resolved?.fn_serial).toBe(fnA);
    });

    it('replaces a register’s FN: drained and closed first, then a new register reads the new FN and takes work', async () => {
      const g = await pool(2);
      const [a, b] = g.registers as [number, number];
      const before = await finals(g.id, await post(g.id, 4));
      expect(before.every((r) => r.state === 'success')).toBe(true);
      const oldFn = (await group(g.id)).registers.find((r) => r.id === a)?.registration?.fn_serial;
      const active = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers/${a}/replace-fn`);
      expect(active.json<Errors>().errors[0]?.code).toBe('register_not_drained');
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${a}`, { service: 'maintenance' });
      const shiftOpen = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers/${a}/replace-fn`);
      expect(shiftOpen.statusCode).toBe(409);
      expect(shiftOpen.json<Errors>().errors[0]?.code).toBe('shift_open');
      const closed = await rest('POST', `/service_groups/${g.id}/shift/close?register_id=${a}`);
      expect(closed.json<{ state: string }>().state).toBe('success');
      // The closed shift reaches the stored status with the job's refresh: retried until it has.
      const replaced = await eventually(async () => {
        const res = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers/${a}/replace-fn`);
        return res.statusCode === 200 ? res.json<GroupView & { replacement_register: number }>() : null;
      }, 10_000, 100);
      const fresh = replaced.replacement_register;
      expect(replaced.registers.map((r) => [r.id, r.service])).toEqual([[a, 'retired'], [b, 'active'], [fresh, 'maintenance']]);
      expect(server.workers.isRunning(g.id, a)).toBe(false);
      // Its worker reads the new FN from the device while it waits in maintenance.
      const newFn = await eventually(async () => (await group(g.id)).registers.find((r) => r.id === fresh)?.registration?.fn_serial, 10_000);
      expect(newFn).not.toBe(oldFn);
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${b}`, { service: 'maintenance' });
      await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/${fresh}`, { service: 'active' });
      const after = await finals(g.id, await post(g.id, 2));
      expect(after.map((r) => [r.registrator_id, r.fn_serial])).toEqual([[fresh, newFn], [fresh, newFn]]);
      // The old FN's receipts still name the retired register and its FN.
      for (const r of before.filter((x) => x.registrator_id === a)) expect((await receipt(g.id, r.id)).fn_serial).toBe(oldFn);
      const audit = await server.db.kysely.selectFrom('audit_log').select('details').where('action', '=', 'service_group.register_fn_replaced').execute();
      expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ device: a, replacement: fresh, fn_serial_before: oldFn });
    });

    it('addresses operations to one register and validates pool input', async () => {
      const g = await pool(2);
      const [, b] = g.registers as [number, number];
      const x = await rest('POST', `/service_groups/${g.id}/reports/x?register_id=${b}`);
      expect(x.statusCode).toBe(200);
      expect(x.json<{ state: string }>().state).toBe('success');
      const docs = await rest('GET', `/service_groups/${g.id}/documents/?register_id=${b}&limit=5`);
      expect(docs.statusCode).toBe(200);

      const other = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Другой'))).json<GroupView>();
      const foreign = await rest('POST', `/service_groups/${other.id}/reports/x?register_id=${b}`);
      expect([404, 503]).toContain(foreign.statusCode);
      const missing = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}/registers/999999`, { service: 'maintenance' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json<Errors>().errors[0]?.code).toBe('register_not_found');

      const policy = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { pool_policy: { fn_expiry_days: 400 } });
      expect(policy.statusCode).toBe(400);
      expect(policy.json<Errors>().errors[0]).toMatchObject({ field: 'pool_policy.fn_expiry_days', code: 'out_of_range' });
      const ok = await call(server, admin, 'PATCH', `/admin/api/service_groups/${g.id}`, { pool_policy: { fn_expiry_days: 10, warn_days: 30 } });
      expect(ok.statusCode).toBe(200);
      expect((await group(g.id)).settings.pool_policy).toMatchObject({ fn_expiry_days: 10, warn_days: 30, fn_fill_percent: 90 });
      // Thresholds given when the group is created are kept too.
      const created = await call(server, admin, 'POST', '/admin/api/service_groups', { ...emulatorGroup('С порогами'), pool_policy: { fn_expiry_days: 45, ofd_backlog_days: 7 } });
      expect(created.statusCode).toBe(200);
      expect((await group(created.json<GroupView>().id)).settings.pool_policy).toMatchObject({ fn_expiry_days: 45, ofd_backlog_days: 7, warn_days: 15 });

      const badDevice = await call(server, admin, 'POST', `/admin/api/service_groups/${g.id}/registers`, { driver: 'emulator', config: { company_inn: '12' } });
      expect(badDevice.statusCode).toBe(400);
      expect(badDevice.json<Errors>().errors[0]?.field).toBe('config.company_inn');
      expect((await group(g.id)).registers).toHaveLength(2);
    });

    it('forecasts the FN’s end and degrades a register whose FN expires within the policy’s days', async () => {
      const g = await pool(2, { fn_lifetime_days: 2 });
      const v = await group(g.id);
      for (const r of v.registers) {
        expect(r.forecast?.fn_expires_at).not.toBeNull();
        expect(r.forecast?.warning?.what).toBe('expiry');
        expect(r.health).toMatchObject({ level: 'degraded', reasons: [{ code: 'fn_expiring' }] });
      }
      // Both degraded: the pool still works (nothing better to route to).
      const rows = await finals(g.id, await post(g.id, 4));
      expect(rows.every((r) => r.state === 'success')).toBe(true);
      const overview = (await call(server, admin, 'GET', '/admin/api/overview')).json<{ attention: { code: string; device_id?: number }[] }>();
      expect(overview.attention.filter((x) => x.code === 'fn_expires_soon').map((x) => x.device_id).sort()).toEqual([...g.registers].sort());
      const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      for (const id of g.registers) {
        expect(metrics).toContain(`cr_register_health{service_group="${g.id}",register="${id}",level="degraded"} 1`);
        expect(metrics).toMatch(new RegExp(`cr_fn_forecast_days\\{service_group="${g.id}",register="${id}",limit="expiry"\\} [12](\\.\\d)?\\n`));
      }
      const audit = await server.db.kysely.selectFrom('audit_log').select(['action', 'target']).where('action', '=', 'device.fn_forecast_warning').execute();
      expect(audit.map((x) => x.target).sort()).toEqual(g.registers.map((id) => `device:${id}`).sort());
    });
  });
}
