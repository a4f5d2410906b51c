import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BACKLOG_STATES, type Backlog } from './storage/stats.js';
import type { StorageStatus } from './storage/health.js';
import { HEALTH_LEVELS, type Health } from './domain/pool.js';

export interface MetricsDeps {
  /** Backlog per group (StatsRepository.backlog): indexed counts of the queue only, never the history. */
  stats: { backlog(): Promise<Backlog[]> };
  /** Unacknowledged receipt documents no receipt owns, per group (a handful of rows, never the receipts' volume). */
  orphans?: { openCounts(): Promise<Map<number, number>> };
  /** The storage check's last result (embedded profile). */
  storage?: () => StorageStatus;
  /** Pending callback deliveries and the oldest one's age (CallbackRepository.backlog: one statement over the pending rows' index). */
  callbacks?: { backlog(): Promise<{ pending: number; oldestAgeSeconds: number | null }> };
  /** Each register's last health and FN forecast (DeviceRepository.healthAll: one statement over the devices). */
  registers?: { healthAll(): Promise<{ id: number; groupId: number; health: Health | null }[]> };
  /** A scrape is reused for this long, ms: a scrape loop cannot multiply the work. */
  cacheMs?: number;
  /** Longest wait for the backlog query, ms: the process metrics are served even while the database hangs. */
  queryTimeoutMs?: number;
  now?: () => number;
}

/**
 * Prometheus metrics, one registry per server instance (no module-level singletons).
 *
 * A scrape costs the same whatever the number of receipts stored: the queue gauges come from one
 * statement that counts only the backlog (pending, processing, in_doubt) through indexes, and are
 * true across nodes because the receipts table is the queue; history is counted in-process as it
 * happens (receipts accepted by this node's API; device operations by outcome). The rendered text
 * is cached for `cacheMs`, and concurrent scrapes share one collection.
 */
