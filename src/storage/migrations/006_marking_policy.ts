import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * service_groups.marking_policy: what the device worker does with the answer of a marking code's
 * check (FFD 1.2, tags 2106/2107; MarkingPolicy in src/domain/ffd12.ts). Existing groups get
 * 'offline_allowed', the behaviour the marking rules describe: a negative answer refuses the
 * receipt, an unreachable marking operator lets it be sold in autonomous mode.
 *
 * ADD COLUMN … NOT NULL DEFAULT fills every existing row with the default on both dialects
 * (PostgreSQL ≥ 11 without rewriting the table; SQLite stores the default in the schema and
 * returns it for the old rows). No CHECK constraint: a later value would need a table rebuild on
 * SQLite; the admin API and the service validate the value, and toGroupRecord narrows it.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await sql`ALTER TABLE service_groups ADD COLUMN marking_policy TEXT NOT NULL DEFAULT 'offline_allowed'`.execute(db);
}
