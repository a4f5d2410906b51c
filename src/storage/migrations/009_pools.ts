import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Register pools (a service group drives one or more registers, docs/pools.md):
 * - devices.service: 'active' (in the pool), 'maintenance' («обслуживание»: no new work, drained —
 *   FN replacement, re-registration) or 'retired' (left the pool; the row stays because receipts
 *   and found FN documents name it). Existing registers are active.
 * - devices.health_level / devices.health: what the register's worker last concluded about its
 *   fitness for new work ('healthy' | 'degraded' | 'unavailable', src/domain/pool.ts) and why (JSON
 *   reasons). The level is a column of its own because the peers of a pool read it to route.
 *   NULL until the worker first judged it.
 * - service_groups.pool_policy: the group's health thresholds as JSON (NULL: the defaults).
 * - device_jobs.device_id: the register a manual operation is for. Existing jobs belong to their
 *   group's first register, the only one a group had before this migration.
 * - nodes: the nodes that drive registers, each with the end of its last heartbeat (database
 *   clock), so the nodes sharing a database can each take a fair share of the registers' leases.
 * A register's own unfinished receipts (in-doubt receipts stay pinned to it) are read through
 * receipts_unresolved (migration 001: the group's processing and in-doubt rows, a handful).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? sql.raw('BIGINT') : sql.raw('INTEGER');
  await sql`ALTER TABLE devices ADD COLUMN service TEXT NOT NULL DEFAULT 'active'`.execute(db);
  await sql`ALTER TABLE devices ADD COLUMN health_level TEXT`.execute(db);
  await sql`ALTER TABLE devices ADD COLUMN health TEXT`.execute(db);
  await sql`ALTER TABLE service_groups ADD COLUMN pool_policy TEXT`.execute(db);
  await sql`ALTER TABLE device_jobs ADD COLUMN device_id ${big} REFERENCES devices(id) ON DELETE CASCADE`.execute(db);
  await sql`UPDATE device_jobs SET device_id = (SELECT min(devices.id) FROM devices WHERE devices.group_id = device_jobs.group_id)`.execute(db);
  await sql`CREATE INDEX device_jobs_device ON device_jobs (device_id, state)`.execute(db);
  await sql`CREATE TABLE nodes (id TEXT PRIMARY KEY, seen_until ${big} NOT NULL)`.execute(db);
}
