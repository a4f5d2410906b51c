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
import { HEALTH_LEVELS } from '../domain/pool.js';

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
  /** Every worker claim, whether it found a receipt. */
  onClaim?: (claimed: boolean) => void;
  /** How often to reconcile running groups and renew device leases. */
  reconcileMs?: number;
  /** How often the scheduler looks for groups with waiting work and wakes their idle workers. */
  scanMs?: number;
  /** An idle worker's housekeeping interval (WorkerDeps.idleMs). */
  idleMs?: number;
  leaseTtlMs?: number;
  /** Why the storage cannot keep outcomes now, or null (the device worker waits meanwhile). */
  storageProblem?: () => string | null;
  /** Longest single device call; at most a third of the lease (config enforces it). */
  deviceCallTimeoutMs?: number;
  /** A manual device job reached success or failed on this node (wakes the request waiting for it). */
  onJobFinished?: (job: { id: number; groupId: number }) => void;
}

/** Healthier first; a register not judged yet (just started) before a degraded one. */
const rank = (w: { worker: DeviceWorker }): number => {
  const level = w.worker.level;
  return level === null ? 0.5 : HEALTH_LEVELS.indexOf(level);
};

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
 * Runs one worker per register of every running, enabled group that this node holds the lease for.
 * Reconciles periodically — held leases renewed in one statement, then the registers this node
 * does not drive yet tried — so a group started on another node, or a register whose node died, is
 * picked up here. Starting or stopping one group reconciles only that group.
 */
