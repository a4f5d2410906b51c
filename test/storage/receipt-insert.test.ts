import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createReceiptRepository, type NewReceipt } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { BACKENDS, openMigratedDb, postgresReachable } from '../support/databases.js';

const pgOk = await postgresReachable();

/**
 * Concurrent accepts are batched (SQLite: one transaction; PostgreSQL: one multi-row INSERT): every
 * caller must still get exactly its own outcome.
 */
describe.each(BACKENDS)('batched receipt inserts on %s', (backend) => {
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  const now = 1_780_000_000_000;
  let groupId = 0;
  let userId = 0;

  beforeAll(async () => {
    if (backend === 'postgres' && !pgOk) return;
    const opened = await openMigratedDb(backend, 'cr_ins');
    db = opened.db;
    close = () => opened.close();
    const settings = { name: 'g', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null };
    groupId = (await createGroupRepository(db.kysely).create(settings, { model: 'emulator', config: {} }, now)).group.id;
    userId = (await createUserRepository(db.kysely).create({ login: 'u', name: 'u', passwordHash: 'x', isActive: true, isSuperuser: true }, now)).id;
  });
  afterAll(async () => {
    await close();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('gives each concurrent caller its own outcome: created, replay or conflict', async () => {
    const repo = createReceiptRepository(db.kysely, db.dialect);
    const receipt = (key: string | null, body: string): NewReceipt => ({
      groupId, userId, deviceId: null, idempotencyKey: key, requestHash: `hash-${body}`, request: JSON.stringify({ body }), orderId: body, receiptType: 1, total: 100,
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
    expect(out[13]?.kind).toBe('created');
    expect(out[14]).toMatchObject({ kind: 'replay', row: { id: out[13]?.row.id } });
    expect(out[15]).toMatchObject({ kind: 'created', row: { order_id: 'x' } });
    expect(out[16]).toMatchObject({ kind: 'conflict', row: { id: out[15]?.row.id } });

    const stored = await db.kysely.selectFrom('receipts').select(['id', 'idempotency_key', 'order_id']).where('group_id', '=', groupId).execute();
    expect(stored).toHaveLength(8 + 5 + 1 + 1);
    // Every created or replayed id is a stored row with the caller's content (a conflict gets the other body's row).
    for (const [i, o] of out.entries()) if (o.kind !== 'conflict') expect(stored.find((s) => s.id === o.row.id)?.order_id).toBe(calls[i]?.orderId);
  });

  it.skipIf(backend === 'postgres' && !pgOk)('one failing row does not fail the receipts batched with it', async () => {
    const repo = createReceiptRepository(db.kysely, db.dialect);
    const good = (i: number): NewReceipt => ({ groupId, userId, deviceId: null, idempotencyKey: `ok-${i}`, requestHash: 'h', request: '{}', orderId: null, receiptType: 1, total: 1 });
    const bad: NewReceipt = { ...good(99), groupId: 987_654 }; // no such group: a foreign-key violation
    const results = await Promise.allSettled([good(1), bad, good(2)].map((r) => repo.insert(r, now)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
