import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/errors.js';

/** An Error with the properties drivers put on it (pg: SQLSTATE `code`; node: errno `code`; better-sqlite3: SQLITE_* `code`). */
const err = (message: string, props: Record<string, unknown> = {}): Error => Object.assign(new Error(message), props);

/** What each thrown error must become: a 503 with a code and Retry-After, or not a 503 at all. */
const CASES: { name: string; error: () => unknown; code: string | null }[] = [
  // PostgreSQL: SQLSTATE class 08 (connection exception) and the shutdown codes.
  { name: 'pg 08006 connection failure', error: () => err('connection failure', { code: '08006', severity: 'FATAL' }), code: 'database_unavailable' },
  { name: 'pg 08001 cannot connect', error: () => err('could not connect', { code: '08001' }), code: 'database_unavailable' },
  { name: 'pg 08003 connection does not exist', error: () => err('no connection', { code: '08003' }), code: 'database_unavailable' },
  { name: 'pg 57P01 admin shutdown (pg_terminate_backend)', error: () => err('terminating connection due to administrator command', { code: '57P01', severity: 'FATAL' }), code: 'database_unavailable' },
  { name: 'pg 57P02 crash shutdown', error: () => err('terminating connection because of crash of another server process', { code: '57P02' }), code: 'database_unavailable' },
  { name: 'pg 57P03 cannot connect now', error: () => err('the database system is starting up', { code: '57P03' }), code: 'database_unavailable' },
  { name: 'pg 53300 too many connections', error: () => err('sorry, too many clients already', { code: '53300' }), code: 'database_unavailable' },
  // node-postgres and the socket underneath.
  { name: 'Connection terminated unexpectedly', error: () => err('Connection terminated unexpectedly'), code: 'database_unavailable' },
  { name: 'Connection terminated due to connection timeout', error: () => err('Connection terminated due to connection timeout'), code: 'database_unavailable' },
  { name: 'pool connect timeout', error: () => err('timeout exceeded when trying to connect'), code: 'database_unavailable' },
  { name: 'client not queryable', error: () => err('Client has encountered a connection error and is not queryable'), code: 'database_unavailable' },
  { name: 'ECONNREFUSED', error: () => err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' }), code: 'database_unavailable' },
  { name: 'ECONNRESET', error: () => err('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' }), code: 'database_unavailable' },
  { name: 'EPIPE', error: () => err('write EPIPE', { code: 'EPIPE', syscall: 'write' }), code: 'database_unavailable' },
  { name: 'ETIMEDOUT', error: () => err('connect ETIMEDOUT', { code: 'ETIMEDOUT', syscall: 'connect' }), code: 'database_unavailable' },
  {
    name: 'AggregateError of ECONNREFUSED (IPv4 and IPv6 localhost)',
    error: () => Object.assign(new AggregateError([err('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' }), err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })]), { code: 'ECONNREFUSED' }),
    code: 'database_unavailable',
  },
  { name: 'a connection error as the cause', error: () => new Error('query failed', { cause: err('Connection terminated unexpectedly') }), code: 'database_unavailable' },
  // SQLite (better-sqlite3's SqliteError carries the extended result code).
  { name: 'SQLITE_FULL', error: () => err('database or disk is full', { code: 'SQLITE_FULL' }), code: 'disk_full' },
  { name: 'SQLITE_IOERR_WRITE', error: () => err('disk I/O error', { code: 'SQLITE_IOERR_WRITE' }), code: 'storage_unavailable' },
  { name: 'SQLITE_IOERR', error: () => err('disk I/O error', { code: 'SQLITE_IOERR' }), code: 'storage_unavailable' },
  { name: 'SQLITE_READONLY_DBMOVED', error: () => err('attempt to write a readonly database', { code: 'SQLITE_READONLY_DBMOVED' }), code: 'storage_unavailable' },
  { name: 'SQLITE_READONLY', error: () => err('attempt to write a readonly database', { code: 'SQLITE_READONLY' }), code: 'storage_unavailable' },
  { name: 'SQLITE_CANTOPEN', error: () => err('unable to open database file', { code: 'SQLITE_CANTOPEN' }), code: 'storage_unavailable' },
  // Not availability problems: stay 500 (a bug) — never dressed up as "retry later".
  { name: 'pg 23505 unique violation', error: () => err('duplicate key value violates unique constraint', { code: '23505' }), code: null },
  { name: 'pg 42P01 undefined table', error: () => err('relation "x" does not exist', { code: '42P01' }), code: null },
  { name: 'SQLITE_CONSTRAINT_UNIQUE', error: () => err('UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT_UNIQUE' }), code: null },
  { name: 'SQLITE_ERROR', error: () => err('no such table: x', { code: 'SQLITE_ERROR' }), code: null },
  { name: 'a plain TypeError', error: () => new TypeError('x is not a function'), code: null },
];

describe('errors of an unreachable database or unusable storage become 503 with Retry-After', () => {
  const app = Fastify({ logger: false });
  beforeAll(async () => {
    app.setErrorHandler(errorHandler);
    app.get('/boom/:i', async (request) => {
      throw (CASES[Number((request.params as { i: string }).i)]?.error() ?? new Error('no case')) as Error;
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it.each(CASES.map((c, i) => ({ ...c, i })))('$name → $code', async ({ i, code }) => {
    const res = await app.inject(`/boom/${i}`);
    const body = res.json<{ errors: { code: string; message: string }[] }>();
    if (code === null) {
      expect(res.statusCode).toBe(500);
      expect(body.errors[0]?.code).toBe('internal_error');
      expect(res.headers['retry-after']).toBeUndefined();
      return;
    }
    expect(res.statusCode).toBe(503);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.code).toBe(code);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The client sees the class of the problem, never the driver's text (addresses, paths, SQL).
    expect(res.body).not.toMatch(/ECONN|127\.0\.0\.1|SQLITE_|terminat|readonly/i);
  });
});
