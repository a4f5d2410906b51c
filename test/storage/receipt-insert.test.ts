import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createReceiptRepository, type NewReceipt } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { openMigratedDb, postgresReachable } from '../support/databases.js';
import { STORAGE_VARIANTS } from './fast-variants.js';
import { storedRequest } from './records.js';

const pgOk = await postgresReachable();

/**
 * Concurrent accepts are batched (SQLite: one transaction; PostgreSQL: one multi-row INSERT): every
 * caller must still get exactly its own outcome.
 */
describe.each(STORAGE_VARIANTS)('batched receipt inserts on $backend, $label', ({ backend, fast }) => {
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  const now = 1_780_000_000_000;
  let groupId = 0;
  let userId = 0;

  beforeAll(async () => {
    if (backend === 'postgres' && !pgOk) return;
    const opened = await openMigratedDb(backend, 'cr_ins', fast);
    db = opened.db;
    close = () => opened.close();
    const settings = { name: 'g', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null };
    groupId = (await createGroupRepository(db).create(settings, { driver: 'emulator', config: {} }, now)).group.id;
    userId = (await createUserRepository(db.kysely).create({ login: 'u', name: 'u', passwordHash: 'x', isActive: true, isSuperuser: true }, now)).id;
  });
  afterAll(async () => {
    await close();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('gives each concurrent caller its own outcome: created, replay or conflict', async () => {
    const repo = createReceiptRepository(db);
    const receipt = (key: string | null, body: string): NewReceipt => ({
      groupId, userId, deviceId: null, idempotencyKey: key, requestHash: `hash-${body}`, request: storedRequest(100, body), orderId: body, receiptType: 1, total: 100,
    });
    const calls = [
      ...Array.from({ length: 8 }, () => receipt(null, 'same')),
      ...Array.from({ length: 5 }, (_, i) => receipt(`key-${i}`, `body-${i}`)),
      receipt('twice', 'a'),
      receipt('twice', 'a'),
      receipt('clash', 'x'),
      receipt('clash', 'y'),
    ];
    const out = await Promise.all(calls.map((c) => repo.insert(c, now)));

    const unkeyed = out.slice(0, 8);
    expect(unkeyed.every((o) => o.kind === 'created')).toBe(true);
    expect(new Set(unkeyed.map((o) => o.row.id)).size).toBe(8);
    out.slice(8, 13).forEach((o, i) => expect(o).toMatchObject({ kind: 'created', row: { idempotency_key: `key-${i}`, order_id: `body-${i}` } }));
    // Without batching the two calls of a pair race on separate connections: either may win, so
    // the assertions name the winner, not its position.
    const pair = (a: number, b: number) => {
      const [x, y] = [out[a], out[b]];
      if (!x || !y) throw new Error('missing outcome');
      return x.kind === 'created' ? { won: x, lost: y } : { won: y, lost: x };
    };
    const twice = pair(13, 14);
    expect(twice.won.kind).toBe('created');
    expect(twice.lost).toMatchObject({ kind: 'replay', row: { id: twice.won.row.id } });
    const clash = pair(15, 16);
    expect(clash.won.kind).toBe('created');
    expect(clash.lost).toMatchObject({ kind: 'conflict', row: { id: clash.won.row.id } });
    // Records carry the request as the object stored, whether just inserted or read back.
    expect(twice.lost.row.request).toEqual(storedRequest(100, 'a'));
    expect(clash.lost.row).toMatchObject({ state: 'pending', request: clash.won.row.request, fiscal: null, error: null });

    const stored = await db.kysely.selectFrom('receipts').select(['id', 'idempotency_key', 'order_id']).where('group_id', '=', groupId).execute();
    expect(stored).toHaveLength(8 + 5 + 1 + 1);
    // Every created or replayed id is a stored row with the caller's content (a conflict gets the other body's row).
    for (const [i, o] of out.entries()) if (o.kind !== 'conflict') expect(stored.find((s) => s.id === o.row.id)?.order_id).toBe(calls[i]?.orderId);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('one failing row does not fail the receipts batched with it', async () => {
    const repo = createReceiptRepository(db);
    const good = (i: number): NewReceipt => ({ groupId, userId, deviceId: null, idempotencyKey: `ok-${i}`, requestHash: 'h', request: storedRequest(1), orderId: null, receiptType: 1, total: 1 });
    const bad: NewReceipt = { ...good(99), groupId: 987_654 }; // no such group: a foreign-key violation
    const results = await Promise.allSettled([good(1), bad, good(2)].map((r) => repo.insert(r, now)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
