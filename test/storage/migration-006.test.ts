import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createGroupRepository } from '../../src/storage/groups.js';
import { LATEST_MIGRATION, migrate } from '../../src/storage/migrate.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { migrationDb } from './migration-db.js';

const pgOk = await postgresReachable();

/** A database of version 005 holding service groups migrates to the marking policy with its rows. */
describe.each(BACKENDS)('migration 006 (service_groups.marking_policy) on %s', (backend) => {
  const mig = migrationDb(backend, pgOk, 'cr_mig6');
  const now = 1_780_000_000_000;

  it.skipIf(mig.skip)('gives every existing group offline_allowed and keeps its settings', async () => {
    expect((await migrate(mig.db(), { upTo: '005_job_done_notify' })).at(-1)).toBe('005_job_done_notify');
    // Rows as version 005 wrote them: no marking_policy column yet.
    await sql`INSERT INTO service_groups (name, enabled, running, default_tax_system, default_vat, auto_open_shift, shift_duration_min, daily_close_time, created_at, updated_at)
      VALUES ('a', 1, 1, 1, 6, 1, 1440, NULL, ${now}, ${now}), ('b', 0, 0, NULL, NULL, 0, 720, '23:30', ${now}, ${now})`.execute(mig.db().kysely);
    await sql`INSERT INTO devices (group_id, driver, config, state, created_at, updated_at)
      VALUES (1, 'emulator', '{}', 'running', ${now}, ${now})`.execute(mig.db().kysely);

    const applied = await migrate(mig.db());
    expect(applied[0]).toBe('006_marking_policy');
    expect(applied.at(-1)).toBe(LATEST_MIGRATION);
    const groups = createGroupRepository(mig.db());
    expect(await groups.list()).toMatchObject([
      { id: 1, name: 'a', enabled: true, running: true, default_tax_system: 1, default_vat: 6, auto_open_shift: true, shift_duration_min: 1440, daily_close_time: null, marking_policy: 'offline_allowed' },
      { id: 2, name: 'b', enabled: false, running: false, default_tax_system: null, default_vat: null, auto_open_shift: false, shift_duration_min: 720, daily_close_time: '23:30', marking_policy: 'offline_allowed' },
    ]);
    // The one-statement lookups of the worker and of receipt intake read the new column too.
    expect((await groups.forReceipts(1, null))?.group.marking_policy).toBe('offline_allowed');
    expect((await groups.forWorker(2))?.group.marking_policy).toBe('offline_allowed');

    // A row inserted without the column (an older node during a rolling upgrade) gets the default.
    await sql`INSERT INTO service_groups (name, enabled, running, auto_open_shift, shift_duration_min, created_at, updated_at)
      VALUES ('c', 1, 0, 1, 1440, ${now}, ${now})`.execute(mig.db().kysely);
    expect((await groups.get(3))?.marking_policy).toBe('offline_allowed');

    // Written and read back through the repository.
    expect((await groups.update(1, { markingPolicy: 'strict' }, now + 1))?.marking_policy).toBe('strict');
    const created = await groups.create(
      { name: 'd', enabled: true, defaultTaxSystem: null, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null, markingPolicy: 'record_only' },
      { driver: 'emulator', config: {} },
      now,
    );
    expect(created.group.marking_policy).toBe('record_only');
    expect((await groups.get(2))?.marking_policy).toBe('offline_allowed');

    // NOT NULL holds.
    await expect(sql`UPDATE service_groups SET marking_policy = NULL WHERE id = 2`.execute(mig.db().kysely)).rejects.toThrow();
    // A value this version does not know (a newer version's, after a downgrade) reads as the strictest.
    await sql`UPDATE service_groups SET marking_policy = 'some_future_policy' WHERE id = 2`.execute(mig.db().kysely);
    expect((await groups.get(2))?.marking_policy).toBe('strict');

    expect(await migrate(mig.db())).toEqual([]);
  });
});
