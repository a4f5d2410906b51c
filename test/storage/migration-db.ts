import { afterAll, beforeAll } from 'vitest';
import { openDb, type Db } from '../../src/storage/db.js';
import { createTempDatabase, type Backend } from '../support/databases.js';

/**
 * An empty database of `backend` for a migration test, opened before the suite's tests and dropped
 * after them; `skip` when PostgreSQL is not reachable. The test migrates it to the version it starts from.
 */
export function migrationDb(backend: Backend, pgOk: boolean, prefix: string): { db: () => Db; skip: boolean } {
  const skip = backend === 'postgres' && !pgOk;
  let db: Db | undefined;
  let drop = async (): Promise<void> => undefined;
  beforeAll(async () => {
    if (skip) return;
    if (backend === 'sqlite') {
      db = openDb({ dialect: 'sqlite', file: ':memory:' });
    } else {
      const t = await createTempDatabase(prefix);
      db = openDb({ dialect: 'postgres', url: t.url });
      drop = () => t.drop();
    }
  });
  afterAll(async () => {
    await db?.close();
    await drop();
  });
  return {
    db: () => {
      if (!db) throw new Error('the migration database is not open');
      return db;
    },
    skip,
  };
}
