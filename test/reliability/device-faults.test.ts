import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmulatorDriver, type EmulatorDriver } from '../../src/devices/emulator/index.js';
import type { Fault } from '../../src/devices/driver.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { sellReceipt, type Body } from '../api/fixtures.js';

const pgOk = await postgresReachable();

/**
 * Every fault of the virtual register, driven through the real server: each receipt must end in the
 * right state and the register's journal must hold exactly one receipt document per success.
 */
describe.each(BACKENDS)('device faults on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  let driver: EmulatorDriver;
  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend);
    const d = s.workers.driverOf(1);
    if (!d || !isEmulatorDriver(d)) throw new Error('group 1 has no virtual register');
    driver = d;
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  let seq = 0;
  const post = async () => {
    const res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: sellReceipt({ order_id: `fault-${seq++}` }) });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: string }>().id;
  };
  const read = async (id: string) => (await s.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: s.admin } })).json<Body & { state: string; receipt_num: number | null; error: Body | null }>();
  const settled = (id: string, timeout = 20_000) => eventually(async () => {
    const r = await read(id);
    return r.state === 'success' || r.state === 'failed' ? r : null;
  }, timeout);
  const receiptDocs = async () => (await driver.journal()).filter((d) => d.kind === 'receipt');

  const faultCase = async (fault: Fault, times: number | undefined, expectState: 'success' | 'failed', code?: string) => {
    const docsBefore = (await receiptDocs()).length;
    driver.faults.inject(fault, times);
    const id = await post();
    if (times === undefined) {
      // A standing fault: the worker meets it — on the receipt, or before claiming it (the device
      // then shows the error) — and the receipt waits unfiscalized; then the fault is cleared as a
      // technician would.
      await eventually(async () => {
        const r = await read(id);
        const device = (await s.app.inject({ url: '/service_groups/1', headers: { authorization: s.admin } })).json<{ device: { state: string } }>().device;
        return r.error !== null || r.state !== 'pending' || device.state === 'error';
      }, 10_000);
      expect((await read(id)).state).not.toMatch(/^(success|failed)$/);
      expect((await receiptDocs()).length).toBe(docsBefore);
      driver.faults.clear();
      s.workers.notify(1);
    }
    const r = await settled(id);
    expect(r.state).toBe(expectState);
    if (code) expect(r.error).toMatchObject({ code });
    const docs = await receiptDocs();
    expect(docs.length - docsBefore).toBe(expectState === 'success' ? 1 : 0);
    if (expectState === 'success') expect(docs.filter((d) => d.fdNumber === r.receipt_num)).toHaveLength(1);
    return r;
  };

  it.skipIf(skip)('answer lost after the FN closed the document → in doubt → resolved to that document, no second one', async () => {
    const r = await faultCase({ kind: 'lose_answer_after_close' }, 1, 'success');
    const doc = (await driver.journal()).find((d) => d.fdNumber === r.receipt_num);
    expect(doc).toBeDefined();
    expect(r.fiscal_sign).toEqual(expect.any(String));
    expect(doc?.fiscalSign).toBe(r.fiscal_sign);
  });

  it.skipIf(skip)('disconnect before the FN closed the document → in doubt → not registered → registered once', async () => {
    await faultCase({ kind: 'disconnect_before_close' }, 1, 'success');
  });

  it.skipIf(skip)('device offline → the receipt stays pending, then succeeds once the device is back', async () => {
    await faultCase({ kind: 'offline' }, undefined, 'success');
  });

  it.skipIf(skip)('paper out → pending with the device error, then success', async () => {
    await faultCase({ kind: 'paper_out' }, undefined, 'success');
  });

  it.skipIf(skip)('slow device → success, and the next receipt waits its turn', async () => {
    driver.faults.inject({ kind: 'slow', delayMs: 300 }, 3);
    const a = await post();
    const b = await post();
    const [ra, rb] = [await settled(a), await settled(b)];
    expect(ra.state).toBe('success');
    expect(rb.state).toBe('success');
    expect(rb.receipt_num as number).toBeGreaterThan(ra.receipt_num as number);
  });

  it.skipIf(skip)('FN archive full or FN expired → failed with the device code, nothing fiscalized', async () => {
    await faultCase({ kind: 'fn_full' }, 1, 'failed', 'fn_memory_full');
    const r = await faultCase({ kind: 'fn_expired' }, 1, 'failed', 'fn_expired');
    expect(r.error).toMatchObject({ device_code: expect.any(String) as string, retryable: false });
  });

  it.skipIf(skip)('never shares a fiscal document between receipts', async () => {
    // Its own receipts (the test runs alone too): plain ones, and ones whose document is resolved
    // after a lost answer or a dropped connection — the paths where a document could be given to
    // a second receipt or registered twice.
    const ids = [await post(), await post()];
    driver.faults.inject({ kind: 'lose_answer_after_close' }, 1);
    ids.push(await post(), await post());
    await settled(ids[ids.length - 1] as string);
    driver.faults.inject({ kind: 'disconnect_before_close' }, 1);
    ids.push(await post(), await post());
    const mine = await Promise.all(ids.map((id) => settled(id)));
    expect(mine.map((r) => r.state)).toEqual(ids.map(() => 'success'));
    expect(driver.faults.active()).toEqual([]); // both faults hit a receipt
    expect(new Set(mine.map((r) => r.receipt_num)).size).toBe(ids.length);

    // Every successful receipt of the group, this test's and any earlier test's.
    const rows = await s.db.kysely.selectFrom('receipts').select(['id', 'fd_number']).where('group_id', '=', 1).where('state', '=', 'success').execute();
    expect(rows.length).toBeGreaterThanOrEqual(ids.length);
    const fds = rows.map((r) => r.fd_number);
    expect(fds.every((f) => typeof f === 'number')).toBe(true);
    expect(new Set(fds).size).toBe(fds.length);
    // The register's journal: exactly one receipt document per successful receipt, and the same ones.
    const docs = await receiptDocs();
    expect(docs.length).toBe(fds.length);
    expect(new Set(docs.map((d) => d.fdNumber))).toEqual(new Set(fds));
  });
});
