import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * PostgreSQL: a device job that reaches success or failed notifies `cr_queue` with its group id,
 * so an HTTP request waiting for the job on another node than the one whose worker ran it is woken
 * at once (services/job-completion.ts) instead of polling. Same function as migration 002: the
 * listener wakes both the group's worker and the group's waiting requests. SQLite runs in one
 * process, where the worker's in-process signal suffices.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`CREATE TRIGGER device_jobs_done AFTER UPDATE OF state ON device_jobs FOR EACH ROW WHEN (NEW.state IN ('success', 'failed') AND OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION cr_notify_queue()`.execute(db);
}
