import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { basic, eventually } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const AUTH = basic('admin', 'admin');

/**
 * The virtual register's FN memory lives in the data directory of the node that drives it. A node
 * that opens that register without that memory (another node's data directory, a restored backup,
 * a deleted file) sees a fresh FN with the same serial and counters far behind the documents its
 * receipts own. Driving it would fiscalize on a different FN and match in-doubt receipts against the
 * wrong journal: the worker refuses, says why on the device and in the audit journal, and the
 * receipts wait.
 */
describe('FN identity check', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-fnid-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to drive a register whose FN is behind the documents its receipts own', { timeout: 60_000 }, async () => {
    const config = loadConfig([], { CR_PROFILE: 'embedded', CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent' }, { nodeId: 'fnid-node' });
    const post = async (s: Server, n: number) => {
      const res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: AUTH }, payload: sellReceipt({ order_id: `fn-${n}` }) });
      expect(res.statusCode).toBe(200);
      return res.json<{ id: string }>().id;
    };
    const state = async (s: Server, id: string) =>
      (await s.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: AUTH } })).json<{ state: string }>().state;

    const first = await startServer(config, { listen: false });
    for (let n = 1; n <= 3; n++) {
      const id = await post(first, n);
      await eventually(async () => (await state(first, id)) === 'success', 10_000);
    }
    await first.close();

    // The FN memory is gone (or this node never had it): the register opens as a fresh FN.
    rmSync(join(dataDir, 'devices'), { recursive: true, force: true });
    const second = await startServer(config, { listen: false });
    try {
      const id = await post(second, 4);
      const device = await eventually(async () => {
        const d = await second.db.kysely.selectFrom('devices').select(['state', 'state_reason']).where('group_id', '=', 1).executeTakeFirstOrThrow();
        return d.state === 'error' && (d.state_reason ?? '').includes('fn_state_mismatch') ? d : null;
      }, 10_000, 50);
      expect(device.state_reason).toMatch(/not the FN memory/);
      expect(await state(second, id)).toBe('pending');
      const audit = await second.db.kysely.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'device.fn_state_mismatch').execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]?.details ?? '{}')).toMatchObject({ owned_fd: expect.any(Number) as number, device_last_fd: expect.any(Number) as number });
    } finally {
      await second.close();
    }
  });

  it('refuses another FN on a register whose receipts were made on the previous one, until the replacement is marked', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-fnswap-'));
    const config = loadConfig([], { CR_PROFILE: 'embedded', CR_DATA_DIR: dir, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent' }, { nodeId: 'fnswap-node' });
    const first = await startServer(config, { listen: false });
    const res = await first.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: AUTH }, payload: sellReceipt({ order_id: 'swap-1' }) });
    const id = res.json<{ id: string }>().id;
    await eventually(async () => (await first.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: AUTH } })).json<{ state: string }>().state === 'success', 10_000);
    await first.close();
    // What the database recorded is another FN than the register now reports: someone swapped it.
    const row = await (async () => {
      const s = await startServer({ ...config }, { listen: false, leases: { reconcileMs: 60_000, ttlMs: 180_000 } });
      await s.workers.stop();
      const d = await s.db.kysely.selectFrom('devices').select(['id', 'registration']).where('group_id', '=', 1).executeTakeFirstOrThrow();
      const reg = JSON.parse(d.registration ?? '{}') as { fnSerial: string };
      await s.db.kysely.updateTable('devices').set({ registration: JSON.stringify({ ...reg, fnSerial: '9999078900000000' }) }).where('id', '=', d.id).execute();
      await s.close();
      return d;
    })();
    const second = await startServer(config, { listen: false });
    try {
      const device = await eventually(async () => {
        const d = await second.db.kysely.selectFrom('devices').select(['state', 'state_reason']).where('id', '=', row.id).executeTakeFirstOrThrow();
        return d.state === 'error' && (d.state_reason ?? '').includes('fn_replaced_unannounced') ? d : null;
      }, 10_000, 50);
      expect(device.state_reason).toMatch(/ФН заменён/);
      const audit = await second.db.kysely.selectFrom('audit_log').select(['action']).where('action', '=', 'device.fn_changed').execute();
      expect(audit.length).toBeGreaterThanOrEqual(1);
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
