import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { DriverRegistry } from '../devices/registry.js';
import type { Clock } from '../devices/driver.js';
import type { DeviceRecord, DeviceRepository } from '../storage/devices.js';
import type { GroupRepository } from '../storage/groups.js';
import type { JobRepository } from '../storage/jobs.js';
import type { AuditRepository } from '../storage/audit.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import type { Fence, Lease, LeaseRepository } from '../storage/fence.js';
import type { OrphanRepository } from '../storage/orphans.js';
import { createDeviceWorker, type DeviceWorker } from './device-worker.js';
import { createCallFence } from './call-fence.js';

export interface ManagerDeps {
  groups: GroupRepository;
  devices: DeviceRepository;
  receipts: ReceiptRepository;
  jobs: JobRepository;
  leases: LeaseRepository;
  orphans?: OrphanRepository;
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
  /** Why the storage cannot keep outcomes now, or null (the device worker waits meanwhile). */
  storageProblem?: () => string | null;
  /** Longest single device call; at most a third of the lease (config enforces it). */
  deviceCallTimeoutMs?: number;
  /** A manual device job reached success or failed on this node (wakes the request waiting for it). */
  onJobFinished?: (job: { id: number; groupId: number }) => void;
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
  interface Running {
    worker: DeviceWorker;
    deviceId: number;
    fence: Fence;
    /** performance.now() until which the lease is known to hold (renewals move it on). */
    lease: { validUntil: number };
  }
  const workers = new Map<number, Running>();
  const leaseTtl = deps.leaseTtlMs ?? 30_000;
  // Renewed six times per lease: a call needs the lease to hold for its whole timeout (a third of
  // the lease at most), so renewals must come well before that room runs out.
  const reconcileMs = deps.reconcileMs ?? Math.min(5000, Math.floor(leaseTtl / 6));
  const callTimeout = Math.min(deps.deviceCallTimeoutMs ?? 10_000, Math.floor(leaseTtl / 3));
  let timer: NodeJS.Timeout | null = null;
  let reconciling: Promise<void> | null = null;
  let stopped = false;

  /**
   * The local view of a lease written at `sentAt` (performance.now() taken before the statement was
   * sent): the database set its end at least ttl after that, so locally it is safe to assume it
   * holds until sentAt + ttl. A device call starts only while that leaves room for the whole call.
   */
  const localUntil = (sentAt: number) => sentAt + leaseTtl;

  async function stopWorker(groupId: number): Promise<void> {
    const w = workers.get(groupId);
    if (!w) return;
    workers.delete(groupId);
    await w.worker.stop();
    // Written only while the lease is still ours: a successor's device row is not ours to touch.
    await deps.devices.updateDevice(w.deviceId, { state: 'stopped', stateReason: null }, deps.clock.now(), w.fence);
    await deps.leases.release(w.fence);
  }

  /** The lease is gone (taken over): stop the worker without a single further write. */
  async function dropWorker(groupId: number, reason: string): Promise<void> {
    const w = workers.get(groupId);
    if (!w) return;
    workers.delete(groupId);
    deps.logger.error({ group: groupId, device: w.deviceId, epoch: w.fence.epoch, reason }, 'device lease lost: the worker stops at once');
    const stopping = w.worker.stop();
    await deps.audit
      ?.write({ userId: null, login: null, ip: null, action: 'device.lease_lost', target: `device:${w.deviceId}`, details: { node: w.fence.owner, epoch: w.fence.epoch, service_group: groupId, reason } }, deps.clock.now())
      .catch((e: unknown) => deps.logger.error({ err: e }, 'cannot audit a lost lease'));
    await stopping;
  }

