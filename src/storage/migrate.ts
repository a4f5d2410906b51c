import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './db.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_queue_notify.js';
import * as m003 from './migrations/003_fencing.js';
import * as m004 from './migrations/004_device_driver.js';
import * as m005 from './migrations/005_job_done_notify.js';
import * as m006 from './migrations/006_marking_policy.js';
import * as m007 from './migrations/007_callbacks.js';
import * as m008 from './migrations/008_atol_online.js';
import * as m009 from './migrations/009_pools.js';
import * as m010 from './migrations/010_group_events.js';
import * as m011 from './migrations/011_group_notify.js';

const ALL = { '001_initial': m001, '002_queue_notify': m002, '003_fencing': m003, '004_device_driver': m004, '005_job_done_notify': m005, '006_marking_policy': m006, '007_callbacks': m007, '008_atol_online': m008, '009_pools': m009, '010_group_events': m010, '011_group_notify': m011 } as const;

/**
 * Applies the forward-only migrations. Kysely's migrator takes a lock first (an advisory lock on
 * PostgreSQL, inside the migration transaction), so two nodes starting at once apply each
 * migration exactly once.
 */
export async function migrate(db: Pick<Db, 'kysely' | 'dialect'>, options: { upTo?: MigrationName } = {}): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        Object.entries(ALL).map(([name, mod]): [string, Migration] => [
          name,
          { up: (k) => mod.up(k, db.dialect) },
        ]),
      ),
  };
  const migrator = new Migrator({ db: db.kysely, provider });
  // upTo: an older schema, for tests that migrate a database holding rows of an earlier version.
  const { error, results } = options.upTo === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(options.upTo);
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export type MigrationName = keyof typeof ALL;
export const LATEST_MIGRATION = Object.keys(ALL).at(-1) ?? '';
