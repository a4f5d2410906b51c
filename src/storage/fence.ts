import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from './db.js';
import type { Database } from './schema.js';

/**
 * The right to drive one device: the lease's owner and its epoch (the fencing token). Every write a
 * device worker makes carries it and changes nothing unless the device's lease row still names this
 * owner and epoch — a node that lost the lease (paused, partitioned, slow disk) and wakes up later
 * cannot overwrite what its successor did.
 */
export interface Fence {
  deviceId: number;
  owner: string;
  epoch: number;
}

/**
 * The database's clock in epoch milliseconds. Leases are set and compared on it, so nodes whose
 * own clocks disagree still agree on when a lease ends (and a test's injected clock, moved by hours
 * to age a shift, never touches a lease).
 */
export const dbNow = (dialect: Dialect): RawBuilder<number> =>
  dialect === 'postgres'
    ? sql<number>`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`
    : sql<number>`CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`;

/**
 * "The lease still names this owner and epoch", as a condition for a write's WHERE. On PostgreSQL
 * the lease row is share-locked for the rest of the transaction: a takeover (an UPDATE of that row)
 * either commits first — and this condition, re-checked on the new row, fails — or waits until the
 * write committed. Either way no write under an old epoch lands after the epoch changed. SQLite has
 * one writer, so the check and the write are already atomic.
 */
export const fenceHolds = (dialect: Dialect, f: Fence): RawBuilder<boolean> =>
  dialect === 'postgres'
    ? sql<boolean>`EXISTS (SELECT 1 FROM devices WHERE devices.id = ${f.deviceId} AND devices.lease_owner = ${f.owner} AND devices.lease_epoch = ${f.epoch} FOR SHARE)`
    : sql<boolean>`EXISTS (SELECT 1 FROM devices WHERE devices.id = ${f.deviceId} AND devices.lease_owner = ${f.owner} AND devices.lease_epoch = ${f.epoch})`;

/** A lease this node now holds. */
export interface Lease {
  epoch: number;
  /** Database clock when the lease was (re)written, and when it ends. */
  at: number;
  until: number;
  /**
   * Taken over from another owner whose lease merely expired (it may still be alive, paused):
   * the database time until which that owner's last device call could still be running.
   */
  previousUntil: number | null;
}

/**
 * Lease rows on `devices`: one owner at a time, an epoch that increases at every change of owner.
 * Renewal keeps the epoch; a takeover bumps it.
 */
