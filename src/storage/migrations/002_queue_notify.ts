import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * PostgreSQL: wake the node that drives a group's device when work for it is queued on any node.
 * A trigger, not an application-side NOTIFY, so the notification is sent on commit, exactly when the
 * row becomes visible, and costs no extra round trip. SQLite runs in one process: nothing to do.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`CREATE FUNCTION cr_notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('cr_queue', NEW.group_id::text);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER receipts_queued AFTER INSERT ON receipts FOR EACH ROW EXECUTE FUNCTION cr_notify_queue()`.execute(db);
  await sql`CREATE TRIGGER receipts_requeued AFTER UPDATE OF state ON receipts FOR EACH ROW WHEN (NEW.state = 'pending' AND OLD.state <> 'pending') EXECUTE FUNCTION cr_notify_queue()`.execute(db);
  await sql`CREATE TRIGGER device_jobs_queued AFTER INSERT ON device_jobs FOR EACH ROW EXECUTE FUNCTION cr_notify_queue()`.execute(db);
}
