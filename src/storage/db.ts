import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, type SqliteDatabase } from 'kysely';
import { QueuedSqliteDialect, sqliteDialects } from './sqlite-driver.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export type DbOptions =
  | { dialect: 'sqlite'; /** A path, or ':memory:' */ file: string }
  | { dialect: 'postgres'; url: string; poolSize?: number; onConnectionError?: (e: Error) => void };

// pg returns int8 (BIGSERIAL ids, COUNT, BIGINT timestamps) as strings; every value we store fits in
// 2^53, so parse them as numbers and both dialects hand out the same JavaScript types.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/**
 * Kysely's SQLite driver prepares every statement anew; compiling the SQL was a tenth of the POST
 * path's CPU in the profile. Statements are reusable (better-sqlite3 runs each to completion
 * synchronously), so keep the compiled ones, bounded.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

export function openDb(options: DbOptions): Db {
  if (options.dialect === 'sqlite') {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    const sqlite = new SQLite(options.file);
    // WAL + synchronous=FULL: a receipt acknowledged with 200 survives a power loss.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const dialect = new QueuedSqliteDialect(withStatementCache(sqlite));
    const kysely = new Kysely<Database>({ dialect });
    sqliteDialects.set(kysely, dialect);
    return {
      kysely,
      dialect: 'sqlite',
      close: async () => {
        await kysely.destroy();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 });
  // A connection lost while idle in the pool (the pool's own listener) or while checked out (a
  // terminated backend, a restarted server: pg emits 'error' on the client and, without a listener,
  // that kills the process). The query in flight fails with the same error and its caller answers
  // 503; the broken client is discarded and the next query opens a fresh connection.
  pool.on('error', (e) => options.onConnectionError?.(e));
  pool.on('connect', (client) => {
    client.on('error', (e) => options.onConnectionError?.(e));
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    close: async () => {
      await kysely.destroy();
    },
  };
}
