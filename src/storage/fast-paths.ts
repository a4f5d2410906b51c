import type { Compilable, Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { QueuedSqliteDialect } from './sqlite-driver.js';

/**
 * The measured shortcuts of the hot paths (docs/benchmarks.md), one set per open database. Each
 * can be switched off (config `CR_FAST_*`, bench `--fast=`); off, the same call takes the plain
 * way and gives exactly the same results, only slower — the storage suites run both ways.
 */
export interface FastPathSwitches {
  /** SQLite: the queue's writes of one event-loop turn share one transaction (one fsync). PostgreSQL: concurrent accepts share one multi-row INSERT. */
  groupCommit: boolean;
  /** Group lookups reused for up to 1 s, dropped at once on a write through this process. */
  readCache: boolean;
  /** Hot reads built and compiled once; SQLite statements prepared once. */
  precompiled: boolean;
  /** SQLite: the connection lock hands over to the next waiter, and idle reads run synchronously. */
  sqliteHandover: boolean;
}

export const FAST_PATH_NAMES = ['groupCommit', 'readCache', 'precompiled', 'sqliteHandover'] as const satisfies readonly (keyof FastPathSwitches)[];
export type FastPathName = (typeof FAST_PATH_NAMES)[number];

export const ALL_FAST_PATHS: Readonly<FastPathSwitches> = Object.freeze({ groupCommit: true, readCache: true, precompiled: true, sqliteHandover: true });

export type Write<T> = (q: Kysely<Database>) => Promise<T>;

/**
 * How long a group lookup (group settings, device registration, access, "a job waits") is reused.
 * A change made through this process applies to the next request; one made on another node (or by
 * hand in the database) within this delay — the same bound as the credential cache's re-check.
 */
export const GROUP_RECHECK_MS = 1000;
/**
 * A pool's registers as routing sees them are reused longer: they guard nothing (no access, no
 * credential), and with a thousand registers a second's reuse made nearly every receipt pay them
 * again. Not longer than this: a register whose node died stops being "live" when its lease runs
 * out, which no write (and so no invalidation) reports.
 */
export const WORKER_RECHECK_MS = 5000;
/**
 * A device worker's group settings ("a job waits" included) are reused longer still: every change
 * to them invalidates the entry at once — through this process directly, from another node through
 * PostgreSQL's `cr_groups` notifications (migration 011, storage/queue-listener.ts). The delay bounds
 * only what no notification reports (an edit by hand in the database, a notification lost while
 * the listener reconnects, after which it invalidates everything). Longer than an idle register's
 * housekeeping interval (a minute), so a thousand idle registers stop re-reading their groups on
 * every pass.
 */
export const WORKER_GROUP_RECHECK_MS = 300_000;
const CACHE_MAX = 10_000;

/**
 * Collects the calls made during one event-loop turn and runs them together at the end of it
 * (setImmediate), at most `max` per batch; every caller gets its own result, and only once the
 * batch is done. A lone call runs through `runOne`; if the batch fails, each call is retried alone
 * through `runOne`, so one bad item cannot fail its neighbours.
 */
export function perTurnBatcher<I, O>(runOne: (item: I) => Promise<O>, runBatch: (items: I[]) => Promise<O[]>, max = Number.POSITIVE_INFINITY): (item: I) => Promise<O> {
  type Waiter = { item: I; resolve: (out: O) => void; reject: (e: unknown) => void };
  let batch: Waiter[] | null = null;

  async function flush(waiters: Waiter[]): Promise<void> {
    if (waiters.length > 1) {
      try {
        const out = await runBatch(waiters.map((w) => w.item));
        if (out.length === waiters.length) {
          waiters.forEach((w, i) => w.resolve(out[i] as O));
          return;
        }
      } catch {
        // retried one by one below
      }
    }
    for (const w of waiters) runOne(w.item).then(w.resolve, w.reject);
  }

  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      if (!batch || batch.length >= max) {
        const waiters: Waiter[] = [];
        batch = waiters;
        setImmediate(() => {
          if (batch === waiters) batch = null;
          void flush(waiters);
        });
      }
      batch.push({ item, resolve, reject });
    });
}

