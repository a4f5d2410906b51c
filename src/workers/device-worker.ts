import type { Logger } from 'pino';
import { DeviceError, type DeviceStatus, type FiscalDriver, type FiscalResult, type RegistrationInfo } from '../devices/driver.js';
import type { AuditRepository } from '../storage/audit.js';
import type { DeviceRepository } from '../storage/devices.js';
import type { Fence } from '../storage/fence.js';
import type { GroupRecord, GroupRepository } from '../storage/groups.js';
import type { JobRepository } from '../storage/jobs.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { Completed, ReceiptRecord, ReceiptRepository } from '../storage/receipts.js';
import { nextBackoff } from './backoff.js';
import type { CallFence } from './call-fence.js';
import { resolveInDoubt } from './in-doubt.js';
import { runJob } from './job-runner.js';
import { reconcileJournal } from './journal-reconcile.js';
import { errorRecord, inDoubtRecord, receiptOutcome } from './outcomes.js';
import { shiftCloseDue } from './shift-policy.js';
import { createWaker } from './sleep.js';
import { LeaseGone, staleWrites } from './stale-write.js';

export { LeaseGone } from './stale-write.js';

export interface WorkerDeps {
  groupId: number;
  deviceId: number;
  driver: FiscalDriver;
  /** This node's lease on the device: every write the worker makes is conditional on it. */
  fence: Fence;
  /** Bounds each device call in time against the lease (the same object the driver's checkFence asks). */
  callFence: CallFence;
  /**
   * performance.now() before which the device must not be touched: a successor waits until the
   * previous owner's lease ended plus its longest device call.
   */
  notBefore?: number;
  /** The worker found its lease gone (a fenced write changed nothing): it has stopped itself. */
  onLeaseLost?: (reason: string) => void;
  /** A manual device job reached success or failed (the HTTP request waiting for it is woken). */
  onJobFinished?: (job: { id: number; groupId: number }) => void;
  orphans?: OrphanRepository;
  /**
   * Why the server's storage cannot keep an outcome now (data directory removed, disk full), or
   * null. The device is not asked to make anything while this is set: a document whose receipt's
   * outcome would be written into a deleted database is a document no receipt will own.
   */
  storageProblem?: () => string | null;
  groups: Pick<GroupRepository, 'forWorkerCached'>;
  devices: Pick<DeviceRepository, 'deviceOf' | 'updateDevice' | 'reconciledFd' | 'setReconciledFd'>;
  receipts: ReceiptRepository;
  jobs: Pick<JobRepository, 'nextPending' | 'transition'>;
  logger: Logger;
  now: () => number;
  /** Records in-doubt resolutions in the audit journal (operators must be able to see them). */
  audit?: AuditRepository;
  /** Called with the duration of every device call, for the latency histogram. */
  observe?: (operation: string, seconds: number, ok: boolean) => void;
  /** Poll interval when idle (the safety net behind notify()). */
  idleMs?: number;
}

export type WorkerState = 'created' | 'running' | 'stopping' | 'stopped';

const STATUS_REFRESH_MS = 10_000;
/** Operations after which the FN may hold a new document: a timeout leaves them in doubt. */
const DOCUMENT_MAKING = new Set(['register', 'openShift', 'closeShift', 'xReport']);

/**
 * Drives one device: a small state machine (created → running → stopping → stopped) whose loop
 * resolves in-doubt receipts first, then runs manual jobs and receipts of the group strictly one at
 * a time in id order. Never holds a database transaction open while the device works. Errors are
 * logged with context and never kill the loop; a failed step backs off (backoff.ts).
 *
 * The parts: in-doubt resolution (in-doubt.ts, pure), what a failed call does to a receipt or job
 * (outcomes.ts, one table), manual jobs (job-runner.ts), the FN journal check (journal-reconcile.ts).
 */
