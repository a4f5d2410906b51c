import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { systemClock, type Clock, type DriverFactory } from './devices/driver.js';
import { createDriverRegistry } from './devices/registry.js';
import { buildApp } from './http/app.js';
import { createAdminPlugin } from './http/admin/index.js';
import { atolReportOf, createAtolOnline } from './atol-online/index.js';
import { createReceiptExportService } from './services/receipt-export.js';
import { createReceiptExport } from './storage/receipt-export.js';
import { createMetrics } from './metrics.js';
import { createAuthenticator } from './services/auth.js';
import { bootstrap } from './services/bootstrap.js';
import { createGroupService } from './services/groups.js';
import { createReceiptService } from './services/receipts.js';
import { createAuditor } from './services/auditor.js';
import { createAuditLog } from './services/audit-log.js';
import { createDeviceOperations } from './services/device-operations.js';
import { createJobCompletion } from './services/job-completion.js';
import { createLoginFailureJournal } from './services/login-failures.js';
import { createOrphanService } from './services/orphans.js';
import { createOverview } from './services/overview.js';
import { createSessionService } from './services/sessions.js';
import { createUserService } from './services/users.js';
import { createSessionRepository } from './storage/sessions.js';
import { createBodyCache } from './http/views/body-cache.js';
import { createInFlight } from './http/in-flight.js';
import { openDb, type Db } from './storage/db.js';
import { createGroupRepository } from './storage/groups.js';
import { createJobRepository } from './storage/jobs.js';
import { createAuditRepository } from './storage/audit.js';
import { migrate } from './storage/migrate.js';
import { createReceiptRepository } from './storage/receipts.js';
import { createUserRepository } from './storage/users.js';
import { createLoginTrustRepository } from './storage/login-trust.js';
import { createWorkerManager, type WorkerManager } from './workers/manager.js';
import { listenForQueuedWork } from './storage/queue-listener.js';
import { createDeviceRepository } from './storage/devices.js';
import { createOrphanRepository } from './storage/orphans.js';
import { createStatsRepository } from './storage/stats.js';
import { createCallbackRepository } from './storage/callbacks.js';
import { createCallbackService } from './services/callbacks.js';
import { createCallbackWorker, DEFAULT_CALLBACK_TIMING, type CallbackTiming } from './callbacks/worker.js';
import { createDestinationPolicy } from './callbacks/destination.js';
import { receiptView } from './http/views/receipt.js';
import { DataDirError, createStorageHealth, dataDirProblem, dbFileOf } from './storage/health.js';

export interface Server {
  app: FastifyInstance;
  db: Db;
  workers: WorkerManager;
  url: string;
  logger: Logger;
  /** Graceful stop: refuse new requests, let each device finish its operation, close the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  drivers?: DriverFactory[];
  /** Do not listen on a port (tests use app.inject()). */
  listen?: boolean;
  /** Scale-out timing (tests shorten it): how often leases are renewed and how long they last. */
  leases?: { reconcileMs: number; ttlMs: number; callTimeoutMs?: number };
  /** Callback delivery timing (tests shorten backoff, timeouts and the claim's lease). */
  callbacks?: Partial<CallbackTiming>;
}