/** A rechecked read (FastPaths.rechecked). */
export type Rechecked<A extends unknown[], V> = ((...args: A) => Promise<V>) & {
  /**
   * The entry as it is, however old, while nothing marked its data changed; undefined otherwise (or
   * with the read cache off). For a caller that needs only what every change of it invalidates —
   * never a value that goes stale by time alone.
   */
  peek(...args: A): V | undefined;
};

export interface FastPaths {
  readonly switches: Readonly<FastPathSwitches>;
  /**
   * Runs one of the queue's writes. SQLite with group commit: a commit costs an fsync, done
   * synchronously on the event loop, so one per write caps the server at the disk's fsync rate.
   * The writes that arrive while the event loop handles one batch of sockets and device answers run
   * in one transaction at the end of that turn, and every caller is answered only after that
   * commit: a 200 still means durable, and a worker sees its claim or outcome durable before it
   * talks to the device again. If the batch fails, each write is retried on its own. PostgreSQL
   * commits concurrent transactions with shared WAL flushes by itself, and there a batch would
   * serialize the writes of many pooled connections onto one: writes run directly.
   */
  write<T>(w: Write<T>): Promise<T>;
  /**
   * perTurnBatcher when group commit is on; otherwise every call runs alone through `runOne`.
   */
  batcher<I, O>(runOne: (item: I) => Promise<O>, runBatch: (items: I[]) => Promise<O[]>, max?: number): (item: I) => Promise<O>;
  /**
   * A read reused for `ttlMs` (GROUP_RECHECK_MS) unless the group data was marked changed since it
   * was made: everything, or the entry's own group (`groupOf`) (the generations are taken before
   * the read: a write racing the read leaves the entry already stale). With the read cache off,
   * every call reads.
   */
  rechecked<A extends unknown[], V>(load: (...args: A) => Promise<V>, keyOf: (...args: A) => string | number, ttlMs?: number, groupOf?: (...args: A) => number): Rechecked<A, V>;
  /**
   * Marks lookups stale: those of one group (entries whose `groupOf` names it), or with no group
   * every lookup. Called by every write to groups, devices' settings, access lists and device jobs
   * through this handle, and for the writes of other nodes by their notifications.
   */
  markGroupsChanged(groupId?: number): void;
  /**
   * A query built and compiled once, executed with new parameter values (the GET profile: 15 % of
   * the request in Kysely's builder and compiler). `build` receives one placeholder per argument
   * (negative sentinels, never real ids) and their positions in the compiled SQL are located, so
   * argument order never depends on how the compiler orders the parameters. Off: built and
   * compiled at every call.
   */
  precompile<A extends readonly number[], R>(arity: A['length'], build: (...placeholders: number[]) => Compilable<R>): (...args: A) => Promise<R[]>;
}

/**
 * The fast paths of one database handle. `sqlite` is the hand-over dialect when openDb made one
 * (SQLite with the hand-over switch on): precompiled reads then run at once when the connection is
 * idle.
 */
