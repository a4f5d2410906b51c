import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import type { Fence } from '../../src/storage/fence.js';
import type { Health } from '../../src/domain/pool.js';
import { createCallbackRepository, type GroupEvent } from '../../src/storage/callbacks.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createReceiptRepository, type NewReceipt, type ReceiptRepository } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { openMigratedDb, postgresReachable } from '../support/databases.js';
import { STORAGE_VARIANTS } from '../storage/fast-variants.js';
import { fiscalResult, storedRequest } from '../storage/records.js';

const pgOk = await postgresReachable();

/**
 * The callbacks outbox on both databases and with every storage fast path on, each off, and all
 * off (group commit decides whether an outcome runs in a batch's transaction or its own): a
 * receipt's final state and its delivery are written together or not at all, exactly once per
 * outcome, and deliveries are claimed under leases two nodes never share.
 */
describe.each(STORAGE_VARIANTS)('callbacks outbox on $backend, $label', ({ backend, fast }) => {
  const skip = backend === 'postgres' && !pgOk;
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  let receipts!: ReceiptRepository;
  let queuedSignals = 0;
  const now = 1_780_000_000_000;
  let groupId = 0;
  let userId = 0;
  let fence!: Fence;
  let n = 0;

  beforeAll(async () => {
    if (skip) return;
    const opened = await openMigratedDb(backend, 'cr_cb', fast);
    db = opened.db;
    close = () => opened.close();
    const created = await createGroupRepository(db).create(
      { name: 'g', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: {} },
      now,
    );
    groupId = created.group.id;
    userId = (await createUserRepository(db.kysely).create({ login: 'shop', name: 'shop', passwordHash: 'x', isActive: true, isSuperuser: false }, now)).id;
    const lease = await createDeviceRepository(db).leases.acquire(created.device.id, 'node-a', 60_000);
    fence = { deviceId: created.device.id, owner: 'node-a', epoch: lease?.epoch ?? -1 };
    receipts = createReceiptRepository(db, { onCallbackQueued: () => queuedSignals++ });
  });
  afterAll(async () => {
    await close();
  });

  const newReceipt = (callbackUrl: string | null): NewReceipt => {
    n++;
    return { groupId, userId, deviceId: fence.deviceId, idempotencyKey: null, requestHash: `h${n}`, request: storedRequest(100 * n, `o${n}`), orderId: `o${n}`, receiptType: 1, total: 100 * n, callbackUrl };
  };
  /** A receipt claimed by the worker (processing), the only one pending of the group. */
  const claimed = async (callbackUrl: string | null) => {
    const row = (await receipts.insert(newReceipt(callbackUrl), now)).row;
    const c = await receipts.claimNext(groupId, fence, 0, now);
    expect(c.row?.id).toBe(row.id);
    return row.id;
  };
  const deliveriesOf = (receiptId: number) =>
    db.kysely.selectFrom('callback_deliveries').selectAll().where('receipt_id', '=', receiptId).orderBy('id').execute();
  const stateOf = async (id: number) => (await db.kysely.selectFrom('receipts').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;

  it.skipIf(skip)('queues one delivery with each final state, none without a callback_url, none for a repeated write', async () => {
    const url = 'https://shop.example.com/hooks/cr?x=1';
    const signals = queuedSignals;

    // markSuccess: one delivery, due at once; the same write again changes nothing and queues nothing.
    const a = await claimed(url);
    expect(await receipts.markSuccess(fence, a, 11, fiscalResult(11), now)).toBe(true);
    expect(await receipts.markSuccess(fence, a, 11, fiscalResult(11), now)).toBe(false);
    const [da, ...extra] = await deliveriesOf(a);
    expect(extra).toEqual([]);
    expect(da).toMatchObject({ receipt_id: a, group_id: groupId, user_id: userId, url, event: 'receipt.success', kind: 'outcome', state: 'pending', attempts: 0, last_status: null, delivered_at: null, lease_owner: null });
    expect(String(da?.event_id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Due now on the database's clock (not the receipts' injected `now`).
    expect(Math.abs(Number(da?.next_attempt_at) - Date.now())).toBeLessThan(60_000);

    // Without a callback_url: the outcome alone.
    const b = await claimed(null);
    expect(await receipts.markSuccess(fence, b, 12, fiscalResult(12), now)).toBe(true);
    expect(await deliveriesOf(b)).toEqual([]);

    // The success written together with the next claim (claimNext's `complete`).
    const c = await claimed(url);
    const d = (await receipts.insert(newReceipt(url), now)).row.id;
    const next = await receipts.claimNext(groupId, fence, 13, now, { id: c, fdNumber: 13, fiscal: fiscalResult(13) });
    expect(next).toMatchObject({ fenced: true, completed: true });
    expect(next.row?.id).toBe(d);
    expect((await deliveriesOf(c)).map((x) => x.event)).toEqual(['receipt.success']);

    // markFailed.
    expect(await receipts.markFailed(fence, d, { code: 'fn_expired', message: 'x' }, now)).toBe(true);
    expect(await receipts.markFailed(fence, d, { code: 'fn_expired', message: 'x' }, now)).toBe(false);
    expect((await deliveriesOf(d)).map((x) => x.event)).toEqual(['receipt.failed']);

    // In-doubt resolution: registered → success with its delivery; not registered → back to the queue, nothing queued.
    const e = await claimed(url);
    expect(await receipts.markInDoubt(fence, e, { code: 'in_doubt', message: 'x' }, now)).toBe(true);
    expect(await deliveriesOf(e)).toEqual([]);
    expect(await receipts.resolve(fence, e, { fdNumber: 14, fiscal: fiscalResult(14) }, now)).toBe(true);
    expect(await receipts.resolve(fence, e, { fdNumber: 14, fiscal: fiscalResult(14) }, now)).toBe(false);
    expect((await deliveriesOf(e)).map((x) => x.event)).toEqual(['receipt.success']);
    const f = await claimed(url);
    expect(await receipts.resolve(fence, f, null, now)).toBe(true);
    expect(await stateOf(f)).toBe('pending');
    expect(await deliveriesOf(f)).toEqual([]);

    // A superuser's cancel of a pending receipt is a failed outcome; a second cancel does nothing.
    expect(await receipts.cancel(groupId, f, { code: 'canceled', message: 'x' }, now)).toBe(true);
    expect(await receipts.cancel(groupId, f, { code: 'canceled', message: 'x' }, now)).toBe(false);
    expect((await deliveriesOf(f)).map((x) => x.event)).toEqual(['receipt.failed']);
    // Retried and fiscalized after all: a second outcome, a second delivery.
    expect(await receipts.retry(groupId, f, now)).toBe(true);
    expect((await receipts.claimNext(groupId, fence, 14, now)).row?.id).toBe(f);
    expect(await receipts.markSuccess(fence, f, 15, fiscalResult(15), now)).toBe(true);
    expect((await deliveriesOf(f)).map((x) => x.event)).toEqual(['receipt.failed', 'receipt.success']);

    // A stale worker (another epoch) writes neither the outcome nor a delivery.
    const g = await claimed(url);
    const stale: Fence = { ...fence, epoch: fence.epoch + 100 };
    expect(await receipts.markSuccess(stale, g, 16, fiscalResult(16), now)).toBe(false);
    expect(await receipts.markFailed(stale, g, { code: 'x', message: 'x' }, now)).toBe(false);
    expect(await deliveriesOf(g)).toEqual([]);
    expect(await receipts.markFailed(fence, g, { code: 'x', message: 'x' }, now)).toBe(true);

    // Every delivery queued woke the worker once (a, c, d, e, f twice, g).
    expect(queuedSignals - signals).toBe(7);
  });

  it.skipIf(skip)('leaves neither the outcome nor a delivery when the outcome write fails', async () => {
    const url = 'https://shop.example.com/hooks/cr';
    const a = await claimed(url);
    // The outbox cannot be written (as a full disk or a lost connection would fail it mid-transaction).
    await sql`ALTER TABLE callback_deliveries RENAME TO callback_deliveries_away`.execute(db.kysely);
    try {
      await expect(receipts.markSuccess(fence, a, 21, fiscalResult(21), now)).rejects.toThrow();
      expect(await stateOf(a)).toBe('processing');
    } finally {
      await sql`ALTER TABLE callback_deliveries_away RENAME TO callback_deliveries`.execute(db.kysely);
    }
    expect(await deliveriesOf(a)).toEqual([]);
    // The worker writes it again: now both land, once.
    expect(await receipts.markSuccess(fence, a, 21, fiscalResult(21), now)).toBe(true);
    expect(await stateOf(a)).toBe('success');
    expect((await deliveriesOf(a)).map((x) => x.event)).toEqual(['receipt.success']);
  });

  it.skipIf(skip)('queues a register event with the health that records it, under the lease only, and never one without the other', async () => {
    const devices = createDeviceRepository(db, { onCallbackQueued: () => queuedSignals++ });
    const signals = queuedSignals;
    const health = (at: number): Health => ({
      level: 'degraded', reasons: [], at,
      forecast: { expiresAt: at + 86_400_000, archiveFullAt: null, ofdBlockAt: null, first: { what: 'expiry', at: at + 86_400_000 }, sample: null },
      warning: { what: 'expiry', at: at + 86_400_000 },
    });
    const event = (): GroupEvent => ({ groupId, userId, url: 'https://ops.example.com/cr', event: 'register.fn_warning', eventId: randomUUID(), body: { event: 'register.fn_warning', n: 1 } });
    const events = () => db.kysely.selectFrom('callback_deliveries').selectAll().where('event', '=', 'register.fn_warning').execute();
    const stored = async () => (await devices.get(fence.deviceId))?.health?.at;

    // A stale worker (another epoch) writes neither.
    expect(await devices.setHealth({ ...fence, epoch: fence.epoch + 100 }, groupId, health(now + 1), event())).toBe(false);
    expect(await events()).toEqual([]);
    expect(await stored()).not.toBe(now + 1);

    // Under the lease: both, the event without a receipt and with its body.
    const e = event();
    expect(await devices.setHealth(fence, groupId, health(now + 2), e)).toBe(true);
    expect(await stored()).toBe(now + 2);
    const [row, ...extra] = await events();
    expect(extra).toEqual([]);
    expect(row).toMatchObject({ receipt_id: null, group_id: groupId, user_id: userId, kind: 'event', state: 'pending', attempts: 0, payload: JSON.stringify(e.body) });
    expect(String(row?.event_id)).toBe(e.eventId);
    // Without an event: the health alone.
    expect(await devices.setHealth(fence, groupId, health(now + 3))).toBe(true);
    expect(await events()).toHaveLength(1);

    // The outbox cannot be written: the health is not written either (the next judgement tries both again).
    await sql`ALTER TABLE callback_deliveries RENAME TO callback_deliveries_away`.execute(db.kysely);
    try {
      await expect(devices.setHealth(fence, groupId, health(now + 4), event())).rejects.toThrow();
    } finally {
      await sql`ALTER TABLE callback_deliveries_away RENAME TO callback_deliveries`.execute(db.kysely);
    }
    expect(await stored()).toBe(now + 3);
    expect(await events()).toHaveLength(1);
    expect(queuedSignals - signals).toBe(1);

    // The worker's claim hands it out like a receipt's delivery; receipt views never see it.
    const outbox = createCallbackRepository(db);
    const claimed = (await outbox.claimDue('node-a', 100, 60_000)).find((c) => c.delivery.id === row?.id);
    expect(claimed?.delivery).toMatchObject({ receipt_id: null, event: 'register.fn_warning', kind: 'event', payload: e.body });
    if (claimed) expect(await outbox.recordAttempt(claimed, 'node-a', { status: 200, latencyMs: 3, error: null, next: { state: 'delivered' } })).toBe(true);
  });

  it.skipIf(skip)('claims due deliveries under a lease: two nodes never hold one delivery, an expired lease passes on', async () => {
    const outbox = createCallbackRepository(db);
    // Everything queued so far is someone else's: deliver it out of the way.
    await db.kysely.updateTable('callback_deliveries').set({ state: 'delivered' }).execute();
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await claimed('https://shop.example.com/hooks/cr');
      expect(await receipts.markSuccess(fence, id, 30 + i, fiscalResult(30 + i), now)).toBe(true);
      ids.push(id);
    }
    // One of them is not due yet (its retry is in an hour).
    const later = ids[3] ?? 0;
    await db.kysely.updateTable('callback_deliveries').set({ next_attempt_at: Date.now() + 3_600_000 }).where('receipt_id', '=', later).execute();

    // Two nodes claim at once: disjoint, and together exactly the due ones.
    const [a, b] = await Promise.all([outbox.claimDue('node-a', 2, 60_000), outbox.claimDue('node-b', 2, 60_000)]);
    const got = [...a, ...b].map((c) => c.delivery.receipt_id ?? 0).sort((x, y) => x - y);
    expect(got).toEqual(ids.slice(0, 3));
    expect(new Set(got).size).toBe(3);
    expect(await outbox.claimDue('node-c', 10, 60_000)).toEqual([]);
    for (const c of a) expect(c.delivery).toMatchObject({ lease_owner: 'node-a', state: 'pending' });

    // An attempt recorded under its claim: the delivery moves on and the lease is released.
    const first = [...a, ...b][0];
    if (!first) throw new Error('nothing claimed');
    expect(await outbox.recordAttempt(first, 'node-x', { status: 500, latencyMs: 12.4, error: null, next: { state: 'pending', nextAttemptAt: Date.now() + 3_600_000 } })).toBe(true);
    const moved = await db.kysely.selectFrom('callback_deliveries').selectAll().where('id', '=', first.delivery.id).executeTakeFirstOrThrow();
    expect(moved).toMatchObject({ attempts: 1, last_status: 500, state: 'pending', lease_owner: null, lease_token: null, lease_until: null });

    // A lease that must expire (the test is about its expiry): node-d claims for 300 ms and goes silent.
    await db.kysely.updateTable('callback_deliveries').set({ next_attempt_at: 0 }).where('id', '=', first.delivery.id).execute();
    const [held] = await outbox.claimDue('node-d', 1, 300);
    expect(held?.delivery.id).toBe(first.delivery.id);
    expect(await outbox.claimDue('node-e', 1, 60_000)).toEqual([]);
    await new Promise((r) => setTimeout(r, 450));
    const [taken] = await outbox.claimDue('node-e', 1, 60_000);
    expect(taken?.delivery.id).toBe(first.delivery.id);
    if (!held || !taken) throw new Error('not claimed');
    // node-d wakes up: what it saw is logged, but it cannot move a delivery node-e holds now.
    expect(await outbox.recordAttempt(held, 'node-d', { status: 200, latencyMs: 5, error: null, next: { state: 'delivered' } })).toBe(false);
    expect(await outbox.recordAttempt(taken, 'node-e', { status: 200, latencyMs: 5, error: null, next: { state: 'delivered' } })).toBe(true);
    const done = await db.kysely.selectFrom('callback_deliveries').selectAll().where('id', '=', first.delivery.id).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    expect(done.delivered_at).not.toBeNull();

    // The log: every attempt, with its node; the receipt's latest delivery; the backlog.
    const receiptId = first.delivery.receipt_id ?? 0;
    const log = await outbox.logOf(receiptId);
    expect(log).toHaveLength(1);
    expect(log[0]?.attempts.map((x) => [x.status, x.node])).toEqual([[500, 'node-x'], [200, 'node-d'], [200, 'node-e']]);
    expect(log[0]?.attempts[0]?.latency_ms).toBe(12);
    const latest = await outbox.latestFor([receiptId, later]);
    expect(latest.get(receiptId)).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    expect(latest.get(later)).toMatchObject({ state: 'pending', attempts: 0 });
    const backlog = await outbox.backlog();
    expect(backlog.pending).toBe(3);
    expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(backlog.oldestAgeSeconds).toBeLessThan(600);
  });
});
