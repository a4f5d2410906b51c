import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openDb, type Db } from '../../src/storage/db.js';
import { ALL_FAST_PATHS, type FastPathSwitches } from '../../src/storage/fast-paths.js';
import { migrate } from '../../src/storage/migrate.js';

/**
 * The storage and API suites run on SQLite and on PostgreSQL. PostgreSQL is the machine's server
 * (PG_URL, default postgres://postgres@127.0.0.1:5432/test); each suite creates its own database
 * and drops it afterwards, never assuming an empty one. Locally an unreachable PostgreSQL skips
 * those suites; in CI (CI=true) it fails the run.
 */
export const PG_ADMIN_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: boolean | null = null;

export async function postgresReachable(): Promise<boolean> {
  if (reachable !== null) return reachable;
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    reachable = true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable in CI: ${e instanceof Error ? e.message : String(e)}`);
    reachable = false;
  } finally {
    await client.end().catch(() => undefined);
  }
  return reachable;
}

export async function createTempDatabase(prefix = 'cr_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type Backend = 'sqlite' | 'postgres';
/** Both backends; suites call `describe.each(BACKENDS)` and skip postgres only when unreachable outside CI. */
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/**
 * A migrated database of `backend` for a storage-level suite: in-memory SQLite, or a fresh
 * PostgreSQL database that `close()` drops.
 */
export async function openMigratedDb(backend: Backend, prefix: string, fast: Readonly<FastPathSwitches> = ALL_FAST_PATHS): Promise<{ db: Db; close(): Promise<void> }> {
  if (backend === 'sqlite') {
    const db = openDb({ dialect: 'sqlite', file: ':memory:' }, fast);
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const t = await createTempDatabase(prefix);
  const db = openDb({ dialect: 'postgres', url: t.url }, fast);
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await t.drop();
    },
  };
}