export function createFastPaths(kysely: Kysely<Database>, dialect: 'sqlite' | 'postgres', switches: Readonly<FastPathSwitches>, sqlite: QueuedSqliteDialect | null): FastPaths {
  const generation = { n: 0 };
  // Per group, bumped by a change scoped to it (a register's health): the other groups' entries stay.
  const groupGenerations = new Map<number, number>();
  const groupGeneration = (groupId: number | undefined): number => (groupId === undefined ? 0 : (groupGenerations.get(groupId) ?? 0));
  const direct = <T>(w: Write<T>) => w(kysely);

  const groupCommit =
    dialect === 'sqlite' && switches.groupCommit
      ? perTurnBatcher<Write<unknown>, unknown>(
          (w) => w(kysely),
          (writes) =>
            kysely.transaction().execute(async (trx) => {
              const out: unknown[] = [];
              for (const w of writes) out.push(await w(trx));
              return out;
            }),
        )
      : null;

  return {
    switches,
    // The batch returns what each write returned, in order: the element type is the caller's T.
    write: groupCommit ? <T>(w: Write<T>) => groupCommit(w) as Promise<T> : direct,
    batcher: (runOne, runBatch, max) => (switches.groupCommit ? perTurnBatcher(runOne, runBatch, max) : runOne),
    rechecked<A extends unknown[], V>(load: (...args: A) => Promise<V>, keyOf: (...args: A) => string | number, ttlMs = GROUP_RECHECK_MS, groupOf?: (...args: A) => number) {
      if (!switches.readCache) return Object.assign((...args: A) => load(...args), { peek: (): V | undefined => undefined });
      const entries = new Map<string | number, { at: number; generation: number; group: number; value: V }>();
      // Callers that miss while a read of the same key is on its way share it, unless a write came
      // in between (a new generation): when an entry expired, the ten registers of a pool, or the
      // POSTs of a busy group, each sent the same read (PostgreSQL fleet load: 138 group lookups/s
      // for 100 groups with a 1 s recheck, 64 pool reads/s where 20 were due).
      const inFlight = new Map<string | number, { generation: number; group: number; value: Promise<V> }>();
      /** Nothing marked the entry's data changed since its read began. */
      const current = (e: { generation: number; group: number } | undefined, group: number): boolean => e !== undefined && e.generation === generation.n && e.group === group;
      const read = (...args: A): Promise<V> => {
        const key = keyOf(...args);
        const hit = entries.get(key);
        const t = performance.now();
        const group = groupGeneration(groupOf?.(...args));
        if (hit && current(hit, group) && t - hit.at < ttlMs) return Promise.resolve(hit.value);
        const flying = inFlight.get(key);
        if (flying && current(flying, group)) return flying.value;
        const before = generation.n;
        const value = load(...args).then((v) => {
          if (entries.size >= CACHE_MAX) entries.clear();
          entries.set(key, { at: t, generation: before, group, value: v });
          return v;
        });
        inFlight.set(key, { generation: before, group, value });
        const landed = () => {
          if (inFlight.get(key)?.value === value) inFlight.delete(key);
        };
        value.then(landed, landed);
        return value;
      };
      const peek = (...args: A): V | undefined => {
        const hit = entries.get(keyOf(...args));
        return hit && current(hit, groupGeneration(groupOf?.(...args))) ? hit.value : undefined;
      };
      return Object.assign(read, { peek });
    },
    markGroupsChanged(groupId) {
      if (groupId === undefined) generation.n++;
      else groupGenerations.set(groupId, groupGeneration(groupId) + 1);
    },
    precompile<A extends readonly number[], R>(arity: A['length'], build: (...placeholders: number[]) => Compilable<R>) {
      if (!switches.precompiled) {
        return async (...args: A): Promise<R[]> => (await kysely.executeQuery(build(...args).compile())).rows;
      }
      const sentinels = Array.from({ length: arity }, (_, i) => -987_654_321 - i);
      const compiled = build(...sentinels).compile();
      const positions = compiled.parameters.map((p) => {
        const at = typeof p === 'number' ? sentinels.indexOf(p) : -1;
        if (at < 0) throw new Error(`precompile: a parameter of "${compiled.sql}" is a constant, not a placeholder`);
        return at;
      });
      return async (...args: A): Promise<R[]> => {
        const parameters = positions.map((i) => args[i]);
        const now = sqlite?.readIfIdle(compiled.sql, parameters);
        // The compiled query's result type is R: the statement is the one `build` described.
        if (now) return now as R[];
        const { rows } = await kysely.executeQuery<R>({ ...compiled, parameters });
        return rows;
      };
    },
  };
}
