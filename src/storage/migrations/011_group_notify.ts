import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * PostgreSQL: a change to what the nodes' group lookups hold notifies `cr_groups` with the group's
 * id, so every node drops its cached copy at once (storage/queue-listener.ts → FastPaths
 * .markGroupsChanged) instead of serving it until its recheck delay ends. What the lookups read:
 * the group's row, its access list, its registers' service, driver, settings, registration, health
 * level, state and lease owner, and whether a manual job waits. Status refreshes and lease renewals — a
 * thousand registers' routine writes — change none of those columns and notify nothing. Triggers,
 * like migration 002's: sent on commit, from every writer, hand edits in the database included.
 * SQLite runs in one process, whose writes mark its lookups themselves.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`CREATE FUNCTION cr_notify_group() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'service_groups' THEN
        PERFORM pg_notify('cr_groups', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
      ELSE
        IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('cr_groups', OLD.group_id::text); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('cr_groups', NEW.group_id::text); END IF;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER service_groups_changed AFTER INSERT OR UPDATE OR DELETE ON service_groups FOR EACH ROW EXECUTE FUNCTION cr_notify_group()`.execute(db);
  await sql`CREATE TRIGGER group_access_changed AFTER INSERT OR UPDATE OR DELETE ON group_access FOR EACH ROW EXECUTE FUNCTION cr_notify_group()`.execute(db);
  await sql`CREATE TRIGGER devices_added_removed AFTER INSERT OR DELETE ON devices FOR EACH ROW EXECUTE FUNCTION cr_notify_group()`.execute(db);
  await sql`CREATE TRIGGER devices_changed AFTER UPDATE ON devices FOR EACH ROW
    WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.service IS DISTINCT FROM NEW.service OR OLD.driver IS DISTINCT FROM NEW.driver
      OR OLD.config IS DISTINCT FROM NEW.config OR OLD.registration IS DISTINCT FROM NEW.registration
      OR OLD.health_level IS DISTINCT FROM NEW.health_level OR OLD.state IS DISTINCT FROM NEW.state OR OLD.lease_owner IS DISTINCT FROM NEW.lease_owner)
    EXECUTE FUNCTION cr_notify_group()`.execute(db);
  await sql`CREATE TRIGGER device_jobs_added AFTER INSERT OR DELETE ON device_jobs FOR EACH ROW EXECUTE FUNCTION cr_notify_group()`.execute(db);
  await sql`CREATE TRIGGER device_jobs_changed AFTER UPDATE OF state ON device_jobs FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION cr_notify_group()`.execute(db);
}
