import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createAtolOnlineRepository } from '../../src/storage/atol-online.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { LATEST_MIGRATION, migrate } from '../../src/storage/migrate.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { migrationDb } from '../storage/migration-db.js';

const pgOk = await postgresReachable();

/** A database of version 007 holding users, groups and receipts migrates to the ATOL Online tables with its rows. */
describe.each(BACKENDS)('migration 008 (ATOL Online) on %s', (backend) => {
  const mig = migrationDb(backend, pgOk, 'cr_mig8');
  const now = 1_780_000_000_000;

  it.skipIf(mig.skip)('keeps every group without a group code, then holds codes, tokens and documents', async () => {
    expect((await migrate(mig.db(), { upTo: '007_callbacks' })).at(-1)).toBe('007_callbacks');
    const k = mig.db().kysely;
    // Rows as version 007 wrote them.
    await sql`INSERT INTO users (login, name, password_hash, is_active, is_superuser, credentials_version, created_at, updated_at)
      VALUES ('shop', 'Shop', 'x', 1, 0, 3, ${now}, ${now})`.execute(k);
    await sql`INSERT INTO service_groups (name, enabled, running, default_tax_system, default_vat, auto_open_shift, shift_duration_min, daily_close_time, created_at, updated_at)
      VALUES ('a', 1, 1, 1, 6, 1, 1440, NULL, ${now}, ${now}), ('b', 1, 0, NULL, NULL, 1, 1440, NULL, ${now}, ${now})`.execute(k);
    await sql`INSERT INTO receipts (group_id, user_id, state, attempts, idempotency_key, request_hash, request, order_id, receipt_type, total, created_at, updated_at)
      VALUES (1, 1, 'success', 1, 'atol:k', 'h', '{}', 'order-1', 1, 100, ${now}, ${now})`.execute(k);

    const applied = await migrate(mig.db());
    expect(applied).toEqual(['008_atol_online', '009_pools', '010_group_events', '011_group_notify']);
    expect(applied.at(-1)).toBe(LATEST_MIGRATION);
    const groups = createGroupRepository(mig.db());
    expect((await groups.list()).map((g) => [g.name, g.group_code, g.marking_policy])).toEqual([['a', null, 'offline_allowed'], ['b', null, 'offline_allowed']]);

    // A code is unique when set; any number of groups have none.
    expect((await groups.update(1, { groupCode: 'shop-v4_1' }, now))?.group_code).toBe('shop-v4_1');
    await expect(groups.update(2, { groupCode: 'shop-v4_1' }, now)).rejects.toThrow();
    expect((await groups.findByGroupCode('shop-v4_1'))?.id).toBe(1);
    expect(await groups.findByGroupCode('nope')).toBeUndefined();
    const created = await groups.create({ name: 'c', enabled: true, defaultTaxSystem: null, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null }, { driver: 'emulator', config: {} }, now);
    expect(created.group.group_code).toBeNull();
    expect((await groups.update(1, { groupCode: null }, now))?.group_code).toBeNull();

    // Tokens and documents, read back through the repository.
    const repo = createAtolOnlineRepository(mig.db());
    await repo.insertToken({ tokenHash: 'abc', userId: 1, credentialsVersion: 3, now, expiresAt: now + 86_400_000 });
    expect(await repo.tokenOwner('abc')).toEqual({ userId: 1, login: 'shop', isActive: true, isSuperuser: false, issuedVersion: 3, currentVersion: 3, expiresAt: now + 86_400_000 });
    expect(await repo.tokenOwner('other')).toBeUndefined();
    const doc = {
      uuid: '3f6c2a0e-8d1b-4c7e-9a5f-0b2d4e6f8a10', receipt_id: 1, group_id: 1, group_code: 'shop-v4_1', external_id: 'order-1', version: 'v5' as const,
      operation: 'sell' as const, client_timestamp: '14.03.2026 12:15:30', callback_url: null, callback_warning: null, mark_codes: ['MDEw', null],
    };
    expect((await repo.insertReceipt(doc, now)).created).toBe(true);
    // The same external_id in the group (or the same receipt) again: the first row stands.
    const again = await repo.insertReceipt({ ...doc, uuid: '00000000-0000-4000-8000-000000000000' }, now);
    expect(again).toMatchObject({ created: false, row: { uuid: doc.uuid, mark_codes: ['MDEw', null], version: 'v5', operation: 'sell' } });
    expect((await repo.byReceiptId(1))?.uuid).toBe(doc.uuid);
    expect((await repo.byUuid(doc.uuid))?.external_id).toBe('order-1');
    expect(await repo.receiptIdByKey(1, 'atol:k')).toBe(1);

    expect(await migrate(mig.db())).toEqual([]);
  });
});