export function createMetrics(deps: MetricsDeps) {
  const cacheMs = deps.cacheMs ?? 1000;
  const queryTimeoutMs = deps.queryTimeoutMs ?? 2000;
  const now = deps.now ?? (() => performance.now());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cr_' });
  const httpRequests = new Counter({
    name: 'cr_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'cr_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const deviceOps = new Histogram({
    name: 'cr_device_operation_duration_seconds',
    help: 'Duration of fiscal device operations',
    labelNames: ['operation', 'ok'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const callbackDeliveries = new Counter({
    name: 'cr_callback_deliveries_total',
    help: 'Callback attempts sent by this node by what became of their delivery: delivered (2xx), retry (rescheduled), failed (retry window over)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const callbackAttempts = new Histogram({
    name: 'cr_callback_attempt_seconds',
    help: 'Duration of callback attempts (resolution, connection, answer), by whether the receiver answered 2xx',
    labelNames: ['ok'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  const claims = new Counter({
    name: 'cr_worker_claims_total',
    help: 'Claims of this node\'s device workers, by whether they found a receipt (claimed) or the queue empty (empty): empty claims are the scheduler\'s waste',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const accepted = new Counter({
    name: 'cr_receipts_accepted_total',
    help: 'Receipts newly queued through this node\'s API (idempotent replays not counted), by service group',
    labelNames: ['service_group'] as const,
    registers: [registry],
  });

  // Filled once per collection, before the registry renders (see scrape()); empty (series absent,
  // as Prometheus expects for "unknown") when the database did not answer.
  let backlog: Backlog[] = [];
  let databaseUp = true;
  new Gauge({
    name: 'cr_database_up',
    help: 'Whether the database answered this scrape\'s backlog query (1) or not (0)',
    registers: [registry],
    collect() {
      this.set(databaseUp ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cr_queue_length',
    help: 'Receipts waiting for or at the device (pending, processing, in_doubt) by service group; the same on every node',
    labelNames: ['service_group'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const b of backlog) this.set({ service_group: String(b.group_id) }, b.pending + b.processing + b.in_doubt);
    },
  });
  new Gauge({
    name: 'cr_receipts_backlog',
    help: 'Receipts not yet final by service group and state (pending, processing, in_doubt); the same on every node',
    labelNames: ['service_group', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const b of backlog) for (const state of BACKLOG_STATES) this.set({ service_group: String(b.group_id), state }, b[state]);
    },
  });
  let callbackBacklog: { pending: number; oldestAgeSeconds: number | null } | null = null;
  if (deps.callbacks) {
    new Gauge({
      name: 'cr_callback_backlog',
      help: 'Callback deliveries waiting to be delivered (pending), on every node the same',
      registers: [registry],
      collect() {
        if (callbackBacklog === null) this.reset();
        else this.set(callbackBacklog.pending);
      },
    });
    new Gauge({
      name: 'cr_callback_oldest_pending_seconds',
      help: 'Age of the oldest pending callback delivery, seconds (0 when none is pending)',
      registers: [registry],
      collect() {
        if (callbackBacklog === null) this.reset();
        else this.set(callbackBacklog.oldestAgeSeconds ?? 0);
      },
    });
  }
  let orphans = new Map<number, number>();
  new Gauge({
    name: 'cr_orphan_documents',
    help: 'Receipt documents in an FN journal that no receipt owns and no operator has acknowledged, by service group (alert on > 0)',
    labelNames: ['service_group'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [group, n] of orphans) this.set({ service_group: String(group) }, n);
    },
  });
  if (deps.storage) {
    const storage = deps.storage;
    new Gauge({
      name: 'cr_storage_ok',
      help: 'Whether the data directory and database file can keep receipts (1) or not (0; /ready says why)',
      registers: [registry],
      collect() {
        this.set(storage().ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cr_data_dir_free_bytes',
      help: 'Free space of the data directory, bytes (as of the last storage check)',
      registers: [registry],
      collect() {
        const free = storage().freeBytes;
        if (free === null) this.reset();
        else this.set(free);
      },
    });
  }

  let registers: { id: number; groupId: number; health: Health | null }[] = [];
  if (deps.registers) {
    new Gauge({
      name: 'cr_register_health',
      help: 'Health of each register of a pool as its worker last judged it: 1 for the current level (healthy, degraded, unavailable), 0 for the others (docs/pools.md)',
      labelNames: ['service_group', 'register', 'level'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of registers) {
          if (!r.health) continue;
          for (const level of HEALTH_LEVELS) this.set({ service_group: String(r.groupId), register: String(r.id), level }, r.health.level === level ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'cr_fn_forecast_days',
      help: 'Days until a limit of the register\'s FN at the current pace: expiry (key validity), archive (full at the measured fill rate), ofd_block (30 days without the OFD); absent when unknown',
      labelNames: ['service_group', 'register', 'limit'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const t = Date.now();
        for (const r of registers) {
          const f = r.health?.forecast;
          if (!f) continue;
          const put = (limit: string, at: number | null) => {
            if (at !== null) this.set({ service_group: String(r.groupId), register: String(r.id), limit }, Math.round(((at - t) / 86_400_000) * 10) / 10);
          };
          put('expiry', f.expiresAt);
          put('archive', f.archiveFullAt);
          put('ofd_block', f.ofdBlockAt);
        }
      },
    });
  }

  let cached: { at: number; text: Promise<string> } | null = null;
  async function collect(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      [backlog, orphans, callbackBacklog, registers] = await Promise.race([
        Promise.all([
          deps.stats.backlog(),
          deps.orphans?.openCounts() ?? Promise.resolve(new Map<number, number>()),
          deps.callbacks?.backlog() ?? Promise.resolve(null),
          deps.registers?.healthAll() ?? Promise.resolve([]),
        ]),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('backlog query timed out')), queryTimeoutMs))),
      ]);
      databaseUp = true;
    } catch {
      backlog = [];
      orphans = new Map();
      callbackBacklog = null;
      registers = [];
      databaseUp = false;
    } finally {
      clearTimeout(timer);
    }
    return registry.metrics();
  }

  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text: collected at most once per `cacheMs`; concurrent callers share it. */
    scrape(): Promise<string> {
      const t = now();
      if (cached && t - cached.at < cacheMs) return cached.text;
      const text = collect();
      const entry = { at: t, text };
      cached = entry;
      // A failed collection is not cached: the next scrape tries again.
      text.catch(() => {
        if (cached === entry) cached = null;
      });
      return text;
    },
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    observeDevice(operation: string, seconds: number, ok: boolean): void {
      deviceOps.observe({ operation, ok: ok ? 'true' : 'false' }, seconds);
    },
    /** A callback attempt of this node: its duration and whether it got a 2xx. */
    callbackAttempt(seconds: number, ok: boolean): void {
      callbackAttempts.observe({ ok: ok ? 'true' : 'false' }, seconds);
    },
    /** What an attempt made of its delivery. */
    callbackOutcome(outcome: 'delivered' | 'retry' | 'failed'): void {
      callbackDeliveries.inc({ outcome });
    },
    /** A device worker's claim: whether it found a receipt. */
    workerClaim(claimed: boolean): void {
      claims.inc({ result: claimed ? 'claimed' : 'empty' });
    },
    /** A receipt newly queued through the API (not a replay). */
    receiptAccepted(groupId: number): void {
      accepted.inc({ service_group: String(groupId) });
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