/** The composition root: config → db → migrate → services → app → listen → workers. */
export async function startServer(config: Readonly<Config>, options: ServerOptions = {}): Promise<Server> {
  const logger = pino({ level: config.logLevel, redact: ['password', '*.password', 'authorization'] });
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();

  // Never replace a lost database with a fresh one silently (see dataDirProblem).
  const embeddedDir = config.profile === 'embedded' ? config.dataDir : null;
  const lost = embeddedDir === null ? null : dataDirProblem(embeddedDir);
  if (lost !== null) {
    logger.fatal(`cannot start: ${lost}`);
    throw new DataDirError(lost);
  }

  const db = openDb(
    config.profile === 'postgres'
      ? { dialect: 'postgres', url: config.databaseUrl ?? '', onConnectionError: (e) => logger.warn({ err: e }, 'a PostgreSQL connection failed; queries in flight on it fail with 503, the pool reconnects') }
      : { dialect: 'sqlite', file: config.dataDir === null ? ':memory:' : join(config.dataDir, 'cr-server.sqlite') },
    config.fastPaths,
  );
  let health: ReturnType<typeof createStorageHealth> | null = null;
  try {
    // The data directory check behind /ready and the accept path; the file's identity is taken now.
    health = createStorageHealth({
      dataDir: config.profile === 'postgres' ? null : config.dataDir,
      dbFile: config.profile === 'postgres' || config.dataDir === null ? null : dbFileOf(config.dataDir),
      minFreeBytes: config.minFreeBytes,
      logger,
      // A stat, an access and a statfs: cheap enough to keep the window in which a broken data
      // directory still gets a 200 to a quarter of a second.
      ttlMs: 250,
    });
    const storage = health;
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

    const users = createUserRepository(db.kysely);
    const groups = createGroupRepository(db);
    // Completion callbacks: receipts' final states (and registers' events) feed the outbox, this
    // node's delivery worker (built below) drains it and is woken when a write here queued a delivery.
    let wakeCallbacks = (): void => undefined;
    const devices = createDeviceRepository(db, { onCallbackQueued: () => wakeCallbacks() });
    const receipts = createReceiptRepository(db, { onCallbackQueued: () => wakeCallbacks() });
    const callbackDeliveries = createCallbackRepository(db);
    const callbackPolicy = createDestinationPolicy(config.callbackAllow);
    const jobs = createJobRepository(db);
    const registry = createDriverRegistry(options.drivers);
    await bootstrap({ profile: config.profile, adminPassword: config.adminPassword, users, groups, registry, logger, now: now() });

    await storage.start();
    const orphans = createOrphanRepository(db.kysely);
    const stats = createStatsRepository(db.kysely);
    const metrics = createMetrics({ stats, orphans, callbacks: callbackDeliveries, registers: devices, ...(config.profile === 'embedded' ? { storage: () => storage.current } : {}) });
    const audit = createAuditRepository(db.kysely);
    const jobCompletion = createJobCompletion();
    const workers = createWorkerManager({
      groups, devices, receipts, jobs, registry, logger, clock, audit,
      dataDir: config.dataDir,
      nodeId: config.nodeId,
      leases: devices.leases,
      orphans,
      leaseTtlMs: options.leases?.ttlMs ?? config.leaseTtlMs,
      deviceCallTimeoutMs: options.leases?.callTimeoutMs ?? config.deviceCallTimeoutMs,
      ...(options.leases ? { reconcileMs: options.leases.reconcileMs } : {}),
      observe: (op, s, ok) => metrics.observeDevice(op, s, ok),
      onClaim: (claimed) => metrics.workerClaim(claimed),
      // Wakes the HTTP request waiting for the job (POST …/shift/open and the like) at once.
      onJobFinished: (job) => jobCompletion.finished(job),
      // Free space below the threshold only stops new receipts: the queue's outcomes are small
      // and still fit. A missing or replaced database cannot keep them at all.
      storageProblem: () => {
        const st = storage.current;
        return st.ok || st.code === 'disk_full' ? null : st.code;
      },
    });
    const notify = (groupId: number) => workers.notify(groupId);
    // A queued receipt wakes one idle worker of its pool. On PostgreSQL the row's NOTIFY (migration
    // 002) comes back to this node as well: while the listener is connected it does the waking, so
    // a receipt wakes one worker here, not two (the second's claim would find nothing).
    let listening = (): boolean => false;
    const receiptQueued = (groupId: number) => {
      if (!listening()) workers.workArrived(groupId);
    };
    const auditor = createAuditor(audit, now);
    const loginFailures = createLoginFailureJournal({
      write: (details) => auditor.writeAnonymous('auth.login_failed', details.ip === '*' ? null : details.ip, details.login === '*' ? null : `login:${details.login}`, details),
      onWriteError: (e) => logger.warn({ err: e }, 'cannot journal a failed login'),
    });
    const authenticator = createAuthenticator({ users, now, trust: createLoginTrustRepository(db.kysely), onFailure: (f) => loginFailures.record(f) });
    let publicUrl = config.publicUrl;
    const receiptService = createReceiptService({
      groups, receipts, users, audit: auditor, publicUrl: () => publicUrl, now, notify: receiptQueued,
      canStore: () => storage.assertWritable(),
      onAccepted: (groupId) => metrics.receiptAccepted(groupId),
      callbacks: { policy: callbackPolicy, deliveries: callbackDeliveries },
    });
    // The ATOL Online-compatible API under /possystem (docs/atol-online.md): tokens, ATOL documents on native receipts.
    const atolOnline = createAtolOnline({ db, groups, authenticator, receipts: receiptService, now });
    const callbackWorker = createCallbackWorker({
      deliveries: callbackDeliveries, receipts, users, policy: callbackPolicy, render: receiptView, nodeId: config.nodeId, logger,
      // A receipt registered through the ATOL Online API is reported to its callback_url as ATOL reports it.
      renderForeign: async (receipt) => {
        const row = await atolOnline.repository.byReceiptId(receipt.id);
        return row ? { ...atolReportOf(receipt, row, { now: Date.now() }) } : null;
      },
      timing: { ...DEFAULT_CALLBACK_TIMING, windowMs: config.callbackRetryHours * 3_600_000, ...options.callbacks },
      observeAttempt: (seconds, ok) => metrics.callbackAttempt(seconds, ok),
      observeOutcome: (outcome) => metrics.callbackOutcome(outcome),
    });
    wakeCallbacks = () => callbackWorker.wake();
    const callbackService = createCallbackService({ receipts: receiptService, deliveries: callbackDeliveries, groups, users, audit: auditor, now, wake: () => callbackWorker.wake() });
    const deviceOperations = createDeviceOperations({
      groups, jobs, devices, completion: jobCompletion, audit: auditor, now, notify,
      driverOf: (groupId, deviceId) => workers.driverOf(groupId, deviceId),
    });
    const groupService = createGroupService({
      groups, devices, users, receipts, stats, orphans, registry, audit: auditor, now,
      reconcile: (groupId) => workers.reconcile(groupId),
      restartWorker: (groupId, deviceId) => workers.restart(groupId, deviceId),
      notify,
      faultsAvailable: (groupId) => deviceOperations.faultsAvailable(groupId),
      closeArchiveJob: (actor, groupId, deviceId) => deviceOperations.closeArchive(actor, groupId, deviceId),
      callbackPolicy,
    });
    const sessionRepository = createSessionRepository(db.kysely);
    const receiptExports = createReceiptExportService({ groups, exports: createReceiptExport(db) });

    let stopping = false;
    const admin = createAdminPlugin({
      sessions: createSessionService({ users, sessions: sessionRepository, authenticator, audit: auditor, onLoginFailure: (f) => loginFailures.record(f), now }),
      users: createUserService({ users, sessions: sessionRepository, stats, authenticator, audit: auditor, now }),
      groups: groupService,
      devices: deviceOperations,
      receipts: receiptService,
      overview: createOverview({ groups: groupService, stats, receipts, now }),
      auditLog: createAuditLog({ audit, users }),
      orphans: createOrphanService({ groups, orphans, audit: auditor, now }),
      callbacks: callbackService,
      receiptExports,
      now,
    });
    const inFlight = createInFlight();
    const app = await buildApp({
      config, db, metrics, authenticator, receiptService, groupService, deviceOperations, now, health: storage,
      receiptExports,
      bodies: createBodyCache(config.receiptCacheBytes),
      inFlight,
      callbackService,
      isStopping: () => stopping,
      plugins: [admin, atolOnline.plugin],
    });

    let url = config.publicUrl;
    if (options.listen !== false) {
      url = await app.listen({ host: config.host, port: config.port });
      // Port 0 (tests, benchmarks): links point at the port the OS chose.
      if (new URL(publicUrl).port === '0') publicUrl = url;
      logger.info({ url, profile: config.profile }, 'cr-server listening');
    } else {
      await app.ready();
    }
    await workers.start();
    callbackWorker.start();
    // A notification names a group with new work — or, for requests waiting here, a job of that
    // group finished on another node (migration 005): both the worker and the waiters look again.
    // A job for a register of another node wakes one worker here too; the scheduler's next scan
    // (at most a second) wakes every worker of a group with a waiting job.
    const onGroupActivity = (groupId: number) => {
      workers.workArrived(groupId);
      jobCompletion.groupActivity(groupId);
    };
    // Another node's change to a group invalidates this node's cached lookups of it at once.
    const onGroupChanged = (groupId: number | null) => db.fast.markGroupsChanged(groupId ?? undefined);
    const listener = config.profile === 'postgres' && config.databaseUrl ? listenForQueuedWork(config.databaseUrl, onGroupActivity, logger, onGroupChanged) : null;
    await listener?.start();
    if (listener) listening = () => listener.connected;

    let closing: Promise<void> | null = null;
    return {
      app, db, workers, url, logger,
      close() {
        closing ??= (async () => {
          stopping = true;
          await app.close();
          // Handlers of clients that hung up still run after the sockets are gone: let them finish
          // with the database open (bounded, so a stuck handler cannot block the stop forever).
          if (!(await inFlight.drained(10_000))) logger.warn({ running: inFlight.running }, 'stopping with request handlers still running');
          await listener?.stop();
          await workers.stop();
          // After the device workers: the outcomes they wrote last are queued, and sent after the next start.
          await callbackWorker.stop();
          await loginFailures.flushAll();
          storage.stop();
          await db.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    health?.stop();
    await db.close();
    throw e;
  }
}
