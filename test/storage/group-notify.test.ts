import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/storage/db.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createJobRepository } from '../../src/storage/jobs.js';
import { migrate } from '../../src/storage/migrate.js';
import { listenForQueuedWork } from '../../src/storage/queue-listener.js';
import { createTempDatabase, postgresReachable } from '../support/databases.js';

const pgOk = await postgresReachable();

/**
 * Two nodes on one PostgreSQL database. A node reuses its group lookups for minutes
 * (WORKER_GROUP_RECHECK_MS); what another node changes reaches it through `cr_groups` (migration
 * 011) as main.ts wires it: the change applies on the other node within moments, not at the end of
 * the recheck delay. A register's routine writes (status, lease renewal) notify nothing.
 */
describe.skipIf(!pgOk)('group lookups invalidated across nodes (PostgreSQL cr_groups)', () => {
  let a!: Db;
  let b!: Db;
  let drop = async (): Promise<void> => undefined;
  let listener!: ReturnType<typeof listenForQueuedWork>;
  const changed: (number | null)[] = [];
  const now = 1_780_000_000_000;
  let groupId = 0;
  let deviceId = 0;

  beforeAll(async () => {
    const t = await createTempDatabase('cr_notify');
    drop = () => t.drop();
    a = openDb({ dialect: 'postgres', url: t.url });
    await migrate(a);
    b = openDb({ dialect: 'postgres', url: t.url });
    listener = listenForQueuedWork(t.url, () => undefined, pino({ level: 'silent' }), (g) => {
      changed.push(g);
      b.fast.markGroupsChanged(g ?? undefined);
    });
    await listener.start();
    const created = await createGroupRepository(a).create({ name: 'g', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null }, { driver: 'emulator', config: {} }, now);
    groupId = created.group.id;
    deviceId = created.device.id;
  });
  afterAll(async () => {
    await listener?.stop();
    await b?.close();
    await a?.close();
    await drop();
  });

  /** Polls node B's cached lookup until it shows what node A wrote; fails after 3 s (the cache holds for minutes). */
  async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    const until = Date.now() + 3000;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a connection first invalidates everything: nothing changed while nobody listened is trusted', () => {
    expect(changed[0]).toBeNull();
  });

  it("node A's settings, jobs and register changes reach node B's cached lookups at once", async () => {
    const groupsB = createGroupRepository(b);
    const devicesB = createDeviceRepository(b);
    expect((await groupsB.forWorkerCached(groupId))?.group.auto_open_shift).toBe(true);
    expect((await devicesB.poolPeersCached(groupId)).map((p) => p.maintenance)).toEqual([false]);

    await createGroupRepository(a).update(groupId, { autoOpenShift: false }, now + 1);
    expect((await eventually(() => groupsB.forWorkerCached(groupId), (v) => v?.group.auto_open_shift === false))?.group.auto_open_shift).toBe(false);

    await createJobRepository(a).create(groupId, deviceId, null, 'x_report', null, now + 2);
    expect((await eventually(() => groupsB.forWorkerCached(groupId), (v) => v?.hasJob === true))?.hasJob).toBe(true);

    await createDeviceRepository(a).setService(deviceId, 'maintenance', now + 3);
    expect((await eventually(() => devicesB.poolPeersCached(groupId), (v) => v[0]?.maintenance === true)).map((p) => p.maintenance)).toEqual([true]);
  });

  it('routine writes of a register notify nothing', async () => {
    const devicesA = createDeviceRepository(a);
    const lease = await devicesA.leases.acquire(deviceId, 'node-a', 30_000);
    if (!lease) throw new Error('the lease was not acquired');
    // Settle: the lease's new owner is a change (routing reads "live"); let its notification land.
    await new Promise((r) => setTimeout(r, 300));
    const before = changed.length;
    const fence = { deviceId, owner: 'node-a', epoch: lease.epoch };
    expect(await devicesA.leases.renew(fence, 30_000)).not.toBeNull();
    expect(await devicesA.leases.renewMany([fence], 30_000)).toEqual(new Set([deviceId]));
    await devicesA.updateDevice(deviceId, { statusAt: now + 10 }, now + 10);
    await new Promise((r) => setTimeout(r, 300));
    expect(changed.slice(before)).toEqual([]);
  });
});