export function createLeaseRepository(db: Kysely<Database>, dialect: Dialect) {
  const now = dbNow(dialect);

  async function read(deviceId: number) {
    return db
      .selectFrom('devices')
      .select(['lease_owner', 'lease_until', 'lease_epoch', now.as('db_now')])
      .where('id', '=', deviceId)
      .executeTakeFirst();
  }

  return {
    /**
     * Takes the lease if it is free, expired, ours already, or held by `deadOwner` (a process of
     * this host known to be gone). A compare-and-set on the epoch read just before: two nodes
     * racing for one expired lease cannot both win.
     */
    async acquire(deviceId: number, owner: string, ttlMs: number, deadOwner: (owner: string) => boolean = () => false): Promise<Lease | null> {
      const cur = await read(deviceId);
      if (!cur) return null;
      const dbTime = Number(cur.db_now);
      const mine = cur.lease_owner === owner;
      const free = cur.lease_owner === null;
      const expired = cur.lease_until !== null && cur.lease_until < dbTime;
      const dead = !free && !mine && deadOwner(cur.lease_owner ?? '');
      if (!mine && !free && !expired && !dead) return null;
      const epoch = mine ? cur.lease_epoch : cur.lease_epoch + 1;
      const r = await db
        .updateTable('devices')
        .set({ lease_owner: owner, lease_epoch: epoch, lease_until: sql<number>`${now} + ${sql.lit(Math.trunc(ttlMs))}` })
        .where('id', '=', deviceId)
        .where('lease_epoch', '=', cur.lease_epoch)
        .where((eb) => (cur.lease_owner === null ? eb('lease_owner', 'is', null) : eb('lease_owner', '=', cur.lease_owner)))
        .returning(['lease_until'])
        .executeTakeFirst();
      if (!r) return null;
      const until = Number(r.lease_until);
      // A released lease (graceful stop) or a dead process's: nothing of the old owner runs anymore.
      const previousUntil = !mine && !free && !dead && cur.lease_until !== null ? cur.lease_until : null;
      return { epoch, at: until - ttlMs, until, previousUntil };
    },
    /** Extends a lease we hold; null when it is no longer ours (taken over: epoch changed). */
    async renew(f: Fence, ttlMs: number): Promise<Lease | null> {
      const r = await db
        .updateTable('devices')
        .set({ lease_until: sql<number>`${now} + ${sql.lit(Math.trunc(ttlMs))}` })
        .where('id', '=', f.deviceId)
        .where('lease_owner', '=', f.owner)
        .where('lease_epoch', '=', f.epoch)
        .returning(['lease_until'])
        .executeTakeFirst();
      if (!r) return null;
      const until = Number(r.lease_until);
      return { epoch: f.epoch, at: until - ttlMs, until, previousUntil: null };
    },
    /**
     * Extends every lease we hold in one statement per 500 (a node driving 1,000 registers renews
     * them in two statements, not a thousand). Returns the registers whose lease is still ours
     * under the same epoch; the others were taken over.
     */
    async renewMany(fences: readonly Fence[], ttlMs: number): Promise<Set<number>> {
      const ok = new Set<number>();
      for (let i = 0; i < fences.length; i += 500) {
        const chunk = fences.slice(i, i + 500);
        const owners = new Set(chunk.map((f) => f.owner));
        if (owners.size !== 1) throw new Error('renewMany: one owner per call');
        const rows = await db
          .updateTable('devices')
          .set({ lease_until: sql<number>`${now} + ${sql.lit(Math.trunc(ttlMs))}` })
          .where('lease_owner', '=', chunk[0]!.owner)
          .where((eb) => eb.or(chunk.map((f) => eb.and([eb('id', '=', f.deviceId), eb('lease_epoch', '=', f.epoch)]))))
          .returning(['id'])
          .execute();
        for (const r of rows) ok.add(Number(r.id));
      }
      return ok;
    },
    /**
     * This node is alive for another `ttlMs`; answers how many nodes are alive now (this one
     * included), so each can take its fair share of the registers. A node that died stops
     * counting once its heartbeat ends, and the others' shares grow to cover its registers.
     */
    async heartbeat(owner: string, ttlMs: number, deadOwner: (owner: string) => boolean = () => false): Promise<number> {
      const until = sql<number>`${now} + ${sql.lit(Math.trunc(ttlMs))}`;
      await db
        .insertInto('nodes')
        .values({ id: owner, seen_until: until })
        .onConflict((oc) => oc.column('id').doUpdateSet({ seen_until: until }))
        .execute();
      const rows = await db.selectFrom('nodes').select('id').where('seen_until', '>', now).execute();
      // A process of this host known to be gone (a crash before its restart) is not alive.
      return Math.max(1, rows.filter((r) => r.id === owner || !deadOwner(r.id)).length);
    },
    /** A node leaving gracefully: the others take its share at their next pass. */
    async leave(owner: string): Promise<void> {
      await db.deleteFrom('nodes').where('id', '=', owner).execute();
    },
    /** Gives the lease up after the worker stopped (its device calls are over): a successor need not wait. */
    async release(f: Fence): Promise<void> {
      await db
        .updateTable('devices')
        .set({ lease_owner: null, lease_until: null })
        .where('id', '=', f.deviceId)
        .where('lease_owner', '=', f.owner)
        .where('lease_epoch', '=', f.epoch)
        .execute();
    },
  };
}
export type LeaseRepository = ReturnType<typeof createLeaseRepository>;
