import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { DriverRegistry } from '../devices/registry.js';
import type { Clock } from '../devices/driver.js';
import type { GroupRepository } from '../storage/groups.js';
import type { JobRepository } from '../storage/jobs.js';
import type { AuditRepository } from '../storage/audit.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import { createDeviceWorker, type DeviceWorker } from './device-worker.js';

export interface ManagerDeps {
  groups: GroupRepository;
  receipts: ReceiptRepository;
  jobs: JobRepository;
  registry: DriverRegistry;
  logger: Logger;
  clock: Clock;
  dataDir: string | null;
  nodeId: string;
  audit?: AuditRepository;
  observe?: (operation: string, seconds: number, ok: boolean) => void;
  /** How often to reconcile running groups and renew device leases. */
  reconcileMs?: number;
  leaseTtlMs?: number;
}

/**
 * A lease held by a process of this host that no longer exists (node ids are "host:pid"): a restart
 * after a crash takes its devices back at once instead of waiting for the lease to expire.
 */
function deadLocalOwner(owner: string): boolean {
  const m = /^(.*):(\d+)$/.exec(owner);
  if (!m || m[1] !== hostname() || Number(m[2]) === process.pid) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs one worker per device of every running, enabled group that this node holds the lease for.
 * Reconciles periodically, so a group started on another node, or a device whose node died, is
 * picked up here.
 */
export function createWorkerManager(deps: ManagerDeps) {
  const workers = new Map<number, { worker: DeviceWorker; deviceId: number }>();
  const reconcileMs = deps.reconcileMs ?? 5000;
  const leaseTtl = deps.leaseTtlMs ?? 30_000;
  let timer: NodeJS.Timeout | null = null;
  let reconciling: Promise<void> | null = null;
  let stopped = false;

  async function stopWorker(groupId: number): Promise<void> {
    const w = workers.get(groupId);
    if (!w) return;
    workers.delete(groupId);
    await w.worker.stop();
    await deps.groups.releaseLease(w.deviceId, deps.nodeId);
    await deps.groups.updateDevice(w.deviceId, { state: 'stopped', stateReason: null }, deps.clock.now());
  }

  async function reconcileOnce(): Promise<void> {
    const groups = await deps.groups.list();
    const now = deps.clock.now();
    for (const g of groups) {
      const want = g.running === 1 && g.enabled === 1 && !stopped;
      const has = workers.get(g.id);
      if (!want) {
        if (has) await stopWorker(g.id);
        continue;
      }
      const device = await deps.groups.deviceOf(g.id);
      if (!device) continue;
      const leased =
        (await deps.groups.acquireLease(device.id, deps.nodeId, leaseTtl, now)) ||
        (device.lease_owner !== null && deadLocalOwner(device.lease_owner) && (await deps.groups.takeOverLease(device.id, deps.nodeId, device.lease_owner, leaseTtl, now)));
      if (!leased) {
        if (has) await stopWorker(g.id);
        continue;
      }
      if (has) continue;
      const factory = deps.registry.get(device.model);
      if (!factory) {
        await deps.groups.updateDevice(device.id, { state: 'error', stateReason: `unknown device model "${device.model}"` }, now);
        continue;
      }
      let driver;
      try {
        driver = factory.create({ ...(factory.defaults() as object), ...(JSON.parse(device.config) as object) }, {
          deviceId: device.id,
          dataDir: deps.dataDir,
          logger: deps.logger.child({ device: device.id }),
          clock: deps.clock,
        });
      } catch (e) {
        await deps.groups.updateDevice(device.id, { state: 'error', stateReason: e instanceof Error ? e.message : String(e) }, now);
        continue;
      }
      const worker = createDeviceWorker({
        groupId: g.id,
        deviceId: device.id,
        driver,
        groups: deps.groups,
        receipts: deps.receipts,
        jobs: deps.jobs,
        logger: deps.logger.child({ group: g.id, device: device.id }),
        now: () => deps.clock.now(),
        ...(deps.audit ? { audit: deps.audit } : {}),
        ...(deps.observe ? { observe: deps.observe } : {}),
      });
      workers.set(g.id, { worker, deviceId: device.id });
      worker.start();
    }
    for (const id of [...workers.keys()]) {
      if (!groups.some((g) => g.id === id)) await stopWorker(id);
    }
  }

  function reconcile(): Promise<void> {
    // Serialize: a reconcile started while one runs waits for it and then runs again.
    const next = (reconciling ?? Promise.resolve()).then(reconcileOnce, reconcileOnce);
    reconciling = next.catch((e: unknown) => deps.logger.error({ err: e }, 'worker reconcile failed'));
    return next;
  }

  return {
    async start(): Promise<void> {
      stopped = false;
      await reconcile();
      timer = setInterval(() => void reconcile().catch(() => undefined), reconcileMs);
      timer.unref();
    },
    reconcile,
    notify(groupId: number): void {
      workers.get(groupId)?.worker.notify();
    },
    isRunning(groupId: number): boolean {
      return workers.has(groupId);
    },
    /** The driver this node drives for the group, if any (fault injection on virtual registers). */
    driverOf(groupId: number) {
      return workers.get(groupId)?.worker.driver;
    },
    /** Graceful: every worker finishes its current device operation, then stops. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      await reconciling;
      await Promise.all([...workers.keys()].map((id) => stopWorker(id)));
    },
  };
}
export type WorkerManager = ReturnType<typeof createWorkerManager>;
