import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { LATEST_MIGRATION, migrate } from '../../src/storage/migrate.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { migrationDb } from './migration-db.js';
import { registration } from './records.js';

const pgOk = await postgresReachable();

/** A database created by an older version, holding devices, migrates to the current schema with its rows. */
describe.each(BACKENDS)('migration 004 (devices.model → driver) on %s', (backend) => {
  const mig = migrationDb(backend, pgOk, 'cr_mig');
  const now = 1_780_000_000_000;

  it.skipIf(mig.skip)('renames the column and keeps every device row', async () => {
    expect(await migrate(mig.db(), { upTo: '003_fencing' })).toEqual(['001_initial', '002_queue_notify', '003_fencing']);
    // Rows as version 003 wrote them: the driver id in `model`.
    await sql`INSERT INTO service_groups (name, enabled, running, auto_open_shift, shift_duration_min, created_at, updated_at)
      VALUES ('a', 1, 1, 1, 1440, ${now}, ${now}), ('b', 1, 0, 1, 1440, ${now}, ${now})`.execute(mig.db().kysely);
    await sql`INSERT INTO devices (group_id, model, config, state, registration, lease_owner, lease_epoch, reconciled_fd, created_at, updated_at)
      VALUES (1, 'emulator', '{"latency_ms":5}', 'running', ${JSON.stringify(registration)}, 'node-a', 3, 42, ${now}, ${now}),
             (2, 'atol', '{"url":"http://127.0.0.1:16732"}', 'stopped', NULL, NULL, 0, NULL, ${now}, ${now})`.execute(mig.db().kysely);

    const applied = await migrate(mig.db());
    expect(applied[0]).toBe('004_device_driver');
    expect(applied.at(-1)).toBe(LATEST_MIGRATION);
    const devices = await createDeviceRepository(mig.db()).list();
    expect(devices).toMatchObject([
      { id: 1, group_id: 1, driver: 'emulator', config: { latency_ms: 5 }, state: 'running', registration, lease_owner: 'node-a', lease_epoch: 3, reconciled_fd: 42 },
      { id: 2, group_id: 2, driver: 'atol', config: { url: 'http://127.0.0.1:16732' }, state: 'stopped', registration: null, lease_owner: null, lease_epoch: 0, reconciled_fd: null },
    ]);
    expect(devices[0]).not.toHaveProperty('model');
    // The foreign keys still hold on the renamed table: a receipt may name the device.
    await sql`INSERT INTO users (login, name, password_hash, is_active, is_superuser, credentials_version, created_at, updated_at)
      VALUES ('u', 'u', 'x', 1, 1, 1, ${now}, ${now})`.execute(mig.db().kysely);
    await expect(
      mig.db().kysely.insertInto('receipts').values({ group_id: 1, user_id: 1, device_id: 1, state: 'pending', attempts: 0, idempotency_key: null, request_hash: 'h', request: '{}', order_id: null, receipt_type: 1, total: 1, created_at: now, updated_at: now }).execute(),
    ).resolves.toBeDefined();
    // Nothing left to apply.
    expect(await migrate(mig.db())).toEqual([]);
  });
});