export function createDeviceWorker(deps: WorkerDeps) {
  const { driver, receipts, devices, groups, logger, now, fence } = deps;
  const waker = createWaker();
  const { stale, fenced } = staleWrites(deps);
  let state: WorkerState = 'created';
  let loop: Promise<void> | null = null;
  let opened = false;
  let backoff = 0;
  let group: GroupRecord | undefined;
  let registration: RegistrationInfo | null = null;
  let status: DeviceStatus | null = null;
  let statusAt = 0;
  let lastShiftNumber = -1;
  // The device's last FD number as this worker knows it. Only this worker drives the device, so it
  // follows every document; anything it missed (a button pressed on the device) makes the true
  // number larger, never smaller, and a smaller reference only widens an in-doubt search.
  let knownLastFd: number | null = null;
  // Receipts left processing or in doubt must be resolved before new work: at start (a previous
  // process or node may have died mid-call) and after any failed step.
  let needsResolve = true;
  /** Receipt documents in the FN journal that no receipt owns: checked when due (never silent). */
  let journalDue = true;
  let fnMismatchReported = false;
  let waitedNotBefore = false;

  // The last receipt's success, not yet written: it goes to the database with the next claim (one
  // round trip instead of two), or on its own before anything else reaches the device — so, as
  // before, the device never works again until the success it reported is durable.
  let unsaved: Completed | null = null;

  async function saveSuccess(): Promise<void> {
    const u = unsaved;
    if (!u) return;
    const ok = await receipts.markSuccess(fence, u.id, u.fdNumber, u.fiscal, now());
    if (unsaved === u) unsaved = null;
    await fenced(ok, 'success', `receipt:${u.id}`, { fd_number: u.fdNumber });
  }

  /** Every device call: the success before it is durable, the takeover wait is over, storage can keep the outcome, the call is bounded. */
  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await saveSuccess();
    if (!waitedNotBefore) {
      const wait = (deps.notBefore ?? 0) - performance.now();
      if (wait > 0) {
        logger.info({ waitMs: Math.round(wait) }, 'taking the device over: waiting until the previous owner cannot be in a device call');
        // notify() may end a sleep early; the wait itself is not negotiable.
        while (state === 'running' && performance.now() < (deps.notBefore ?? 0)) await waker.sleep((deps.notBefore ?? 0) - performance.now());
        if (state !== 'running') throw new LeaseGone('stopped while waiting to take the device over');
      }
      waitedNotBefore = true;
    }
    const problem = deps.storageProblem?.() ?? null;
    if (problem !== null) throw new DeviceError('offline', 'storage_unavailable', `the server cannot keep outcomes now (${problem}); the device waits`);
    const started = performance.now();
    try {
      const r = await deps.callFence.run(DOCUMENT_MAKING.has(operation), fn);
      deps.observe?.(operation, (performance.now() - started) / 1000, true);
      return r;
    } catch (e) {
      deps.observe?.(operation, (performance.now() - started) / 1000, false);
      if (e instanceof DeviceError && e.code === 'device_timeout') {
        // The abandoned call may still hold the link: start from a fresh connection.
        opened = false;
        await driver.close().catch(() => undefined);
      }
      throw e;
    }
  }

  const lastFdNumber = async (): Promise<number> => (knownLastFd = await call('lastFdNumber', () => driver.lastFdNumber()));

  async function setDeviceState(s: 'running' | 'error' | 'stopped', reason: string | null): Promise<void> {
    await fenced(await devices.updateDevice(deps.deviceId, { state: s, stateReason: reason }, now(), fence), 'device_state', `device:${deps.deviceId}`);
  }

  // ---- the device session: open, identity, status ----

  async function ensureOpen(): Promise<void> {
    if (opened) return;
    await call('open', () => driver.open());
    opened = true;
    const reg = await call('registrationInfo', () => driver.registrationInfo());
    await checkSameFn(reg);
    registration = reg;
    await fenced(await devices.updateDevice(deps.deviceId, { registration, state: 'running', stateReason: null }, now(), fence), 'registration', `device:${deps.deviceId}`);
    await refreshStatus(true);
  }

  /**
   * The FN this worker is about to drive must be the one the database's receipts were fiscalized
   * on. The same FN serial with a counter below the highest FD number a receipt of this device owns
   * is not that FN's memory (a virtual register opened from another node's data directory, a device
   * restored from an old backup): in-doubt matching against it would be wrong, so refuse to drive it.
   */
  async function checkSameFn(reg: RegistrationInfo): Promise<void> {
    const before = (await devices.deviceOf(deps.groupId))?.registration ?? null;
    if (before?.fnSerial !== reg.fnSerial) {
      if (before?.fnSerial) {
        logger.warn({ before: before.fnSerial, now: reg.fnSerial }, 'the device reports another FN than recorded');
        await deps.audit?.write({ userId: null, login: null, ip: null, action: 'device.fn_changed', target: `device:${deps.deviceId}`, details: { before: before.fnSerial, now: reg.fnSerial, service_group: deps.groupId } }, now());
      }
      return;
    }
    const last = await call('lastFdNumber', () => driver.lastFdNumber());
    const owned = await receipts.maxOwnedFd(deps.deviceId);
    if (owned !== null && last < owned) {
      opened = false;
      const message = `FN ${reg.fnSerial} reports last document ${last}, but receipts of this device own document ${owned}: this is not the FN memory they were fiscalized on (a virtual register's state lives in the data directory of the node that drives it)`;
      if (!fnMismatchReported) {
        fnMismatchReported = true;
        await deps.audit?.write({ userId: null, login: null, ip: null, action: 'device.fn_state_mismatch', target: `device:${deps.deviceId}`, details: { fn: reg.fnSerial, device_last_fd: last, owned_fd: owned, node: fence.owner, service_group: deps.groupId } }, now());
      }
      throw new DeviceError('rejected', 'fn_state_mismatch', message, { retryable: true });
    }
  }

  async function refreshStatus(force = false): Promise<void> {
    if (!force && now() - statusAt < STATUS_REFRESH_MS) return;
    status = await call('status', () => driver.status());
    statusAt = now();
    lastShiftNumber = status.shift.number;
    // More documents than this worker made: someone else wrote to the FN (a node that lost its
    // lease, the register's own keyboard). Look at them now rather than at the next periodic pass.
    if (knownLastFd !== null && status.lastFdNumber > knownLastFd) journalDue = true;
    knownLastFd = status.lastFdNumber;
    journalDue ||= !force;
    await fenced(await devices.updateDevice(deps.deviceId, { status, statusAt }, statusAt, fence), 'status', `device:${deps.deviceId}`);
  }

  async function checkJournal(): Promise<void> {
    if (!journalDue || !deps.orphans) return;
    await saveSuccess();
    const done = await reconcileJournal({
      fence, groupId: deps.groupId, devices, receipts, orphans: deps.orphans, logger, now,
      // A pass runs right after a status read or an in-doubt resolution, which both read the
      // counter: no second device call for it.
      lastFd: async () => knownLastFd ?? (await lastFdNumber()),
      document: (n) => call('document', () => driver.document(n)),
      stale,
      ...(deps.audit ? { audit: deps.audit } : {}),
    });
    journalDue = !done;
  }

  // ---- receipts ----

  /** A receipt whose outcome is unknown: decided from the FN journal (in-doubt.ts), the decision fenced and audited. */
  async function resolve(row: ReceiptRecord): Promise<void> {
    const last = await lastFdNumber();
    const decision = await resolveInDoubt({
      request: row.request,
      fdBefore: row.fd_before,
      last,
      document: (n) => call('document', () => driver.document(n)),
      taken: (n) => receipts.fdTaken(deps.deviceId, n),
      registration: async () => registration ?? (await call('registrationInfo', () => driver.registrationInfo())),
    });
    const target = `receipt:${row.id}`;
    if (decision.outcome === 'registered') {
      const { fdNumber, result } = decision;
      await fenced(await receipts.resolve(fence, row.id, { fdNumber, fiscal: result }, now()), 'resolve_registered', target, { fd_number: fdNumber });
      logger.warn({ receiptId: row.id, fd: fdNumber }, 'in-doubt receipt resolved: the device had registered it');
    } else {
      await fenced(await receipts.resolve(fence, row.id, null, now()), 'resolve_not_registered', target);
      logger.warn({ receiptId: row.id, fdBefore: row.fd_before, last }, 'in-doubt receipt resolved: not registered, back to the queue');
    }
    await deps.audit?.write(
      {
        userId: null,
        login: null,
        ip: null,
        action: 'receipt.in_doubt_resolved',
        target,
        details: {
          outcome: decision.outcome,
          state_before: row.state,
          fd_before: row.fd_before,
          device_last_fd: last,
          fd_number: decision.outcome === 'registered' ? decision.fdNumber : null,
          service_group: deps.groupId,
        },
      },
      now(),
    );
  }

  /** One claimed receipt through the device; a failure goes where outcomes.ts's table says. */
  async function fiscalize(row: ReceiptRecord): Promise<void> {
    const target = `receipt:${row.id}`;
    const autoOpenShift = group?.auto_open_shift === true;
    let result: FiscalResult;
    try {
      result = await call('register', () => driver.register(row.request, { autoOpenShift }));
    } catch (e) {
      if (e instanceof LeaseGone) throw e;
      const outcome = receiptOutcome(e, autoOpenShift);
      switch (outcome.kind) {
        case 'shift':
          // Automatic shift management: close the expired shift now; the retry opens the next one.
          await fenced(await receipts.release(fence, row.id, errorRecord(e), now()), 'release', target);
          if (outcome.closeShift) await call('closeShift', () => driver.closeShift(null));
          await refreshStatus(true);
          return;
        case 'failed': {
          await fenced(await receipts.markFailed(fence, row.id, errorRecord(e), now()), 'failure', target);
          const { code, device_code } = errorRecord(e);
          logger.info({ receiptId: row.id, code, deviceCode: device_code }, 'receipt rejected by the device');
          return;
        }
        case 'release':
          // Nothing reached the FN, or the device refused for a passing reason (paper out): the
          // receipt keeps its place at the head of the queue and the worker backs off.
          await fenced(await receipts.release(fence, row.id, errorRecord(e), now()), 'release', target);
          throw e;
        case 'in_doubt':
          await fenced(await receipts.markInDoubt(fence, row.id, inDoubtRecord(e), now()), 'in_doubt', target);
          logger.warn({ receiptId: row.id, err: errorRecord(e) }, 'receipt in doubt: the answer was lost; the queue waits for the device');
          throw e;
      }
    }
    knownLastFd = result.fdNumber;
    unsaved = { id: row.id, fdNumber: result.fdNumber, fiscal: result };
    if (result.shiftNumber !== lastShiftNumber) await refreshStatus(true);
  }

  async function closeShiftIfDue(): Promise<void> {
    if (!group?.auto_open_shift || !status || status.shift.state === 'closed') return;
    if (!shiftCloseDue(status, group, now())) return;
    logger.info({ shift: status.shift.number }, 'closing the shift before it reaches its limit');
    await call('closeShift', () => driver.closeShift(null));
    await refreshStatus(true);
  }

  // ---- the loop ----

  /** One unit of work: resolve what is in doubt, then one job or one receipt. False: nothing to do. */
  async function step(): Promise<boolean> {
    await ensureOpen();
    if (needsResolve) {
      // First the success this worker already knows: resolving its receipt from the device's
      // journal would find the document "taken" by nobody yet and could queue it again.
      await saveSuccess();
      for (const row of await receipts.unresolved(deps.groupId)) await resolve(row);
      needsResolve = false;
      journalDue = true;
    }
    // A settings change (automatic shift management) or a queued job applies to the next receipt
    // (at once when made through this process, within a second from another node).
    const current = await groups.forWorkerCached(deps.groupId);
    group = current?.group;
    await refreshStatus();
    await checkJournal();
    await closeShiftIfDue();
    const job = current?.hasJob ? await deps.jobs.nextPending(deps.groupId) : undefined;
    if (job) {
      const shiftChanged = await runJob(job, {
        groupId: deps.groupId, driver, jobs: deps.jobs, fence, fenced, call, now,
        ...(deps.onJobFinished ? { onJobFinished: deps.onJobFinished } : {}),
      });
      if (shiftChanged) await refreshStatus(true);
      return true;
    }
    // Recorded with the claim: if the process dies from here on, recovery compares against it.
    const fdBefore = knownLastFd ?? (await lastFdNumber());
    const done = unsaved;
    const claim = await receipts.claimNext(deps.groupId, fence, fdBefore, now(), done ?? undefined);
    if (unsaved === done) unsaved = null;
    if (!claim.fenced) await stale('claim', `service_group:${deps.groupId}`);
    if (done && !claim.completed) await stale('success', `receipt:${done.id}`, { fd_number: done.fdNumber });
    if (!claim.row) return false;
    await fiscalize(claim.row);
    return true;
  }

  async function run(): Promise<void> {
    try {
      await steps();
    } finally {
      // Stopping between two receipts: the last success must not wait for a claim that never comes.
      try {
        await saveSuccess();
      } catch (e) {
        // Left `processing`: the next start resolves it from the device's journal.
        logger.error({ err: e }, 'device worker: cannot record the last success while stopping');
      }
    }
  }

  async function steps(): Promise<void> {
    while (state === 'running') {
      try {
        const worked = await step();
        if (backoff > 0) {
          backoff = 0;
          await setDeviceState('running', null);
        }
        if (!worked) await waker.sleep(deps.idleMs ?? 1000);
      } catch (e) {
        if (e instanceof LeaseGone) {
          // Stop at once, touching nothing more: the successor owns the device and its rows.
          state = 'stopping';
          unsaved = null;
          deps.onLeaseLost?.(e.message);
          return;
        }
        needsResolve = true;
        if (e instanceof DeviceError && e.kind === 'offline') opened = false;
        backoff = nextBackoff(backoff);
        const rec = errorRecord(e);
        logger.warn({ err: rec, backoffMs: backoff }, 'device worker: operation failed, retrying');
        try {
          await devices.updateDevice(deps.deviceId, { state: 'error', stateReason: `${rec.code}: ${rec.message}` }, now(), fence);
        } catch (dbErr) {
          logger.error({ err: dbErr }, 'device worker: cannot record device state');
        }
        if (state === 'running') await waker.sleep(backoff);
      }
    }
  }

  return {
    driver,
    get state(): WorkerState {
      return state;
    },
    start(): void {
      if (state !== 'created' && state !== 'stopped') return;
      state = 'running';
      loop = run();
    },
    notify(): void {
      waker.wake();
    },
    /** Finishes the current device operation, then stops; resolves when the loop has ended. */
    async stop(): Promise<void> {
      if (state === 'created' || state === 'stopped') return;
      state = 'stopping';
      waker.wake();
      await loop;
      state = 'stopped';
      try {
        if (opened) await driver.close();
      } finally {
        opened = false;
      }
    },
  };
}
export type DeviceWorker = ReturnType<typeof createDeviceWorker>;
