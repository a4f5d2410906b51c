import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { createTempDatabase, postgresReachable } from '../support/databases.js';
import { basic, eventually } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const pgOk = await postgresReachable();
const AUTH = basic('admin', 'admin');

/**
 * Scale-out on PostgreSQL: two nodes share one database (and reach the same register). The API is
 * served by both; the device is driven by exactly one through its lease; when that node goes away
 * the other takes the device over, and nothing is lost or fiscalized twice.
 */
describe('two nodes on one PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-nodes-'));
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!pgOk)('serves on both, drives the device on one, hands over when that node leaves', { timeout: 120_000 }, async () => {
    const db = await createTempDatabase();
    cleanups.push(() => db.drop());
    const node = async (id: string): Promise<Server> => {
      const config = loadConfig([], { CR_PROFILE: 'postgres', DATABASE_URL: db.url, CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent', CR_NODE_ID: id }, { nodeId: id });
      const s = await startServer(config, { listen: false, leases: { reconcileMs: 200, ttlMs: 1500 } });
      return s;
    };
    // Both nodes start at once: migrations must apply exactly once.
    const [a, b] = await Promise.all([node('node-a'), node('node-b')]);
    let aClosed = false;
    cleanups.push(async () => {
      if (!aClosed) await a.close();
      await b.close();
    });
    const groups = createGroupRepository(a.db);
    const { group, device } = await groups.create(
      { name: 'Shared', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: {} },
      Date.now(),
    );
    await groups.setRunning(group.id, true, Date.now());
    await a.workers.reconcile();
    await b.workers.reconcile();
    expect([a.workers.isRunning(group.id), b.workers.isRunning(group.id)].filter(Boolean)).toHaveLength(1);
    const [owner, other] = a.workers.isRunning(group.id) ? [a, b] : [b, a];

    const post = async (s: Server, n: number) => {
      const res = await s.app.inject({ method: 'POST', url: `/service_groups/${group.id}/receipts/`, headers: { authorization: AUTH }, payload: sellReceipt({ order_id: `n-${n}` }) });
      expect(res.statusCode).toBe(200);
      return res.json<{ id: string }>().id;
    };
    const success = (s: Server, id: string, timeout = 10_000) => eventually(async () => {
      const r = (await s.app.inject({ url: `/service_groups/${group.id}/receipts/${id}`, headers: { authorization: AUTH } })).json<{ state: string; receipt_num: number }>();
      return r.state === 'success' ? r : null;
    }, timeout, 10);

    // A receipt accepted by the node that does not drive the device wakes the driving node's worker
    // over LISTEN/NOTIFY: nothing else tells that node about it (the one-second idle poll would
    // only find it later). Asserted as the wake-up itself, not as a latency.
    await success(owner, await post(owner, 0));
    const wakes = vi.spyOn(owner.workers, 'workArrived');
    const viaOther = await post(other, 1);
    await eventually(async () => wakes.mock.calls.some(([g]) => g === group.id), 5000, 10);
    await success(other, viaOther, 5000);
    wakes.mockRestore();

    const ids: string[] = [];
    for (let i = 2; i < 30; i++) ids.push(await post(i % 2 ? a : b, i));
    for (const id of ids) await success(a, id);

    // The driving node leaves; the other takes the device over and carries on.
    await owner.close();
    if (owner === a) aClosed = true;
    await eventually(async () => other.workers.isRunning(group.id), 10_000, 50);
    const later: string[] = [];
    for (let i = 30; i < 35; i++) later.push(await post(other, i));
    for (const id of later) await success(other, id);

    // A node on another host that holds the lease and stops renewing it (it died): the lease
    // expires and this node takes the device back; meanwhile it does not drive it.
    await other.db.kysely.updateTable('devices').set({ lease_owner: 'ghost-host:1', lease_until: Date.now() + 1500 }).where('id', '=', device.id).execute();
    await eventually(async () => !other.workers.isRunning(group.id), 5000, 20);
    const queued: string[] = [];
    for (let i = 35; i < 40; i++) queued.push(await post(other, i));
    await eventually(async () => other.workers.isRunning(group.id), 10_000, 50);
    for (const id of queued) await success(other, id);

    const rows = await other.db.kysely.selectFrom('receipts').select(['fd_number', 'state']).where('group_id', '=', group.id).execute();
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.state === 'success')).toBe(true);
    const fds = rows.map((r) => r.fd_number);
    expect(new Set(fds).size).toBe(40);
    const driver = createEmulatorDriver(emulatorDefaults(), { deviceId: device.id, dataDir, logger: pino({ level: 'silent' }), clock: systemClock });
    const docs = (await driver.journal()).filter((d) => d.kind === 'receipt');
    await driver.close();
    expect(docs).toHaveLength(40);
  });
});
