import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createCallbackRepository } from '../../src/storage/callbacks.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { LATEST_MIGRATION, migrate } from '../../src/storage/migrate.js';
import { createReceiptRepository } from '../../src/storage/receipts.js';
import { createUserRepository } from '../../src/storage/users.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { migrationDb } from '../storage/migration-db.js';
import { fiscalResult, storedRequest } from '../storage/records.js';

const pgOk = await postgresReachable();

/**
 * A database of version 006 holding users and receipts migrates to callbacks: its receipts have
 * no callback_url (nothing to deliver for them), its users no secret yet (made on first need),
 * and both keep working — the queue, the outcomes, the users' logins.
 */
describe.each(BACKENDS)('migration 007 (callbacks) on %s', (backend) => {
  const mig = migrationDb(backend, pgOk, 'cr_mig7');
  const now = 1_780_000_000_000;

  it.skipIf(mig.skip)('keeps every user and receipt, adds the outbox, and the old rows go on through it', async () => {
    expect((await migrate(mig.db(), { upTo: '006_marking_policy' })).at(-1)).toBe('006_marking_policy');
    const k = mig.db().kysely;
    // Rows as version 006 wrote them: no callback columns yet.
    await sql`INSERT INTO users (login, name, password_hash, is_active, is_superuser, credentials_version, created_at, updated_at)
      VALUES ('admin', 'A', 'h1', 1, 1, 3, ${now}, ${now}), ('shop', 'S', 'h2', 1, 0, 1, ${now}, ${now})`.execute(k);
    await sql`INSERT INTO service_groups (name, enabled, running, default_tax_system, auto_open_shift, shift_duration_min, created_at, updated_at, marking_policy)
      VALUES ('g', 1, 1, 1, 1, 1440, ${now}, ${now}, 'strict')`.execute(k);
    await sql`INSERT INTO devices (group_id, driver, config, state, created_at, updated_at) VALUES (1, 'emulator', '{}', 'running', ${now}, ${now})`.execute(k);
    const request = JSON.stringify(storedRequest(100, 'o1'));
    await sql`INSERT INTO receipts (group_id, user_id, device_id, state, attempts, request_hash, request, order_id, receipt_type, total, created_at, updated_at, fd_number, fiscal)
      VALUES (1, 2, 1, 'success', 1, 'h-a', ${request}, 'o1', 1, 100, ${now}, ${now}, 5, ${JSON.stringify(fiscalResult(5))}),
             (1, 2, 1, 'pending', 0, 'h-b', ${request}, 'o2', 1, 100, ${now}, ${now}, NULL, NULL)`.execute(k);

    const applied = await migrate(mig.db());
    expect(applied[0]).toBe('007_callbacks');
    expect(applied.at(-1)).toBe(LATEST_MIGRATION);

    // Users: as they were, without a secret; the record never carries the secret columns.
    const users = createUserRepository(k);
    const shop = await users.findByLogin('shop');
    expect(shop).toMatchObject({ id: 2, login: 'shop', name: 'S', password_hash: 'h2', is_active: true, is_superuser: false, credentials_version: 1 });
    expect(shop).not.toHaveProperty('callback_secret');
    expect(await users.callbackSecrets(2)).toEqual({ current: null, previous: null, rotatedAt: null });
    // Made on first need; the first write wins; a rotation keeps the old one as the previous.
    expect((await users.ensureCallbackSecret(2, 'first'))?.current).toBe('first');
    expect((await users.ensureCallbackSecret(2, 'second'))?.current).toBe('first');
    expect(await users.rotateCallbackSecret(2, 'third', now + 5)).toEqual({ current: 'third', previous: 'first', rotatedAt: now + 5 });
    expect(await users.callbackSecrets(99)).toBeUndefined();

    // Receipts: no callback_url, and the old pending one goes through the queue to success without a delivery.
    const receipts = createReceiptRepository(mig.db());
    expect(await receipts.get(1, 1)).toMatchObject({ state: 'success', fd_number: 5, callback_url: null });
    const lease = await createDeviceRepository(mig.db()).leases.acquire(1, 'node', 60_000);
    const fence = { deviceId: 1, owner: 'node', epoch: lease?.epoch ?? -1 };
    expect((await receipts.claimNext(1, fence, 5, now)).row?.id).toBe(2);
    expect(await receipts.markSuccess(fence, 2, 6, fiscalResult(6), now)).toBe(true);
    // A new receipt with a callback_url gets its delivery.
    const created = await receipts.insert({ groupId: 1, userId: 2, deviceId: 1, idempotencyKey: null, requestHash: 'h-c', request: storedRequest(100, 'o3'), orderId: 'o3', receiptType: 1, total: 100, callbackUrl: 'https://shop.example.com/cb' }, now);
    expect(created.row.callback_url).toBe('https://shop.example.com/cb');
    expect((await receipts.claimNext(1, fence, 6, now)).row?.id).toBe(created.row.id);
    expect(await receipts.markFailed(fence, created.row.id, { code: 'x', message: 'x' }, now)).toBe(true);
    const outbox = createCallbackRepository(mig.db());
    expect([...(await outbox.latestFor([1, 2, created.row.id])).keys()]).toEqual([created.row.id]);
    expect(await outbox.backlog()).toMatchObject({ pending: 1 });

    // A delivery's receipt is required; an event id is unique.
    await expect(sql`INSERT INTO callback_deliveries (event_id, receipt_id, group_id, user_id, url, event, kind, state, attempts, next_attempt_at, created_at)
      VALUES ('0b7e1e0e-7c39-4d32-9d1b-5b8b1f0a1c11', 999, 1, 2, 'https://x', 'receipt.success', 'outcome', 'pending', 0, 0, 0)`.execute(k)).rejects.toThrow();
    const [d] = await outbox.logOf(created.row.id);
    await expect(sql`INSERT INTO callback_deliveries (event_id, receipt_id, group_id, user_id, url, event, kind, state, attempts, next_attempt_at, created_at)
      VALUES (${d?.delivery.event_id}, ${created.row.id}, 1, 2, 'https://x', 'receipt.success', 'outcome', 'pending', 0, 0, 0)`.execute(k)).rejects.toThrow();

    expect(await migrate(mig.db())).toEqual([]);
  });
});