export function createWorkerManager(deps: ManagerDeps) {
  interface Running {
    worker: DeviceWorker;
    groupId: number;
    deviceId: number;
    fence: Fence;
    /** performance.now() until which the lease is known to hold (renewals move it on). */
    lease: { validUntil: number };
    /** performance.now() when the scheduler last gave it work: the least recently woken goes next. */
    wokenAt: number;
    /** performance.now() when it last let its pool's better registers take the work. */
    declinedAt: number;
  }
  /** By register (device id). */
  const workers = new Map<number, Running>();
  const byGroup = new Map<number, Set<number>>();
  const leaseTtl = deps.leaseTtlMs ?? 30_000;
  // Renewed six times per lease: a call needs the lease to hold for its whole timeout (a third of
  // the lease at most), so renewals must come well before that room runs out.
  const reconcileMs = deps.reconcileMs ?? Math.min(5000, Math.floor(leaseTtl / 6));
  const callTimeout = Math.min(deps.deviceCallTimeoutMs ?? 10_000, Math.floor(leaseTtl / 3));
  let timer: NodeJS.Timeout | null = null;
  let scanTimer: NodeJS.Timeout | null = null;
  let scanning = false;
  let reconciling: Promise<void> | null = null;
  let stopped = false;

  /**
   * The local view of a lease written at `sentAt` (performance.now() taken before the statement was
   * sent): the database set its end at least ttl after that, so locally it is safe to assume it
   * holds until sentAt + ttl. A device call starts only while that leaves room for the whole call.
   */
  const localUntil = (sentAt: number) => sentAt + leaseTtl;

  function forget(deviceId: number): Running | undefined {
    const w = workers.get(deviceId);
    if (!w) return undefined;
    workers.delete(deviceId);
    const set = byGroup.get(w.groupId);
    set?.delete(deviceId);
    if (set?.size === 0) byGroup.delete(w.groupId);
    return w;
  }

  async function stopWorker(deviceId: number): Promise<void> {
    const w = forget(deviceId);
    if (!w) return;
    await w.worker.stop();
    // Written only while the lease is still ours: a successor's device row is not ours to touch.
    await deps.devices.updateDevice(w.deviceId, { state: 'stopped', stateReason: null }, deps.clock.now(), w.fence);
    await deps.leases.release(w.fence);
  }

  /** The lease is gone (taken over): stop the worker without a single further write. */
  async function dropWorker(deviceId: number, reason: string): Promise<void> {
    const w = forget(deviceId);
    if (!w) return;
    deps.logger.error({ group: w.groupId, device: w.deviceId, epoch: w.fence.epoch, reason }, 'device lease lost: the worker stops at once');
    const stopping = w.worker.stop();
    await deps.audit
      ?.write({ userId: null, login: null, ip: null, action: 'device.lease_lost', target: `device:${w.deviceId}`, details: { node: w.fence.owner, epoch: w.fence.epoch, service_group: w.groupId, reason } }, deps.clock.now())
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
      onLeaseLost: (reason) => void dropWorker(device.id, reason).catch((e: unknown) => deps.logger.error({ err: e }, 'stopping a fenced worker failed')),
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
      ...(deps.onClaim ? { onClaim: deps.onClaim } : {}),
      ...(deps.onJobFinished ? { onJobFinished: deps.onJobFinished } : {}),
      ...(deps.idleMs !== undefined ? { idleMs: deps.idleMs } : {}),
      onMoreWork: () => wakeOne(groupId, device.id),
      onDeclined: () => {
        const w = workers.get(device.id);
        if (w) w.declinedAt = performance.now();
        wakeOne(groupId, device.id);
      },
    });
    workers.set(device.id, { worker, groupId, deviceId: device.id, fence, lease: held, wokenAt: 0, declinedAt: -Infinity });
    const set = byGroup.get(groupId) ?? new Set<number>();
    set.add(device.id);
    byGroup.set(groupId, set);
    worker.start();
  }

  /**
   * The leases this node holds (of `groupId` only, when given) that are past a third of their
   * time, extended in one statement per 500. Renewing each lease at every pass wrote every held
   * register's row every 5 s — with a thousand registers most of what an idle node wrote. A lease
   * renewed once it has less than two thirds left never has less than half left between passes
   * (a pass comes every sixth of a lease), so a device call, which needs a third, is never refused
   * for want of lease even if one pass is late.
   */
  async function renewHeld(groupId: number | undefined): Promise<void> {
    const due = performance.now() + (leaseTtl * 2) / 3;
    const held = [...workers.values()].filter((w) => (groupId === undefined || w.groupId === groupId) && w.lease.validUntil < due);
    const sentAt = performance.now();
    const renewed = await deps.leases.renewMany(held.map((w) => w.fence), leaseTtl);
    for (const w of held) {
      if (renewed.has(w.deviceId)) w.lease.validUntil = localUntil(sentAt);
      else await dropWorker(w.deviceId, 'the lease was taken over');
    }
  }

  /**
   * One pass over every group, or over one group (its start, stop or change).
   *
   * Fair share: the full pass counts the live nodes (their heartbeats) and takes at most
   * ceil(registers / nodes) leases, and gives back what it holds beyond that — gracefully, each
   * worker finishing its operation in hand — so nodes sharing a database drive about as many
   * registers each. A node that dies stops counting once its heartbeat ends (one lease time), and
   * the others' shares grow over its registers as their leases expire. A one-group pass (a start)
   * takes its registers at once; the next full pass evens things out.
   */
  async function reconcileOnce(groupId?: number): Promise<void> {
    const groups = groupId === undefined ? await deps.groups.list() : [await deps.groups.get(groupId)].filter((g) => g !== undefined);
    const wanted = new Set(groups.filter((g) => g.running && g.enabled && !stopped).map((g) => g.id));
    const placement = await deps.devices.placement(groupId);
    await renewHeld(groupId);
    let share = Infinity;
    if (groupId === undefined && !stopped) {
      const nodes = await deps.leases.heartbeat(deps.nodeId, leaseTtl, deadLocalOwner);
      share = Math.ceil(placement.filter((d) => wanted.has(d.group_id)).length / nodes);
    }
    for (const d of placement) {
      const has = workers.has(d.id);
      if (!wanted.has(d.group_id)) {
        if (has) await stopWorker(d.id);
        continue;
      }
      if (has || workers.size >= share) continue;
      const sentAt = performance.now();
      const lease = await deps.leases.acquire(d.id, deps.nodeId, leaseTtl, deadLocalOwner);
      if (!lease) continue;
      const device = await deps.devices.get(d.id);
      if (!device) {
        await deps.leases.release({ deviceId: d.id, owner: deps.nodeId, epoch: lease.epoch });
        continue;
      }
      await start(d.group_id, device, lease, sentAt);
    }
    // Registers removed from their pool, or of a deleted group.
    const present = new Set(placement.map((d) => d.id));
    for (const w of [...workers.values()]) {
      if ((groupId === undefined || w.groupId === groupId) && !present.has(w.deviceId)) await stopWorker(w.deviceId);
    }
    // Beyond the fair share (another node joined): give back the newest registers.
    if (workers.size > share) {
      const excess = [...workers.keys()].sort((a, b) => b - a).slice(0, workers.size - share);
      deps.logger.info({ held: workers.size, share, released: excess.length }, 'giving leases back to even out the nodes');
      await Promise.all(excess.map((id) => stopWorker(id)));
    }
  }

  /** Serialized: a reconcile asked for while one runs waits for it and then runs. */
  function queued(pass: () => Promise<void>, what: string): Promise<void> {
    const next = (reconciling ?? Promise.resolve()).then(pass, pass);
    reconciling = next.catch((e: unknown) => deps.logger.error({ err: e }, `worker ${what} failed`));
    return next;
  }

  /**
   * The scheduler: one statement over the waiting rows finds which groups have a pending receipt or
   * job, and only this node's workers of those groups are woken. It is the safety net behind the in-process wake-up on insert
   * and PostgreSQL's NOTIFY (a lost notification, a listener reconnecting, a row written by hand),
   * and what wakes a register routed around while its pool had a healthier one. Idle workers
   * otherwise sleep through their housekeeping interval: no per-register polling of the queue.
   */
  async function scan(): Promise<void> {
    if (scanning || byGroup.size === 0) return;
    scanning = true;
    try {
      const work = await deps.receipts.groupsWithWork();
      // A job names its register: every worker of the group looks. A waiting receipt needs one idle
      // worker; if more wait, its claim wakes the next (onMoreWork).
      // A job queued on another node: the workers' cached "a job waits" flag does not know it yet.
      for (const g of work.jobs) if (byGroup.has(g)) deps.groups.changedElsewhere(g);
      for (const groupId of work.jobs) notifyGroup(groupId);
      for (const groupId of work.receipts) if (!work.jobs.includes(groupId)) wakeOne(groupId);
    } catch (e) {
      deps.logger.warn({ err: e }, 'work scan failed');
    } finally {
      scanning = false;
    }
  }

  function notifyGroup(groupId: number): void {
    for (const id of byGroup.get(groupId) ?? []) workers.get(id)?.worker.notify();
  }

  /**
   * New work for a pool: one idle worker of this node wakes for it — the healthiest, then the least
   * recently woken (an even share of the traffic) — instead of every worker of the group racing for
   * the one receipt (each loser an empty claim: a transaction per register per receipt, most of the
   * database's load with a thousand registers). A register that let better ones take its last wake-up
   * within the scan interval is passed over; if it is the only one idle, the scan comes back to it.
   */
  function wakeOne(groupId: number, except?: number): void {
    const now = performance.now();
    const recent = now - (deps.scanMs ?? 1000);
    let pick: Running | null = null;
    for (const id of byGroup.get(groupId) ?? []) {
      const w = workers.get(id);
      if (!w || id === except || !w.worker.idle || w.declinedAt > recent) continue;
      if (pick === null || rank(w) < rank(pick) || (rank(w) === rank(pick) && w.wokenAt < pick.wokenAt)) pick = w;
    }
    if (pick && pick.worker.wakeIfIdle()) pick.wokenAt = now;
  }

  return {
    async start(): Promise<void> {
      stopped = false;
      await queued(() => reconcileOnce(), 'reconcile');
      timer = setInterval(() => void queued(() => reconcileOnce(), 'reconcile').catch(() => undefined), reconcileMs);
      timer.unref();
      scanTimer = setInterval(() => void scan(), deps.scanMs ?? 1000);
      scanTimer.unref();
    },
    /** Every group (no argument), or only `groupId`'s registers: starting a group costs a few statements, whatever the number of groups. */
    reconcile(groupId?: number): Promise<void> {
      return queued(() => reconcileOnce(groupId), 'reconcile');
    },
    /**
     * Restarts a group's workers, or one register's (new device settings): stop, then reconcile the
     * group — in the reconcile queue, so no reconcile runs in between. The group stays running in
     * the database throughout, so a crash in the middle leaves nothing stopped.
     */
    restart(groupId: number, deviceId?: number): Promise<void> {
      return queued(async () => {
        for (const id of [...(byGroup.get(groupId) ?? [])]) if (deviceId === undefined || id === deviceId) await stopWorker(id);
        await reconcileOnce(groupId);
      }, 'restart');
    },
    /** Wakes every worker of the group here (its settings or registers changed, a job was queued). */
    notify: notifyGroup,
    /** A receipt of the group was queued (here, or on another node: NOTIFY): one idle worker takes it. */
    workArrived: (groupId: number) => wakeOne(groupId),
    /** Whether this node drives a register of the group (or that register). */
    isRunning(groupId: number, deviceId?: number): boolean {
      const set = byGroup.get(groupId);
      return deviceId === undefined ? (set?.size ?? 0) > 0 : (set?.has(deviceId) ?? false);
    },
    /** The registers this node drives. */
    driven(): { groupId: number; deviceId: number }[] {
      return [...workers.values()].map((w) => ({ groupId: w.groupId, deviceId: w.deviceId }));
    },
    /**
     * The driver this node drives for the register, or for the group's first register driven here
     * (fault injection: its optional `faults`).
     */
    driverOf(groupId: number, deviceId?: number) {
      const set = byGroup.get(groupId);
      if (!set) return undefined;
      const id = deviceId ?? Math.min(...set);
      return set.has(id) ? workers.get(id)?.worker.driver : undefined;
    },
    /** Graceful: every worker finishes its current device operation, then stops. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      if (scanTimer) clearInterval(scanTimer);
      await reconciling;
      await Promise.all([...workers.keys()].map((id) => stopWorker(id)));
      await deps.leases.leave(deps.nodeId).catch((e: unknown) => deps.logger.warn({ err: e }, 'cannot sign the node off'));
    },
  };
}
export type WorkerManager = ReturnType<typeof createWorkerManager>;
