import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * devices.model → devices.driver. The column has always held the driver's id in the registry
 * (`emulator`, `atol`, `shtrih`), never the device's model, which the device reports in its
 * registration data; the old name invited confusing the two. No index, constraint or trigger
 * names the column (001–003), so a rename is all it takes: RENAME COLUMN keeps every row, on
 * PostgreSQL and on SQLite (≥ 3.25; better-sqlite3 bundles a newer one).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await sql`ALTER TABLE devices RENAME COLUMN model TO driver`.execute(db);
}
