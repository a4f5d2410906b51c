import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createReceiptRepository } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { createJobRepository } from '../../src/storage/jobs.js';
import { openMigratedDb, postgresReachable } from '../support/databases.js';
import { STORAGE_VARIANTS } from './fast-variants.js';
import { registration, storedRequest } from './records.js';

const pgOk = await postgresReachable();

/** The one-statement reads of the API's hot paths (POST's group lookup, GET's receipt lookup). */
describe.each(STORAGE_VARIANTS)('hot-path reads on $backend, $label', ({ backend, fast }) => {
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  const now = 1_780_000_000_000;
  const ids = { group: 0, other: 0, otherDevice: 0, empty: 0, firstDevice: 0, user: 0, stranger: 0, receipt: 0 };

  beforeAll(async () => {
    if (backend === 'postgres' && !pgOk) return;
    const opened = await openMigratedDb(backend, 'cr_hot', fast);
    db = opened.db;
    close = () => opened.close();
    const groups = createGroupRepository(db);
    const users = createUserRepository(db.kysely);
    const settings = { enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null };
    const a = await groups.create({ ...settings, name: 'a' }, { driver: 'emulator', config: {} }, now);
    const b = await groups.create({ ...settings, name: 'b' }, { driver: 'emulator', config: {} }, now);
    ids.group = a.group.id;
    ids.other = b.group.id;
    ids.otherDevice = b.device.id;
    ids.firstDevice = a.device.id;
    // A second device of group a: the lookup must keep answering with the first, as deviceOf does.
    await db.kysely.insertInto('devices').values({ group_id: a.group.id, driver: 'emulator', config: '{}', state: 'stopped', registration: JSON.stringify({ ...registration, model: 'second' }), created_at: now, updated_at: now }).execute();
    await createDeviceRepository(db).updateDevice(a.device.id, { registration }, now);
    ids.empty = (await db.kysely.insertInto('service_groups').values({ name: 'no device', enabled: 1, running: 0, default_tax_system: null, default_vat: null, auto_open_shift: 1, shift_duration_min: 1440, daily_close_time: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id;
    const mk = (login: string) => users.create({ login, name: login, passwordHash: 'x', isActive: true, isSuperuser: false }, now);
    ids.user = (await mk('cashier')).id;
    ids.stranger = (await mk('stranger')).id;
    await groups.setAccess(a.group.id, [ids.user]);
    const receipts = createReceiptRepository(db);
    const out = await receipts.insert({ groupId: a.group.id, userId: ids.user, deviceId: a.device.id, idempotencyKey: null, requestHash: 'h', request: storedRequest(100), orderId: null, receiptType: 1, total: 100 }, now);
    ids.receipt = out.row.id;
  });
  afterAll(async () => {
    await close();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('precompile binds arguments by placeholder, whatever order the SQL uses them in', async () => {
    const q = db.fast.precompile<[number, number], { id: number }>(2, (groupId, id) =>
      db.kysely.selectFrom('receipts').select('id').where('id', '=', id).where('group_id', '=', groupId),
    );
    expect(await q(ids.group, ids.receipt)).toEqual([{ id: ids.receipt }]);
    expect(await q(ids.other, ids.receipt)).toEqual([]);
    const withConstant = () => db.fast.precompile<[number], { id: number }>(1, (id) => db.kysely.selectFrom('receipts').select('id').where('id', '=', id).limit(5));
    // Compiled once, a constant would be frozen into the statement: refused. Off, every call builds anew.
    if (fast.precompiled) expect(withConstant).toThrow(/constant/);
    else expect(await withConstant()(ids.receipt)).toEqual([{ id: ids.receipt }]);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('forReceipts: the group, its first device and the access flag in one read', async () => {
    const groups = createGroupRepository(db);
    const asSuper = await groups.forReceipts(ids.group, null);
    expect(asSuper?.group.name).toBe('a');
    expect(asSuper?.device).toEqual({ id: ids.firstDevice, registration });
    expect(asSuper?.group).toMatchObject({ enabled: true, running: false, auto_open_shift: true });
    expect(asSuper?.allowed).toBe(true);
    expect((await groups.forReceipts(ids.group, ids.user))?.allowed).toBe(true);
    expect((await groups.forReceipts(ids.group, ids.stranger))?.allowed).toBe(false);
    expect((await groups.forReceipts(ids.other, ids.user))?.allowed).toBe(false);
    expect(await groups.forReceipts(ids.empty, null)).toMatchObject({ device: null, allowed: true });
    expect(await groups.forReceipts(999_999, null)).toBeUndefined();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('forReceiptsCached: reused until any repository on the same handle writes', async () => {
    const reader = createGroupRepository(db);
    const writer = createGroupRepository(db);
    expect((await reader.forReceiptsCached(ids.other, null))?.group.running).toBe(false);
    // A write behind every repository's back is not seen within the re-check delay (read anew with the cache off)…
    await db.kysely.updateTable('service_groups').set({ running: 1 }).where('id', '=', ids.other).execute();
    expect((await reader.forReceiptsCached(ids.other, null))?.group.running).toBe(!fast.readCache);
    // …a write through any repository on the handle is seen at once.
    await writer.setRunning(ids.other, false, now);
    await writer.setRunning(ids.other, true, now);
    expect((await reader.forReceiptsCached(ids.other, null))?.group.running).toBe(true);
    expect((await reader.forReceiptsCached(ids.other, ids.stranger))?.allowed).toBe(false);
    await writer.setAccess(ids.other, [ids.stranger]);
    expect((await reader.forReceiptsCached(ids.other, ids.stranger))?.allowed).toBe(true);
    await writer.setAccess(ids.other, []);
    expect((await reader.forReceiptsCached(ids.other, ids.stranger))?.allowed).toBe(false);
    await writer.setRunning(ids.other, false, now);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('forWorker: the group and whether a manual job waits, in one read', async () => {
    const groups = createGroupRepository(db);
    expect(await groups.forWorker(ids.other)).toMatchObject({ group: { name: 'b' }, hasJob: false });
    const job = await db.kysely
      .insertInto('device_jobs')
      .values({ group_id: ids.other, kind: 'x_report', params: null, state: 'pending', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await groups.forWorker(ids.other))?.hasJob).toBe(true);
    await db.kysely.updateTable('device_jobs').set({ state: 'success' }).where('id', '=', job.id).execute();
    expect((await groups.forWorker(ids.other))?.hasJob).toBe(false);
    expect(await groups.forWorker(999_999)).toBeUndefined();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('forWorkerCached sees a job queued or finished through any repository at once', async () => {
    const groups = createGroupRepository(db);
    const jobs = createJobRepository(db);
    expect((await groups.forWorkerCached(ids.other))?.hasJob).toBe(false);
    const job = await jobs.create(ids.other, ids.otherDevice, null, 'x_report', null, now);
    expect(job).toMatchObject({ kind: 'x_report', params: null, state: 'pending', result: null, error: null });
    expect((await groups.forWorkerCached(ids.other))?.hasJob).toBe(true);
    await jobs.setState(job.id, 'success', { result: {} }, now);
    expect((await groups.forWorkerCached(ids.other))?.hasJob).toBe(false);
    await createGroupRepository(db).update(ids.other, { autoOpenShift: false }, now);
    expect((await groups.forWorkerCached(ids.other))?.group.auto_open_shift).toBe(false);
    await createGroupRepository(db).update(ids.other, { autoOpenShift: true }, now);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('a hot read never sees what an open transaction wrote', async () => {
    const receipts = createReceiptRepository(db);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let insertedId: number | null = null;
    const trx = db.kysely
      .transaction()
      .execute(async (tx) => {
        const row = await tx
          .insertInto('receipts')
          .values({ group_id: ids.group, user_id: ids.user, device_id: null, state: 'pending', attempts: 0, idempotency_key: null, request_hash: 'h', request: '{}', order_id: null, receipt_type: 1, total: 1, created_at: now, updated_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        insertedId = row.id;
        await gate;
        throw new Error('rolled back');
      })
      .catch((e: unknown) => (e instanceof Error ? e.message : 'failed'));
    while (insertedId === null) await new Promise((r) => setTimeout(r, 1));
    // On SQLite the connection is held by the transaction: the read must queue, not read at once.
    const read = receipts.getVisible(ids.group, insertedId, null);
    release();
    expect(await trx).toBe('rolled back');
    expect(await read).toBeUndefined();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('getVisible returns the receipt only to a caller who may use its group', async () => {
    const receipts = createReceiptRepository(db);
    expect((await receipts.getVisible(ids.group, ids.receipt, null))?.id).toBe(ids.receipt);
    expect((await receipts.getVisible(ids.group, ids.receipt, ids.user))?.id).toBe(ids.receipt);
    expect(await receipts.getVisible(ids.group, ids.receipt, ids.stranger)).toBeUndefined();
    expect(await receipts.getVisible(ids.other, ids.receipt, null)).toBeUndefined();
    expect(await receipts.getVisible(ids.group, ids.receipt + 1000, null)).toBeUndefined();
  });
});
