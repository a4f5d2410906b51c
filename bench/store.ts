/**
 * Direct database access from the benchmark process: watching the queue drain (end-to-end rows)
 * and bulk-inserting stored receipts (read-scaling). Never used while measuring a request path
 * except for the sparse drain polling.
 */
import { NativeSqlite as SQLite } from '../src/sqlite-native.js';
import pg from 'pg';

export interface ReceiptTemplate {
  user_id: number;
  device_id: number | null;
  request_hash: string;
  request: string;
  receipt_type: number;
  total: number;
  fd_before: number | null;
  fd_number: number | null;
  fiscal: string | null;
}

export interface DrainStats {
  success: number;
  failed: number;
  unfinished: number;
  /** fiscalized_at − created_at of the successful receipts, ms, sorted. */
  latencies: number[];
  lastFiscalizedAt: number;
}

export interface Outcome {
  id: number;
  state: string;
  created_at: number;
  fiscalized_at: number | null;
  /** The register that took it (null: none yet). */
  device_id: number | null;
}

export interface Store {
  /** Every receipt of these groups: id, state, created_at, fiscalized_at (the fleet part's POST → success). */
  outcomes(groupIds: readonly number[]): Promise<Outcome[]>;
  /** The model (driver) of every register of these groups, by register id. */
  drivers(groupIds: readonly number[]): Promise<Map<number, string>>;
  /** Receipts of these groups not yet success/failed. */
  unfinished(groupIds: readonly number[]): Promise<number>;
  drainStats(groupIds: readonly number[]): Promise<DrainStats>;
  /** The newest stored receipt of the group (a template for bulk rows). */
  template(groupId: number): Promise<ReceiptTemplate>;
  count(groupId: number): Promise<number>;
  /** Adds rows to the group until it holds `target` receipts; returns [min id, max id] of the group. */
  fillTo(groupId: number, target: number, orders: number): Promise<[number, number]>;
  close(): Promise<void>;
}

const list = (ids: readonly number[]) => ids.map((n) => String(Math.trunc(n))).join(',');

interface StatRow {
  state: string;
  created_at: number;
  fiscalized_at: number | null;
}

function stats(rows: StatRow[]): DrainStats {
  let success = 0;
  let failed = 0;
  let last = 0;
  const latencies: number[] = [];
  for (const r of rows) {
    if (r.state === 'success') {
      success++;
      const f = Number(r.fiscalized_at);
      latencies.push(f - Number(r.created_at));
      last = Math.max(last, f);
    } else if (r.state === 'failed') failed++;
  }
  latencies.sort((a, b) => a - b);
  return { success, failed, unfinished: rows.length - success - failed, latencies, lastFiscalizedAt: last };
}

/** int8 columns come back from pg as strings. */
const numeric = (r: Outcome): Outcome => ({
  id: Number(r.id),
  state: r.state,
  created_at: Number(r.created_at),
  fiscalized_at: r.fiscalized_at === null ? null : Number(r.fiscalized_at),
  device_id: r.device_id === null ? null : Number(r.device_id),
});

const BULK_COLUMNS =
  'group_id, user_id, device_id, state, attempts, idempotency_key, request_hash, request, order_id, receipt_type, total, fd_before, fd_number, fiscal, created_at, updated_at, fiscalized_at';

