import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase } from 'kysely';

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
  #driver: QueuedSqliteDriver | null = null;

  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    this.#driver = new QueuedSqliteDriver(this.#database);
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
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  constructor(database: SqliteDatabase) {
    this.#database = database;
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
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
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
    this.#database.close();
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#db.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  // eslint-disable-next-line require-yield -- streaming is not used; the interface requires the method
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite here');
  }
}
