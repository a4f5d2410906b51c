import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import type { Fence } from '../../src/storage/fence.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createJobRepository } from '../../src/storage/jobs.js';
import { createReceiptRepository, type NewReceipt } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { openMigratedDb, postgresReachable } from '../support/databases.js';
import { STORAGE_VARIANTS } from './fast-variants.js';
import { fiscalResult, storedRequest } from './records.js';

const pgOk = await postgresReachable();

/**
 * The lease's epoch is a fencing token: it increases at every change of owner, and every write a
 * device worker makes is conditional on it. A worker that lost its device (paused past its lease,
 * partitioned) writes nothing: 0 rows, and the successor's outcomes stand.
 */
describe.each(STORAGE_VARIANTS)('device lease fencing on $backend, $label', ({ backend, fast }) => {
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  const now = 1_780_000_000_000;
  let groupId = 0;
  let deviceId = 0;
  let userId = 0;

  beforeAll(async () => {
    if (backend === 'postgres' && !pgOk) return;
    const opened = await openMigratedDb(backend, 'cr_fence', fast);
    db = opened.db;
    close = () => opened.close();
    const settings = { name: 'g', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null };
    const created = await createGroupRepository(db).create(settings, { driver: 'emulator', config: {} }, now);
    groupId = created.group.id;
    deviceId = created.device.id;
    userId = (await createUserRepository(db.kysely).create({ login: 'u', name: 'u', passwordHash: 'x', isActive: true, isSuperuser: true }, now)).id;
  });
  afterAll(async () => {
    await close();
  });

  const expireLease = () => db.kysely.updateTable('devices').set({ lease_until: 1 }).where('id', '=', deviceId).execute();

  it.skipIf(backend === 'postgres' && !pgOk)('bumps the epoch at every change of owner and keeps it on renewal', async () => {
    const leases = createDeviceRepository(db).leases;
    const a = await leases.acquire(deviceId, 'node-a', 30_000);
    expect(a).not.toBeNull();
    expect(a?.previousUntil).toBeNull();
    // Held and valid: nobody else gets it; its owner renews it under the same epoch.
    expect(await leases.acquire(deviceId, 'node-b', 30_000)).toBeNull();
    const renewed = await leases.renew({ deviceId, owner: 'node-a', epoch: a?.epoch ?? -1 }, 30_000);
    expect(renewed?.epoch).toBe(a?.epoch);
    expect(renewed?.until ?? 0).toBeGreaterThanOrEqual(a?.until ?? 0);
    // Expired: node-b takes it over under a new epoch and learns until when node-a could still act.
    await expireLease();
    const b = await leases.acquire(deviceId, 'node-b', 30_000);
    expect(b?.epoch).toBe((a?.epoch ?? 0) + 1);
    expect(b?.previousUntil).toBe(1);
    // node-a can neither renew nor release what is node-b's now.
    expect(await leases.renew({ deviceId, owner: 'node-a', epoch: a?.epoch ?? -1 }, 30_000)).toBeNull();
    await leases.release({ deviceId, owner: 'node-a', epoch: a?.epoch ?? -1 });
    expect((await db.kysely.selectFrom('devices').select('lease_owner').where('id', '=', deviceId).executeTakeFirstOrThrow()).lease_owner).toBe('node-b');
    // A graceful release, then a new owner: a new epoch and nothing to wait for.
    await leases.release({ deviceId, owner: 'node-b', epoch: b?.epoch ?? -1 });
    const c = await leases.acquire(deviceId, 'node-c', 30_000);
    expect(c?.epoch).toBe((b?.epoch ?? 0) + 1);
    expect(c?.previousUntil).toBeNull();
    // A dead local owner's lease is taken at once, without waiting for it to expire.
    const d = await leases.acquire(deviceId, 'node-d', 30_000, (owner) => owner === 'node-c');
    expect(d?.epoch).toBe((c?.epoch ?? 0) + 1);
    expect(d?.previousUntil).toBeNull();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('refuses every write of a worker whose epoch is gone and never overwrites the successor', async () => {
    const devices = createDeviceRepository(db);
    const leases = devices.leases;
    const receipts = createReceiptRepository(db);
    const jobs = createJobRepository(db);
    const newReceipt = (n: number): NewReceipt => ({
      groupId, userId, deviceId, idempotencyKey: null, requestHash: `h${n}`, request: storedRequest(100 * n, `o${n}`), orderId: `o${n}`, receiptType: 1, total: 100 * n,
    });
    await expireLease();
    const oldLease = await leases.acquire(deviceId, 'old-node', 30_000);
    const old: Fence = { deviceId, owner: 'old-node', epoch: oldLease?.epoch ?? -1 };
    const first = (await receipts.insert(newReceipt(1), now)).row;
    const second = (await receipts.insert(newReceipt(2), now)).row;
    const claimed = await receipts.claimNext(groupId, old, 10, now);
    expect(claimed).toMatchObject({ fenced: true, completed: true });
    expect(claimed.row?.id).toBe(first.id);
    expect(claimed.row?.claim_epoch).toBe(old.epoch);
    const job = await jobs.create(groupId, deviceId, null, 'x_report', null, now);

    // The old node pauses; its lease expires and a successor takes the device over.
    await expireLease();
    const newLease = await leases.acquire(deviceId, 'new-node', 30_000);
    const fresh: Fence = { deviceId, owner: 'new-node', epoch: newLease?.epoch ?? -1 };
    expect(fresh.epoch).toBe(old.epoch + 1);

    // Every write the old worker could still try changes nothing.
    expect(await receipts.markSuccess(old, first.id, 11, fiscalResult(11), now)).toBe(false);
    expect(await receipts.markFailed(old, first.id, { code: 'x', message: 'x' }, now)).toBe(false);
    expect(await receipts.markInDoubt(old, first.id, { code: 'x', message: 'x' }, now)).toBe(false);
    expect(await receipts.release(old, first.id, null, now)).toBe(false);
    expect(await receipts.resolve(old, first.id, null, now)).toBe(false);
    expect(await receipts.claimNext(groupId, old, 10, now, { id: first.id, fdNumber: 11, fiscal: fiscalResult(11) })).toEqual({ fenced: false, completed: false, more: false });
    expect(await jobs.transition(old, job.id, 'processing', {}, now)).toBe(false);
    expect(await devices.updateDevice(deviceId, { state: 'error', stateReason: 'stale' }, now, old)).toBe(false);
    expect(await devices.setReconciledFd(old, 99)).toBe(false);
    const untouched = await db.kysely.selectFrom('receipts').select(['id', 'state', 'fd_number']).where('group_id', '=', groupId).orderBy('id').execute();
    expect(untouched).toEqual([
      { id: first.id, state: 'processing', fd_number: null },
      { id: second.id, state: 'pending', fd_number: null },
    ]);
    expect((await jobs.get(job.id))?.state).toBe('pending');
    expect((await db.kysely.selectFrom('devices').select(['state', 'reconciled_fd']).where('id', '=', deviceId).executeTakeFirstOrThrow())).toMatchObject({ reconciled_fd: null });

    // The successor resolves the old epoch's receipt (the in-doubt protocol) and goes on.
    expect(await receipts.resolve(fresh, first.id, { fdNumber: 11, fiscal: fiscalResult(11) }, now)).toBe(true);
    const next = await receipts.claimNext(groupId, fresh, 11, now);
    expect(next.row?.id).toBe(second.id);
    expect(next.row?.claim_epoch).toBe(fresh.epoch);
    // The old worker's late success for the receipt the successor now processes: refused.
    expect(await receipts.markSuccess(old, second.id, 12, fiscalResult(12), now)).toBe(false);
    expect(await receipts.markSuccess(fresh, second.id, 12, fiscalResult(12), now)).toBe(true);
    // A resolved receipt is not resolved again, not even by the lease holder.
    expect(await receipts.resolve(fresh, first.id, null, now)).toBe(false);
    const final = await db.kysely.selectFrom('receipts').select(['id', 'state', 'fd_number']).where('group_id', '=', groupId).orderBy('id').execute();
    expect(final).toEqual([
      { id: first.id, state: 'success', fd_number: 11 },
      { id: second.id, state: 'success', fd_number: 12 },
    ]);
    // Read back as typed records: the fiscal result as written.
    expect(await receipts.get(groupId, second.id)).toMatchObject({ state: 'success', fiscal: fiscalResult(12), error: null, request: storedRequest(200, 'o2') });
    expect(await jobs.transition(fresh, job.id, 'processing', {}, now)).toBe(true);
    expect(await jobs.transition(fresh, job.id, 'success', { result: {} }, now)).toBe(true);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('claims nothing for a register out of service, whatever routing believed', async () => {
    const devices = createDeviceRepository(db);
    const receipts = createReceiptRepository(db);
    await expireLease();
    const lease = await devices.leases.acquire(deviceId, 'node', 30_000);
    const fence: Fence = { deviceId, owner: 'node', epoch: lease?.epoch ?? -1 };
    const waiting = (await receipts.insert({ groupId, userId, deviceId, idempotencyKey: null, requestHash: 'hm', request: storedRequest(500, 'om'), orderId: 'om', receiptType: 1, total: 500 }, now)).row;
    await devices.setService(deviceId, 'maintenance', now);
    // The lease still holds (a register in maintenance resolves what it holds), but no new receipt.
    expect(await receipts.claimNext(groupId, fence, 10, now)).toEqual({ fenced: true, completed: true, more: false });
    await devices.setService(deviceId, 'active', now);
    expect((await receipts.claimNext(groupId, fence, 10, now)).row?.id).toBe(waiting.id);
  });
});
