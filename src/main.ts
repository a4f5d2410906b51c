import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { systemClock, type Clock, type DriverFactory } from './devices/driver.js';
import { createDriverRegistry } from './devices/registry.js';
import { buildApp } from './http/app.js';
import { createAdminPlugin } from './http/admin/index.js';
import { createMetrics } from './metrics.js';
import { createAuthenticator } from './services/auth.js';
import { bootstrap } from './services/bootstrap.js';
import { createGroupService } from './services/groups.js';
import { createReceiptService } from './services/receipts.js';
import { createBodyCache } from './services/body-cache.js';
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
import { createLeaseRepository } from './storage/fence.js';
import { createOrphanRepository } from './storage/orphans.js';
import { createStatsRepository } from './storage/stats.js';
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
    const groups = createGroupRepository(db.kysely);
    const receipts = createReceiptRepository(db.kysely, db.dialect);
    const jobs = createJobRepository(db.kysely);
    const registry = createDriverRegistry(options.drivers);
    await bootstrap({ profile: config.profile, adminPassword: config.adminPassword, users, groups, registry, logger, now: now() });

    await storage.start();
    const orphans = createOrphanRepository(db.kysely);
    const metrics = createMetrics({ stats: createStatsRepository(db.kysely), orphans, ...(config.profile === 'embedded' ? { storage: () => storage.current } : {}) });
    const audit = createAuditRepository(db.kysely);
    const workers = createWorkerManager({
      groups, receipts, jobs, registry, logger, clock, audit,
      dataDir: config.dataDir,
      nodeId: config.nodeId,
      leases: createLeaseRepository(db.kysely, db.dialect),
      orphans,
      leaseTtlMs: options.leases?.ttlMs ?? config.leaseTtlMs,
      deviceCallTimeoutMs: options.leases?.callTimeoutMs ?? config.deviceCallTimeoutMs,
      ...(options.leases ? { reconcileMs: options.leases.reconcileMs } : {}),
      observe: (op, s, ok) => metrics.observeDevice(op, s, ok),
      // Free space below the threshold only stops new receipts: the queue's outcomes are small
      // and still fit. A missing or replaced database cannot keep them at all.
      storageProblem: () => {
        const st = storage.current;
        return st.ok || st.code === 'disk_full' ? null : st.code;
      },
    });
    const notify = (groupId: number) => workers.notify(groupId);
    const authenticator = createAuthenticator({ users, now, trust: createLoginTrustRepository(db.kysely) });
    let publicUrl = config.publicUrl;
    const receiptService = createReceiptService({
      groups, receipts, publicUrl: () => publicUrl, now, notify, bodies: createBodyCache(config.receiptCacheBytes),
      canStore: () => storage.assertWritable(),
      onAccepted: (groupId) => metrics.receiptAccepted(groupId),
    });
    const groupService = createGroupService({ groups, receipts, jobs, orphans, now, notify });

    let stopping = false;
    const admin = createAdminPlugin({
      kysely: db.kysely, users, groups, receipts, registry, authenticator, groupService, receiptService, now,
      reconcile: () => workers.reconcile(),
      driverOf: (groupId) => workers.driverOf(groupId),
      notify,
    });
    const inFlight = createInFlight();
    const app = await buildApp({
      config, db, metrics, authenticator, groups, receiptService, groupService, receipts, now, notify, health: storage,
      audit, inFlight,
      driverOf: (groupId) => workers.driverOf(groupId),
      isStopping: () => stopping,
      plugins: [admin],
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
    const listener = config.profile === 'postgres' && config.databaseUrl ? listenForQueuedWork(config.databaseUrl, notify, logger) : null;
    await listener?.start();

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