  async function start(groupId: number, device: DeviceRecord, lease: Lease, sentAt: number): Promise<void> {
    const now = deps.clock.now();
    const fence: Fence = { deviceId: device.id, owner: deps.nodeId, epoch: lease.epoch };
    const held = { validUntil: localUntil(sentAt) };
    const callFence = createCallFence({ validUntil: () => held.validUntil, timeoutMs: callTimeout });
    const factory = deps.registry.get(device.driver);
    if (!factory) {
      await deps.devices.updateDevice(device.id, { state: 'error', stateReason: `unknown device model "${device.driver}"` }, now, fence);
      return;
    }
    let driver;
    try {
      driver = factory.create({ ...factory.defaults(), ...device.config }, {
        deviceId: device.id,
        dataDir: deps.dataDir,
        logger: deps.logger.child({ device: device.id }),
        clock: deps.clock,
        checkFence: () => callFence.check(),
      });
    } catch (e) {
      await deps.devices.updateDevice(device.id, { state: 'error', stateReason: e instanceof Error ? e.message : String(e) }, now, fence);
      return;
    }
    // Taken over from an owner that may still be alive (its lease merely expired): touch the device
    // only once that owner's lease ended plus its longest device call — by then any call it started
    // has finished or been refused by its own fence.
    const waitMs = lease.previousUntil === null ? 0 : Math.max(0, lease.previousUntil + callTimeout - lease.at);
    if (waitMs > 0) deps.logger.warn({ group: groupId, device: device.id, epoch: lease.epoch, waitMs }, 'device taken over from an expired lease');
    const worker = createDeviceWorker({
      groupId,
      deviceId: device.id,
      driver,
      fence,
      callFence,
      notBefore: sentAt + waitMs,
      onLeaseLost: (reason) => void dropWorker(groupId, reason).catch((e: unknown) => deps.logger.error({ err: e }, 'stopping a fenced worker failed')),
      groups: deps.groups,
      devices: deps.devices,
      receipts: deps.receipts,
      jobs: deps.jobs,
      logger: deps.logger.child({ group: groupId, device: device.id, epoch: lease.epoch }),
      now: () => deps.clock.now(),
      ...(deps.audit ? { audit: deps.audit } : {}),
      ...(deps.orphans ? { orphans: deps.orphans } : {}),
      ...(deps.storageProblem ? { storageProblem: deps.storageProblem } : {}),
      ...(deps.observe ? { observe: deps.observe } : {}),
      ...(deps.onJobFinished ? { onJobFinished: deps.onJobFinished } : {}),
    });
    workers.set(groupId, { worker, deviceId: device.id, fence, lease: held });
    worker.start();
  }

  async function reconcileOnce(): Promise<void> {
    const groups = await deps.groups.list();
    for (const g of groups) {
      const want = g.running && g.enabled && !stopped;
      const has = workers.get(g.id);
      if (!want) {
        if (has) await stopWorker(g.id);
        continue;
      }
      if (has) {
        const sentAt = performance.now();
        const renewed = await deps.leases.renew(has.fence, leaseTtl);
        if (renewed) has.lease.validUntil = localUntil(sentAt);
        else await dropWorker(g.id, 'the lease was taken over');
        continue;
      }
      const device = await deps.devices.deviceOf(g.id);
      if (!device) continue;
      const sentAt = performance.now();
      const lease = await deps.leases.acquire(device.id, deps.nodeId, leaseTtl, deadLocalOwner);
      if (!lease) continue;
      await start(g.id, device, lease, sentAt);
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
    /**
     * Restarts the group's worker (new device settings): stop it, then reconcile starts it again
     * — in the reconcile queue, so no reconcile runs in between. The group stays running in the
     * database throughout, so a crash in the middle leaves nothing stopped.
     */
    restart(groupId: number): Promise<void> {
      const once = async () => {
        await stopWorker(groupId);
        await reconcileOnce();
      };
      const next = (reconciling ?? Promise.resolve()).then(once, once);
      reconciling = next.catch((e: unknown) => deps.logger.error({ err: e }, 'worker restart failed'));
      return next;
    },
    notify(groupId: number): void {
      workers.get(groupId)?.worker.notify();
    },
    isRunning(groupId: number): boolean {
      return workers.has(groupId);
    },
    /** The driver this node drives for the group, if any (fault injection: its optional `faults`). */
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