export function sqliteStore(file: string): Store {
  const db = new SQLite(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  const count = (groupId: number) => (db.prepare('SELECT COUNT(*) AS n FROM receipts WHERE group_id = ?').get(groupId) as { n: number }).n;
  const template = (groupId: number): ReceiptTemplate => {
    const row = db.prepare(`SELECT * FROM receipts WHERE group_id = ? AND state = 'success' ORDER BY id DESC LIMIT 1`).get(groupId) as ReceiptTemplate | undefined;
    if (!row) throw new Error('no successful receipt to copy');
    return row;
  };
  return {
    outcomes: async (ids) =>
      (db.prepare(`SELECT id, state, created_at, fiscalized_at, device_id FROM receipts WHERE group_id IN (${list(ids)})`).all() as Outcome[]).map(numeric),
    drivers: async (ids) =>
      new Map((db.prepare(`SELECT id, driver FROM devices WHERE group_id IN (${list(ids)})`).all() as { id: number; driver: string }[]).map((r) => [Number(r.id), r.driver])),
    unfinished: async (ids) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM receipts WHERE group_id IN (${list(ids)}) AND state NOT IN ('success', 'failed')`).get() as { n: number }).n,
    drainStats: async (ids) => stats(db.prepare(`SELECT state, created_at, fiscalized_at FROM receipts WHERE group_id IN (${list(ids)})`).all() as StatRow[]),
    template: async (groupId) => template(groupId),
    count: async (groupId) => count(groupId),
    fillTo: async (groupId, target, orders) => {
      const t = template(groupId);
      let have = count(groupId);
      const now = Date.now();
      // One multi-row INSERT … SELECT over a recursive counter per transaction of 100k rows.
      const insert = db.prepare(`
        WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i < ?)
        INSERT INTO receipts (${BULK_COLUMNS})
        SELECT ?, ?, ?, 'success', 1, 'bulk-' || i, ?, ?, 'order-' || (i % ?), ?, ?, ?, 1000000 + i, ?, ? - (? - i) * 60, ? - (? - i) * 60, ? - (? - i) * 60
        FROM s`);
      while (have < target) {
        const lo = have + 1;
        const hi = Math.min(target, have + 100_000);
        db.transaction(() => {
          insert.run(lo, hi, groupId, t.user_id, t.device_id, t.request_hash, t.request, orders, t.receipt_type, t.total, t.fd_before, t.fiscal, now, target, now, target, now, target);
        })();
        have = hi;
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.exec('ANALYZE');
      const r = db.prepare('SELECT MIN(id) AS lo, MAX(id) AS hi FROM receipts WHERE group_id = ?').get(groupId) as { lo: number; hi: number };
      return [r.lo, r.hi];
    },
    close: async () => {
      db.close();
    },
  };
}

export function postgresStore(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const count = async (groupId: number) => Number((await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM receipts WHERE group_id = $1', [groupId])).rows[0]?.n ?? 0);
  const template = async (groupId: number) => {
    const r = await pool.query<ReceiptTemplate>(`SELECT * FROM receipts WHERE group_id = $1 AND state = 'success' ORDER BY id DESC LIMIT 1`, [groupId]);
    const row = r.rows[0];
    if (!row) throw new Error('no successful receipt to copy');
    return row;
  };
  return {
    outcomes: async (ids) =>
      (await pool.query<Outcome>(`SELECT id, state, created_at, fiscalized_at, device_id FROM receipts WHERE group_id IN (${list(ids)})`)).rows.map(numeric),
    drivers: async (ids) =>
      new Map((await pool.query<{ id: number; driver: string }>(`SELECT id, driver FROM devices WHERE group_id IN (${list(ids)})`)).rows.map((r) => [Number(r.id), r.driver])),
    unfinished: async (ids) =>
      Number((await pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM receipts WHERE group_id IN (${list(ids)}) AND state NOT IN ('success', 'failed')`)).rows[0]?.n ?? 0),
    drainStats: async (ids) => stats((await pool.query<StatRow>(`SELECT state, created_at, fiscalized_at FROM receipts WHERE group_id IN (${list(ids)})`)).rows),
    template,
    count,
    fillTo: async (groupId, target, orders) => {
      const t = await template(groupId);
      let have = await count(groupId);
      const now = Date.now();
      while (have < target) {
        const lo = have + 1;
        const hi = Math.min(target, have + 200_000);
        await pool.query(
          `INSERT INTO receipts (${BULK_COLUMNS})
           SELECT $1, $2, $3, 'success', 1, 'bulk-' || i, $4, $5, 'order-' || (i % $6), $7, $8, $9, 1000000 + i, $10, $11::bigint - ($12::bigint - i) * 60, $11::bigint - ($12::bigint - i) * 60, $11::bigint - ($12::bigint - i) * 60
           FROM generate_series($13::bigint, $14::bigint) AS i`,
          [groupId, t.user_id, t.device_id, t.request_hash, t.request, orders, t.receipt_type, t.total, t.fd_before, t.fiscal, now, target, lo, hi],
        );
        have = hi;
      }
      await pool.query('VACUUM ANALYZE receipts');
      const r = await pool.query<{ lo: string; hi: string }>('SELECT MIN(id) AS lo, MAX(id) AS hi FROM receipts WHERE group_id = $1', [groupId]);
      return [Number(r.rows[0]?.lo ?? 0), Number(r.rows[0]?.hi ?? 0)];
    },
    close: async () => {
      await pool.end();
    },
  };
}
