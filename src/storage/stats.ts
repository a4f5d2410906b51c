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

/** The queue's states: what is not yet final. */
export const BACKLOG_STATES = ['pending', 'processing', 'in_doubt'] as const;
export type BacklogState = (typeof BACKLOG_STATES)[number];
export type Backlog = { group_id: number } & Record<BacklogState, number>;

/**
 * Backlog per group, zeros included: for each group and backlog state, a COUNT bound to both the
 * group and the state, which both dialects answer from an index (receipts_group_state, or the
 * partial receipts_pending) by reading exactly those rows. The cost follows the queue and the
 * number of groups, never the history of fiscalized receipts. The states are literals, not
 * parameters, so PostgreSQL can always match the partial indexes.
 */
export function backlogQuery(db: Kysely<Database>) {
  return db.selectFrom('service_groups').select((eb) => [
    'service_groups.id as group_id',
    ...BACKLOG_STATES.map((state) =>
      eb
        .selectFrom('receipts')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('receipts.group_id', '=', 'service_groups.id')
        .where('receipts.state', '=', sql.lit(state))
        .as(state),
    ),
  ]);
}

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
    /** See backlogQuery: O(groups + queue), independent of the number of receipts stored. */
    async backlog(): Promise<Backlog[]> {
      const rows = await backlogQuery(db).execute();
      return rows.map((r) => ({ group_id: Number(r.group_id), pending: Number(r.pending), processing: Number(r.processing), in_doubt: Number(r.in_doubt) }));
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
