import { closeSync, fsync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase } from 'kysely';

/**
 * Makes what the connection has written so far durable (the WAL's fsync). Given when the database
 * runs with synchronous=NORMAL: a commit then writes the WAL without an fsync, and the driver
 * syncs it off the event loop before the writer's query returns.
 */
export interface WalSync {
  /** Resolves once every write committed before the call is on disk. */
  sync(): Promise<void>;
  close(): void;
}

/**
 * The WAL of `file` synced on libuv's thread pool, one fsync at a time: a caller whose commit came
 * after the fsync in flight started waits for the next one, and every caller waiting meanwhile
 * shares that next one (the fsync-level group commit). `fsyncFd` is replaceable for tests.
 */
export function walSync(file: string, fsyncFd: (fd: number) => Promise<void> = promisify(fsync)): WalSync & { written(): void } {
  let written = 0;
  let synced = 0;
  let syncing: Promise<void> | null = null;
  let fd: number | null = null;
  return {
    written() {
      written += 1;
    },
    async sync() {
      const target = written;
      while (synced < target) {
        syncing ??= (async () => {
          const upTo = written;
          // The WAL exists once anything was written and keeps its inode while the connection is
          // open (a checkpoint rewinds it in place), so one descriptor serves every sync; fsync
          // flushes the file's pages whichever descriptor wrote them.
          fd ??= openSync(`${file}-wal`, 'r');
          await fsyncFd(fd);
          synced = Math.max(synced, upTo);
        })().finally(() => {
          syncing = null;
        });
        await syncing;
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/**
 * Kysely's SQLite dialect with a fair, first-come lock on the single connection.
 *
 * The stock driver's mutex wakes every waiter on each release and all but one go back to sleep: with
 * 50 concurrent requests each query costs ~50 promise wake-ups, and the GET profile spent as much
 * CPU there (`provideConnection`, 15 %) as in SQLite itself. Here a release hands the connection to
 * the next waiter directly. The lock is still needed: a transaction spans several awaits, and no
 * other query may run on the connection inside it.
 */
export class QueuedSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  readonly #wal: (WalSync & { written(): void }) | null;
  #driver: QueuedSqliteDriver | null = null;

  /**
   * With `wal`, the database runs with synchronous=NORMAL and a hold of the connection that wrote
   * anything ends with `wal.sync()`, awaited by the query's caller after the connection has been
   * handed to the next waiter: a write still returns only once it is on disk, as with FULL, but
   * the fsync runs on the thread pool, and the readers and writers queued behind it go on.
   */
  constructor(database: SqliteDatabase, wal: (WalSync & { written(): void }) | null = null) {
    super({ database });
    this.#database = database;
    this.#wal = wal;
  }

  override createDriver(): Driver {
    this.#driver = new QueuedSqliteDriver(this.#database, this.#wal);
    return this.#driver;
  }

  /**
   * Runs a read at once, synchronously, when nobody holds the connection (so no transaction is
   * open on it); undefined when it is held, and the caller queues through Kysely as usual. Spares
   * the hottest reads Kysely's promise hops (`provideConnection` was 8 % of an uncached GET).
   */
  readIfIdle(sql: string, parameters: readonly unknown[]): unknown[] | undefined {
    if (!this.#driver || this.#driver.busy) return undefined;
    const stmt = this.#database.prepare(sql);
    // Writes never take this path: they belong to the group commit and its transactions.
    return stmt.reader ? stmt.all(parameters) : undefined;
  }
}

class QueuedSqliteDriver implements Driver {
  readonly #connection: SqliteConnection;
  readonly #database: SqliteDatabase;
  readonly #wal: (WalSync & { written(): void }) | null;
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  constructor(database: SqliteDatabase, wal: (WalSync & { written(): void }) | null) {
    this.#database = database;
    this.#wal = wal;
    this.#connection = new SqliteConnection(database);
  }

  get busy(): boolean {
    return this.#busy;
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(this.#connection);
    }
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#connection)));
  }

  async releaseConnection(): Promise<void> {
    // Whether this hold wrote (a statement that changed rows, or a commit) is read before the
    // hand-over: the next holder starts with a clean slate.
    const wrote = this.#connection.takeWrote();
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
    // Kysely awaits the release before the query or transaction returns to its caller.
    if (wrote && this.#wal) {
      this.#wal.written();
      await this.#wal.sync();
    }
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.#wal?.close();
    this.#database.close();
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: SqliteDatabase;
  #wrote = false;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  takeWrote(): boolean {
    const w = this.#wrote;
    this.#wrote = false;
    return w;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#db.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    // `reader` says a statement returns rows, not that it only reads (INSERT … RETURNING);
    // better-sqlite3's `readonly` (sqlite3_stmt_readonly) says it does not write.
    if ((stmt as { readonly?: boolean }).readonly !== true) this.#wrote = true;
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  // eslint-disable-next-line require-yield -- streaming is not used; the interface requires the method
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here');
  }
}
