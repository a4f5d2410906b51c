/**
 * The ceiling: the least a server can do for the same request — a bare Fastify endpoint that reads
 * the JSON body, stringifies it, hashes it and inserts the same receipts row (same table, indexes
 * and pragmas, created by the project's own migration) with one prepared statement, plus a bare
 * GET-by-id that returns the stored row. No auth, no validation, no Kysely. Run as a child process
 * by bench/run.ts; reports its URL over IPC.
 *
 * env: BENCH_DB=sqlite|postgres, BENCH_SQLITE_FILE, BENCH_PG_URL
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NativeSqlite as SQLite } from '../src/sqlite-native.js';
import Fastify from 'fastify';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrate } from '../src/storage/migrate.js';
import type { Database } from '../src/storage/schema.js';

interface Store {
  insert(groupId: number, key: string | null, hash: string, request: string, orderId: string | null, total: number, now: number): Promise<number>;
  get(groupId: number, id: number): Promise<unknown>;
  close(): Promise<void>;
}

const COLUMNS = 'group_id, user_id, device_id, state, attempts, idempotency_key, request_hash, request, order_id, receipt_type, total, created_at, updated_at';

async function sqliteStore(file: string): Promise<Store> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new SQLite(file);
  // The same pragmas as src/storage/db.ts.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
  await migrate({ kysely, dialect: 'sqlite' });
  const now = Date.now();
  db.prepare(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('bench', 'x', ?, ?)`).run(now, now);
  db.prepare(`INSERT INTO service_groups (name, running, created_at, updated_at) VALUES ('bench', 1, ?, ?)`).run(now, now);
  db.prepare(`INSERT INTO devices (group_id, driver, config, created_at, updated_at) VALUES (1, 'emulator', '{}', ?, ?)`).run(now, now);
  const ins = db.prepare<unknown[], { id: number }>(`INSERT INTO receipts (${COLUMNS}) VALUES (?, 1, 1, 'pending', 0, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`);
  const sel = db.prepare('SELECT * FROM receipts WHERE id = ? AND group_id = ?');
  return {
    insert: async (groupId, key, hash, request, orderId, total, t) => {
      const row = ins.get(groupId, key, hash, request, orderId, total, t, t);
      if (!row) throw new Error('insert returned no row');
      return row.id;
    },
    get: async (groupId, id) => sel.get(id, groupId),
    close: async () => {
      await kysely.destroy();
    },
  };
}

async function postgresStore(url: string): Promise<Store> {
  // The same pool size as src/storage/db.ts.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate({ kysely, dialect: 'postgres' });
  const now = Date.now();
  await pool.query(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('bench', 'x', $1, $1)`, [now]);
  await pool.query(`INSERT INTO service_groups (name, running, created_at, updated_at) VALUES ('bench', 1, $1, $1)`, [now]);
  await pool.query(`INSERT INTO devices (group_id, driver, config, created_at, updated_at) VALUES (1, 'emulator', '{}', $1, $1)`, [now]);
  const insertText = `INSERT INTO receipts (${COLUMNS}) VALUES ($1, 1, 1, 'pending', 0, $2, $3, $4, $5, 1, $6, $7, $7) RETURNING id`;
  return {
    insert: async (groupId, key, hash, request, orderId, total, t) => {
      const r = await pool.query<{ id: number }>({ name: 'ceiling_insert', text: insertText, values: [groupId, key, hash, request, orderId, total, t] });
      const row = r.rows[0];
      if (!row) throw new Error('insert returned no row');
      return Number(row.id);
    },
    get: async (groupId, id) => {
      const r = await pool.query<Record<string, unknown>>({ name: 'ceiling_get', text: 'SELECT * FROM receipts WHERE id = $1 AND group_id = $2', values: [id, groupId] });
      return r.rows[0];
    },
    close: async () => {
      await kysely.destroy();
    },
  };
}

interface Body {
  payments?: { payment_sum?: number }[];
  order_id?: string | number;
}

async function main(): Promise<void> {
  const kind = process.env.BENCH_DB;
  const store =
    kind === 'postgres' ? await postgresStore(process.env.BENCH_PG_URL ?? '') : await sqliteStore(process.env.BENCH_SQLITE_FILE ?? '');
  const app = Fastify({ logger: false });
  app.post<{ Params: { gid: string }; Body: Body }>('/ceiling/:gid/receipts/', async (request) => {
    const groupId = Number(request.params.gid);
    const key = request.headers['idempotency-key'];
    const text = JSON.stringify(request.body);
    const hash = createHash('sha256').update(text).digest('hex');
    const total = Math.round((request.body.payments ?? []).reduce((a, p) => a + (p.payment_sum ?? 0), 0) * 100);
    const orderId = request.body.order_id === undefined ? null : String(request.body.order_id);
    const id = await store.insert(groupId, typeof key === 'string' ? key : null, hash, text, orderId, total, Date.now());
    return { id: String(id), location: `/ceiling/${groupId}/receipts/${id}` };
  });
  app.get<{ Params: { gid: string; rid: string } }>('/ceiling/:gid/receipts/:rid', async (request, reply) => {
    const row = await store.get(Number(request.params.gid), Number(request.params.rid));
    if (!row) return reply.code(404).send({ error: 'not found' });
    return row;
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ type: 'ready', url, groups: [1] });
  process.on('SIGTERM', () => {
    void (async () => {
      await app.close();
      await store.close();
      process.exit(0);
    })();
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`ceiling-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
