import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface DayBucket {
  group_id: number;
  /** Days since the epoch in the caller's time zone (see `tzOffsetMs`). */
  day: number;
  count: number;
  /** Sum of successful receipts, kopecks. */
  success_total: number;
  failed: number;
}

const DAY_MS = 86_400_000;

/** Aggregates for the dashboard overview; plain integer arithmetic so both dialects agree. */
export function createStatsRepository(db: Kysely<Database>) {
  return {
    /**
     * Receipts per group and local day from `from` (inclusive). Day = floor((created_at + offset) / day);
     * integer division truncates in SQLite and PostgreSQL alike, and created_at is never negative.
     */
    async receiptsPerDay(from: number, tzOffsetMs: number): Promise<DayBucket[]> {
      // Literals, not parameters: better-sqlite3 binds JS numbers as REAL, which would make this a float division.
      const day = sql<number>`(created_at + ${sql.lit(Math.trunc(tzOffsetMs))}) / ${sql.lit(DAY_MS)}`;
      const rows = await db
        .selectFrom('receipts')
        .select([
          'group_id',
          day.as('day'),
          (eb) => eb.fn.countAll<number>().as('count'),
          sql<number>`SUM(CASE WHEN state = 'success' THEN total ELSE 0 END)`.as('success_total'),
          sql<number>`SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)`.as('failed'),
        ])
        .where('created_at', '>=', from)
        .groupBy(['group_id', day])
        .execute();
      return rows.map((r) => ({
        group_id: Number(r.group_id),
        day: Number(r.day),
        count: Number(r.count),
        success_total: Number(r.success_total),
        failed: Number(r.failed),
      }));
    },
    async receiptCountOfUser(userId: number): Promise<number> {
      const r = await db.selectFrom('receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async receiptCountOfGroup(groupId: number): Promise<number> {
      const r = await db.selectFrom('receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', groupId).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
export type StatsRepository = ReturnType<typeof createStatsRepository>;
