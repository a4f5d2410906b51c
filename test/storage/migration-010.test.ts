import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createCallbackRepository, eventValues } from '../../src/storage/callbacks.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { LATEST_MIGRATION, migrate } from '../../src/storage/migrate.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { migrationDb } from './migration-db.js';
import { fiscalResult, storedRequest } from './records.js';

const pgOk = await postgresReachable();

const EVENT = (n: number) => `0b7e1e0e-7c39-4d32-9d1b-5b8b1f0a1c${String(n).padStart(2, '0')}`;

/**
 * A database of version 009 holding callback deliveries and their attempts migrates to group
 * events: on SQLite the outbox tables are rebuilt (receipt_id loses NOT NULL), and not a row, an
 * id, a foreign key or an index is lost; the groups get no events URL.
 */
describe.each(BACKENDS)('migration 010 (group events) on %s', (backend) => {
  const mig = migrationDb(backend, pgOk, 'cr_mig10');
  const now = 1_780_000_000_000;

  it.skipIf(mig.skip)('keeps every delivery and attempt, their ids, keys and indexes, and lets a delivery have no receipt', async () => {
    expect((await migrate(mig.db(), { upTo: '009_pools' })).at(-1)).toBe('009_pools');
    const k = mig.db().kysely;
    // Rows as version 009 wrote them.
    await sql`INSERT INTO users (login, name, password_hash, is_active, is_superuser, credentials_version, created_at, updated_at, callback_secret)
      VALUES ('admin', 'A', 'h1', 1, 1, 1, ${now}, ${now}, 'crcb_admin'), ('shop', 'S', 'h2', 1, 0, 1, ${now}, ${now}, 'crcb_shop')`.execute(k);
    await sql`INSERT INTO service_groups (name, enabled, running, default_tax_system, auto_open_shift, shift_duration_min, created_at, updated_at, group_code, pool_policy)
      VALUES ('g', 1, 1, 1, 1, 1440, ${now}, ${now}, 'code-1', '{"warn_days":20}')`.execute(k);
    await sql`INSERT INTO devices (group_id, driver, config, state, created_at, updated_at) VALUES (1, 'emulator', '{}', 'running', ${now}, ${now})`.execute(k);
    const request = JSON.stringify(storedRequest(100, 'o1'));
    const fiscal = JSON.stringify(fiscalResult(5));
    await sql`INSERT INTO receipts (group_id, user_id, device_id, state, attempts, request_hash, request, order_id, receipt_type, total, created_at, updated_at, fd_number, fiscal, callback_url)
      VALUES (1, 2, 1, 'success', 1, 'h-a', ${request}, 'o1', 1, 100, ${now}, ${now}, 5, ${fiscal}, 'https://shop.example.com/a'),
             (1, 2, 1, 'failed', 1, 'h-b', ${request}, 'o2', 1, 100, ${now}, ${now}, NULL, NULL, 'https://shop.example.com/b')`.execute(k);
    // Three deliveries (ids 1, 2 and 5: a gap, as a rolled-back insert leaves) in every state, with attempts.
    await sql`INSERT INTO callback_deliveries (id, event_id, receipt_id, group_id, user_id, url, event, kind, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at, lease_owner, lease_token, lease_until)
      VALUES (1, ${EVENT(1)}, 1, 1, 2, 'https://shop.example.com/a', 'receipt.success', 'outcome', 'delivered', 2, ${now}, 200, NULL, ${now}, ${now + 10}, NULL, NULL, NULL),
             (2, ${EVENT(2)}, 2, 1, 2, 'https://shop.example.com/b', 'receipt.failed', 'outcome', 'pending', 1, ${now + 60_000}, 503, NULL, ${now}, NULL, 'node-a', 'tok', ${now + 30_000}),
             (5, ${EVENT(5)}, 1, 1, 2, 'https://shop.example.com/a', 'receipt.success', 'resend', 'failed', 9, ${now}, NULL, 'timeout', ${now}, NULL, NULL, NULL, NULL)`.execute(k);
    await sql`INSERT INTO callback_attempts (id, delivery_id, at, status, latency_ms, error, node)
      VALUES (1, 1, ${now + 1}, 500, 12, NULL, 'node-a'), (2, 1, ${now + 10}, 200, 8, NULL, 'node-b'),
             (3, 2, ${now + 2}, 503, 40, NULL, 'node-a'), (7, 5, ${now + 3}, NULL, 10000, 'timeout', 'node-c')`.execute(k);
    if (backend === 'postgres') {
      // The sequences had moved past the highest ids (ids written explicitly here do not move them).
      await sql`SELECT setval('callback_deliveries_id_seq', 5)`.execute(k);
      await sql`SELECT setval('callback_attempts_id_seq', 7)`.execute(k);
    } else {
      // A counter above the highest id (the rows above it were deleted): never handed out again.
      await sql`UPDATE sqlite_sequence SET seq = 9 WHERE name = 'callback_deliveries'`.execute(k);
    }
    const deliveriesBefore = await sql`SELECT * FROM callback_deliveries ORDER BY id`.execute(k);
    const attemptsBefore = await sql`SELECT * FROM callback_attempts ORDER BY id`.execute(k);

    const applied = await migrate(mig.db());
    expect(applied).toEqual(['010_group_events', '011_group_notify']);
    expect(applied.at(-1)).toBe(LATEST_MIGRATION);

    // Every row as it was (PostgreSQL's uuid reads back as the same text), plus an empty payload.
    const deliveriesAfter = await sql<Record<string, unknown>>`SELECT * FROM callback_deliveries ORDER BY id`.execute(k);
    expect(deliveriesAfter.rows.map(({ payload, ...rest }) => {
      expect(payload).toBeNull();
      return rest;
    })).toEqual(deliveriesBefore.rows);
    expect((await sql`SELECT * FROM callback_attempts ORDER BY id`.execute(k)).rows).toEqual(attemptsBefore.rows);
    const outbox = createCallbackRepository(mig.db());
    expect((await outbox.logOf(1)).map((l) => [l.delivery.id, l.attempts.map((a) => a.id)])).toEqual([[5, [7]], [1, [1, 2]]]);
    expect([...(await outbox.latestFor([1, 2])).entries()].map(([r, d]) => [r, d.state]).sort()).toEqual([[1, 'failed'], [2, 'pending']]);
    expect(await outbox.backlog()).toMatchObject({ pending: 1 });

    // Every index of migration 007, by name and definition.
    const indexes = backend === 'postgres'
      ? (await sql<{ name: string; def: string }>`SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename IN ('callback_deliveries', 'callback_attempts') AND indexname NOT LIKE '%_pkey' ORDER BY indexname`.execute(k)).rows
      : (await sql<{ name: string; def: string }>`SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('callback_deliveries', 'callback_attempts') AND sql IS NOT NULL ORDER BY name`.execute(k)).rows;
    expect(indexes.map((i) => i.name)).toEqual(['callback_attempts_delivery', 'callback_deliveries_due', 'callback_deliveries_event', 'callback_deliveries_receipt']);
    expect(indexes.find((i) => i.name === 'callback_deliveries_due')?.def).toMatch(/WHERE.*state.*=.*'pending'/);
    expect(indexes.find((i) => i.name === 'callback_deliveries_event')?.def).toMatch(/UNIQUE/);
    if (backend === 'sqlite') {
      // No table of the rebuild is left behind, and the attempts' key names the final table.
      const tables = (await sql<{ name: string; def: string }>`SELECT name, sql AS def FROM sqlite_master WHERE type = 'table' AND name LIKE 'callback%' ORDER BY name`.execute(k)).rows;
      expect(tables.map((t) => t.name)).toEqual(['callback_attempts', 'callback_deliveries']);
      expect(tables[0]?.def).toMatch(/REFERENCES "?callback_deliveries"?\s*\(id\)/);
      expect((await sql<{ n: number }>`SELECT count(*) AS n FROM pragma_foreign_key_check`.execute(k)).rows[0]?.n).toBe(0);
    }

    // The groups: no events URL, everything else as it was.
    const groups = createGroupRepository(mig.db());
    expect(await groups.get(1)).toMatchObject({ name: 'g', group_code: 'code-1', events_url: null, events_user_id: null, pool_policy: { warn_days: 20 } });
    expect((await groups.update(1, { events: { url: 'https://ops.example.com/cr', userId: 1 } }, now + 1))).toMatchObject({ events_url: 'https://ops.example.com/cr', events_user_id: 1 });

    // A register event: no receipt. New ids continue above the old ones (never reused).
    const event = await k.insertInto('callback_deliveries')
      .values(eventValues(mig.db().dialect, { groupId: 1, userId: 1, url: 'https://ops.example.com/cr', event: 'register.fn_warning', eventId: EVENT(20), body: { event: 'register.fn_warning', n: 1 } }))
      .returningAll().executeTakeFirstOrThrow();
    expect(event).toMatchObject({ receipt_id: null, kind: 'event', state: 'pending', payload: '{"event":"register.fn_warning","n":1}' });
    expect(event.id).toBeGreaterThan(backend === 'sqlite' ? 9 : 5);
    const attempt = await k.insertInto('callback_attempts').values({ delivery_id: event.id, at: now, status: 200, latency_ms: 3, error: null, node: 'n' }).returningAll().executeTakeFirstOrThrow();
    expect(attempt.id).toBeGreaterThan(7);
    const claimed = (await outbox.claimDue('node-x', 10, 60_000)).find((c) => c.delivery.id === event.id);
    expect(claimed?.delivery).toMatchObject({ id: event.id, receipt_id: null, event: 'register.fn_warning', kind: 'event', payload: { event: 'register.fn_warning', n: 1 } });

    // The keys still hold: a receipt that does not exist, a delivery that does not exist, a duplicate event id.
    const row = (receiptId: number, eventId: string) => sql`INSERT INTO callback_deliveries (event_id, receipt_id, group_id, user_id, url, event, kind, state, attempts, next_attempt_at, created_at)
      VALUES (${eventId}, ${receiptId}, 1, 2, 'https://x', 'receipt.success', 'outcome', 'pending', 0, 0, 0)`;
    await expect(row(999, EVENT(30)).execute(k)).rejects.toThrow();
    await expect(row(1, EVENT(1)).execute(k)).rejects.toThrow();
    await expect(k.insertInto('callback_attempts').values({ delivery_id: 9999, at: now, status: null, latency_ms: 1, error: null, node: 'n' }).execute()).rejects.toThrow();
    // ON DELETE CASCADE: a delivery's attempts go with it; a receipt's deliveries with the receipt (never done by the server).
    await k.deleteFrom('callback_deliveries').where('id', '=', event.id).execute();
    expect(await k.selectFrom('callback_attempts').select('id').where('delivery_id', '=', event.id).execute()).toEqual([]);
    await k.deleteFrom('receipts').where('id', '=', 2).execute();
    expect(await k.selectFrom('callback_deliveries').select('id').where('receipt_id', '=', 2).execute()).toEqual([]);
    expect(await k.selectFrom('callback_attempts').select('id').where('delivery_id', '=', 2).execute()).toEqual([]);
    expect((await k.selectFrom('callback_attempts').select('id').orderBy('id').execute()).map((a) => a.id)).toEqual([1, 2, 7]);

    // The signer's key: a deleted user leaves the URL without a signer.
    await sql`DELETE FROM users WHERE id = 1`.execute(k);
    expect(await groups.get(1)).toMatchObject({ events_url: 'https://ops.example.com/cr', events_user_id: null });

    expect(await migrate(mig.db())).toEqual([]);
  });
});
