import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import { NativeSqlite } from '../sqlite-native.js';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { QueuedSqliteDialect } from './sqlite-driver.js';
import type { Database } from './schema.js';
import { ALL_FAST_PATHS, createFastPaths, type FastPaths, type FastPathSwitches } from './fast-paths.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** This handle's batching, caches and precompiled reads: repositories on it share them. */
  fast: FastPaths;
  close(): Promise<void>;
}

export type DbOptions =
  | { dialect: 'sqlite'; /** A path, or ':memory:' */ file: string }
  | { dialect: 'postgres'; url: string; poolSize?: number; onConnectionError?: (e: Error) => void };

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

export function openDb(options: DbOptions, switches: Readonly<FastPathSwitches> = ALL_FAST_PATHS): Db {
  if (options.dialect === 'sqlite') {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    const sqlite = new NativeSqlite(options.file);
    // WAL + synchronous=FULL: a receipt acknowledged with 200 survives a power loss.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const database: SqliteDatabase = switches.precompiled ? withStatementCache(sqlite) : sqlite;
    const handover = switches.sqliteHandover ? new QueuedSqliteDialect(database) : null;
    const kysely = new Kysely<Database>({ dialect: handover ?? new SqliteDialect({ database }) });
    return {
      kysely,
      dialect: 'sqlite',
      fast: createFastPaths(kysely, 'sqlite', switches, handover),
      close: async () => {
        await kysely.destroy();
      },
    };
  }
  // pg returns int8 (BIGSERIAL ids, COUNT, BIGINT timestamps) as strings; every value we store fits
  // in 2^53, so parse them as numbers and both dialects hand out the same JavaScript types. Set on
  // this pool only: pg.types is process-wide and would change what other pg users in the process get.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, connectionTimeoutMillis: 5000, types });
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
    fast: createFastPaths(kysely, 'postgres', switches, null),
    close: async () => {
      await kysely.destroy();
    },
  };
}
