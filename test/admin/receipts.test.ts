import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type TestServer } from '../support/server.js';
import { backends, basic, call, emulatorGroup, EXAMPLE_RECEIPT, startAdminServer, type Admin } from './helpers.js';

type Errors = { errors: { code: string; field?: string }[] };
interface ReceiptJson { id: number; state: string; error: { code: string } | null; receipt_num: number | null; fiscal_sign: string | null }
interface DocumentsJson {
  items: { fd_number: number; kind: string; date_time: string; fiscal_sign: string; total_sum: string | null; operation_type: number | null; json: Record<string, unknown> }[];
  next_before: number | null;
  last_fd_number: number;
}

for (const { backend, skip } of backends) {
  describe.skipIf(skip)(`admin receipts, FN documents and faults on ${backend}`, () => {
    let server: TestServer;
    let admin: Admin;
    beforeAll(async () => {
      ({ server, admin } = await startAdminServer(backend));
    });
    afterAll(async () => {
      await server?.cleanup();
    });

    const post = async () => {
      const res = await server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: basic('admin', 'admin') }, payload: EXAMPLE_RECEIPT });
      expect(res.statusCode).toBe(200);
      return Number(res.json<{ id: string }>().id);
    };
    const receipt = async (id: number) => (await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}`)).json<ReceiptJson>();
    const final = (id: number) => eventually(async () => {
      const r = await receipt(id);
      return r.state === 'success' || r.state === 'failed' || r.state === 'in_doubt' ? r : null;
    }, 20_000);
    const audit = (action: string) => server.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
    const noCsrf = (method: 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      server.app.inject({ method, url, headers: { cookie: admin.cookie }, ...(payload ? { payload } : {}) });

    it('cancels a pending receipt and retries it, with audit rows; refuses without CSRF and in the wrong state', async () => {
      // A slow register keeps the first receipt in the device, so the second one stays pending.
      const slow = await call(server, admin, 'POST', '/admin/api/service_groups/1/device/faults', { kind: 'slow', delay_ms: 1500 });
      expect(slow.statusCode).toBe(200);
      expect(slow.json<{ active: unknown[] }>().active).toEqual([{ kind: 'slow', delay_ms: 1500, remaining: null }]);
      const first = await post();
      const second = await post();

      const forged = await noCsrf('POST', `/admin/api/service_groups/1/receipts/${second}/cancel`);
      expect(forged.statusCode).toBe(403);
      expect(forged.json<Errors>().errors[0]?.code).toBe('csrf_invalid');
      expect((await receipt(second)).state).toBe('pending');

      const canceled = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${second}/cancel`);
      expect(canceled.statusCode).toBe(200);
      expect(canceled.json<ReceiptJson>()).toMatchObject({ id: second, state: 'failed', error: { code: 'canceled' } });
      const again = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${second}/cancel`);
      expect(again.statusCode).toBe(409);
      expect(again.json<Errors>().errors[0]?.code).toBe('receipt_not_pending');

      const cleared = await call(server, admin, 'DELETE', '/admin/api/service_groups/1/device/faults');
      expect(cleared.json<{ active: unknown[] }>().active).toEqual([]);
      expect((await final(first)).state).toBe('success');

      const retryForged = await noCsrf('POST', `/admin/api/service_groups/1/receipts/${second}/retry`);
      expect(retryForged.statusCode).toBe(403);
      expect((await receipt(second)).state).toBe('failed');
      const retried = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${second}/retry`);
      expect(retried.statusCode).toBe(200);
      expect(['pending', 'processing', 'success']).toContain(retried.json<ReceiptJson>().state);
      expect((await final(second)).state).toBe('success');

      const notFailed = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${first}/retry`);
      expect(notFailed.statusCode).toBe(409);
      expect(notFailed.json<Errors>().errors[0]?.code).toBe('receipt_not_failed');
      const notPending = await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${first}/cancel`);
      expect(notPending.json<Errors>().errors[0]?.code).toBe('receipt_not_pending');
      expect((await call(server, admin, 'POST', '/admin/api/service_groups/1/receipts/999999/retry')).statusCode).toBe(404);

      for (const [action, id] of [['receipt.cancel', second], ['receipt.retry', second]] as const) {
        const rows = await audit(action);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ user_id: admin.userId, login: 'admin', ip: '127.0.0.1', target: `receipt:${id}` });
        expect(JSON.parse(rows[0]?.details ?? '{}')).toMatchObject({ service_group: 1, previous_state: action === 'receipt.cancel' ? 'pending' : 'failed' });
      }
      expect(await audit('device.fault_inject')).toHaveLength(1);
      expect((await audit('device.fault_clear'))[0]).toMatchObject({ login: 'admin', ip: '127.0.0.1', target: 'service_group:1' });
    }, 60_000);

    it('serves the printable receipt for the dashboard frame (SAMEORIGIN, own CSP); 409 unless fiscalized', async () => {
      const id = await post();
      expect((await final(id)).state).toBe('success');
      const page = await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}/print`);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).toContain("style-src 'unsafe-inline'");
      expect(csp).not.toContain('script-src');
      expect(page.body).toContain('КАССОВЫЙ ЧЕК');
      expect(page.body).toContain('<svg');
      // The rest of the dashboard is still never framed.
      const json = await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}`);
      expect(json.headers['x-frame-options']).toBe('DENY');
      // Without a session: nothing.
      expect((await server.app.inject({ method: 'GET', url: `/admin/api/service_groups/1/receipts/${id}/print` })).statusCode).toBe(401);

      // A failed receipt has no fiscal document.
      await call(server, admin, 'POST', '/admin/api/service_groups/1/device/faults', { kind: 'slow', delay_ms: 1500 });
      const busy = await post();
      const doomed = await post();
      await call(server, admin, 'POST', `/admin/api/service_groups/1/receipts/${doomed}/cancel`);
      await call(server, admin, 'DELETE', '/admin/api/service_groups/1/device/faults');
      const refused = await call(server, admin, 'GET', `/admin/api/service_groups/1/receipts/${doomed}/print`);
      expect(refused.statusCode).toBe(409);
      expect(refused.json<Errors>().errors[0]?.code).toBe('receipt_not_fiscalized');
      expect(refused.headers['x-frame-options']).toBe('DENY');
      await final(busy);
    }, 60_000);

    it('lists the FN documents newest first and pages by `before`', async () => {
      const id = await post();
      const r = await final(id);
      const first = await call(server, admin, 'GET', '/admin/api/service_groups/1/documents?limit=2');
      expect(first.statusCode).toBe(200);
      const page1 = first.json<DocumentsJson>();
      expect(page1.items).toHaveLength(2);
      expect(page1.items[0]?.fd_number).toBe(page1.last_fd_number);
      expect(page1.items[0]).toMatchObject({ fd_number: r.receipt_num, kind: 'receipt', fiscal_sign: r.fiscal_sign, total_sum: '200.00', operation_type: 1 });
      expect(page1.items[0]?.json).toHaveProperty('receipt');
      expect(page1.next_before).toBe(page1.items[1]?.fd_number);
      const page2 = (await call(server, admin, 'GET', `/admin/api/service_groups/1/documents?limit=100&before=${page1.next_before}`)).json<DocumentsJson>();
      expect(page2.items[0]?.fd_number).toBe((page1.next_before ?? 0) - 1);
      expect(page2.items.at(-1)).toMatchObject({ fd_number: 1, kind: 'registration' });
      expect(page2.next_before).toBeNull();
      const numbers = [...page1.items, ...page2.items].map((d) => d.fd_number);
      expect(numbers).toEqual([...numbers].sort((a, b) => b - a));

      expect((await call(server, admin, 'GET', '/admin/api/service_groups/1/documents?limit=0')).statusCode).toBe(400);
      const stopped = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Стоп'))).json<{ id: number }>();
      const refused = await call(server, admin, 'GET', `/admin/api/service_groups/${stopped.id}/documents`);
      expect(refused.statusCode).toBe(503);
      expect(refused.json<Errors>().errors[0]?.code).toBe('service_group_stopped');
      expect((await server.app.inject({ method: 'GET', url: '/admin/api/service_groups/1/documents' })).statusCode).toBe(401);
    }, 60_000);

    it('injects and clears faults only on virtual registers driven here, with CSRF and audit', async () => {
      const g1 = (await call(server, admin, 'GET', '/admin/api/service_groups/1')).json<{ faults_available: boolean }>();
      expect(g1.faults_available).toBe(true);
      const other = (await call(server, admin, 'POST', '/admin/api/service_groups', emulatorGroup('Не запущена'))).json<{ id: number; faults_available: boolean }>();
      expect(other.faults_available).toBe(false);
      const notHere = await call(server, admin, 'POST', `/admin/api/service_groups/${other.id}/device/faults`, { kind: 'offline' });
      expect(notHere.statusCode).toBe(503);
      expect(notHere.json<Errors>().errors[0]?.code).toBe('device_not_driven_here');
      expect((await call(server, admin, 'POST', '/admin/api/service_groups/424242/device/faults', { kind: 'offline' })).statusCode).toBe(404);

      expect((await call(server, admin, 'POST', '/admin/api/service_groups/1/device/faults', { kind: 'nope' })).statusCode).toBe(400);
      const before = (await audit('device.fault_inject')).length;
      const forged = await noCsrf('POST', '/admin/api/service_groups/1/device/faults', { kind: 'paper_out' });
      expect(forged.statusCode).toBe(403);
      expect((await call(server, admin, 'GET', '/admin/api/service_groups/1/device/faults')).json<{ active: unknown[] }>().active).toEqual([]);

      const injected = await call(server, admin, 'POST', '/admin/api/service_groups/1/device/faults', { kind: 'paper_out', times: 3 });
      expect(injected.json<{ active: unknown[] }>().active).toEqual([{ kind: 'paper_out', delay_ms: null, remaining: 3 }]);
      expect((await call(server, admin, 'GET', '/admin/api/service_groups/1/device/faults')).json<{ active: unknown[] }>().active).toHaveLength(1);
      const rows = await audit('device.fault_inject');
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toMatchObject({ login: 'admin', ip: '127.0.0.1', target: 'service_group:1' });
      expect(JSON.parse(rows.at(-1)?.details ?? '{}')).toEqual({ kind: 'paper_out', times: 3 });

      expect((await noCsrf('DELETE', '/admin/api/service_groups/1/device/faults')).statusCode).toBe(403);
      const cleared = await call(server, admin, 'DELETE', '/admin/api/service_groups/1/device/faults');
      expect(cleared.statusCode).toBe(200);
      expect(cleared.json<{ active: unknown[] }>().active).toEqual([]);
    });
  });
}
