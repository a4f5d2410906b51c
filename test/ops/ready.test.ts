import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';

describe('/ready and storage errors on SQLite (in process)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer('sqlite');
  });
  afterAll(async () => s?.cleanup());

  it('answers ready with the migration when all is well', async () => {
    const res = await s.app.inject('/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready' });
  });

  it('does not show the database error text to anonymous callers: a code only', async () => {
    await sql`ALTER TABLE kysely_migration RENAME TO kysely_migration_hidden`.execute(s.db.kysely);
    try {
      const res = await s.app.inject('/ready');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', code: 'database_unavailable' });
      expect(res.body).not.toMatch(/no such table|kysely_migration|SQLITE/i);
    } finally {
      await sql`ALTER TABLE kysely_migration_hidden RENAME TO kysely_migration`.execute(s.db.kysely);
    }
    expect((await s.app.inject('/ready')).statusCode).toBe(200);
  });

  it('a full database file (SQLITE_FULL) answers 503 disk_full with Retry-After, not 500', async () => {
    // The page limit is clamped to the file's current size: the next pages the inserts need fail.
    await sql`PRAGMA max_page_count = 1`.execute(s.db.kysely);
    const payload = { ...ORIGINAL_EXAMPLE, products: ORIGINAL_EXAMPLE.products.map((p) => ({ ...p, name: `${p.name} ${'x'.repeat(100)}` })) };
    let res;
    for (let i = 0; i < 2000; i++) {
      res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload });
      if (res.statusCode !== 200) break;
    }
    expect(res?.statusCode).toBe(503);
    expect(res?.json()).toEqual({ errors: [{ code: 'disk_full', message: expect.any(String) as string }] });
    expect(Number(res?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
