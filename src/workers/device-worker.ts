import type { Logger } from 'pino';
import { DeviceError, type FiscalDriver, type FiscalResult } from '../devices/driver.js';
import type { AuditRepository } from '../storage/audit.js';
import type { DeviceRepository } from '../storage/devices.js';
import type { Fence } from '../storage/fence.js';
import type { GroupRecord, GroupRepository } from '../storage/groups.js';
import type { JobRepository } from '../storage/jobs.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { Completed, ReceiptRecord, ReceiptRepository } from '../storage/receipts.js';
import { nextBackoff } from './backoff.js';
import type { CallFence } from './call-fence.js';
import { createDeviceSession } from './device-session.js';
import { resolveInDoubt } from './in-doubt.js';
import { checkMarking } from './marking.js';
import { runJob } from './job-runner.js';
import { errorRecord, inDoubtRecord, receiptOutcome } from './outcomes.js';
import { shiftCloseDue, shiftLimitIn } from './shift-policy.js';
import { createWaker } from './sleep.js';
import { LeaseGone, staleWrites } from './stale-write.js';
import { better, judgeHealth, mayTakeWork, type Health, type HealthLevel } from '../domain/pool.js';
import { fnWarningEvent } from '../callbacks/events.js';
import type { GroupEvent } from '../storage/callbacks.js';

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
  devices: Pick<DeviceRepository, 'get' | 'updateDevice' | 'reconciledFd' | 'setReconciledFd' | 'setHealth' | 'poolPeersCached' | 'poolPeersPeek'>;
  receipts: ReceiptRepository;
  jobs: Pick<JobRepository, 'nextPending' | 'transition'>;
  logger: Logger;
  now: () => number;
  /** Records in-doubt resolutions in the audit journal (operators must be able to see them). */
  audit?: AuditRepository;
  /** Called with the duration of every device call, for the latency histogram. */
  observe?: (operation: string, seconds: number, ok: boolean) => void;
  /**
   * How long an idle worker sleeps before its housekeeping pass (status read, shift limits, health,
   * a claim). Not the queue's poll: new work wakes it through notify() — from this node's API, from
   * other nodes' NOTIFY, and from the manager's scheduler, which looks for waiting work once a
   * second for every group in one statement.
   */
  idleMs?: number;
  /** Every claim, whether it found a receipt (the claims metric). */
  onClaim?: (claimed: boolean) => void;
  /** The claim saw more receipts waiting: the scheduler wakes one idle peer of the pool for them. */
  onMoreWork?: () => void;
  /** Woken, the register let its pool's better registers take the work: the scheduler wakes another. */
  onDeclined?: () => void;
}

export type WorkerState = 'created' | 'running' | 'stopping' | 'stopped';

/**
 * An idle worker's housekeeping interval (see WorkerDeps.idleMs): the status a dashboard shows of an
 * idle register is at most this old; a shift's limit wakes the worker sooner (shiftLimitIn).
 */
export const IDLE_MS = 60_000;

/**
 * Drives one register of a group's pool: a small state machine (created → running → stopping →
 * stopped) whose loop resolves its own in-doubt receipts first, then runs its manual jobs and
 * claims receipts of the group's queue strictly one at a time in id order — while routing lets it
 * (its health against its live peers', domain/pool.ts). Never holds a database transaction open while the device works. Errors are
 * logged with context and never kill the loop; a failed step backs off (backoff.ts).
 *
 * The parts: the device session — bounded calls, open, FN identity, status, the journal check's
 * timing (device-session.ts) — in-doubt resolution (in-doubt.ts, pure), what a failed call does to a
 * receipt or job (outcomes.ts, one table), manual jobs (job-runner.ts), the FN journal check
 * (journal-reconcile.ts).
 */
export function createDeviceWorker(deps: WorkerDeps) {
  const { driver, receipts, devices, groups, logger, now, fence } = deps;
  const waker = createWaker();
  const { stale, fenced } = staleWrites(deps);
  let state: WorkerState = 'created';
  let loop: Promise<void> | null = null;
  let backoff = 0;
  let group: GroupRecord | undefined;
  // Receipts left processing or in doubt must be resolved before new work: at start (a previous
  // process or node may have died mid-call) and after any failed step.
  let needsResolve = true;
  let statusAfterFailure = false;
  /** Asleep with nothing to do (not backing off after a failure): the scheduler may wake it for new work. */
  let idle = false;
  /** The idle sleep ran out, nothing woke the worker: the next step is a housekeeping pass. */
  let housekeeping = false;
  // The first idle sleep is spread over the whole interval, so the housekeeping passes of a
  // thousand registers started together do not come in one burst.
  let idleSleeps = 0;
  const idleSleep = () => {
    const ms = deps.idleMs ?? IDLE_MS;
    idleSleeps += 1;
    const spread = idleSleeps === 1 ? Math.floor(Math.random() * ms) : ms;
    // With automatic shift management the shift's limit must not wait for the next pass.
    const limitIn = group?.auto_open_shift && session.status ? shiftLimitIn(session.status, group, now()) : null;
    return limitIn === null ? spread : Math.min(spread, limitIn + 1000);
  };

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

  const session = createDeviceSession(deps, { fenced, stale, saveSuccess, running: () => state === 'running', sleep: async (ms) => {
    await waker.sleep(ms);
  } });
  const { call } = session;

  // ---- receipts ----

  /** A receipt whose outcome is unknown: decided from the FN journal (in-doubt.ts), the decision fenced and audited. */
  async function resolve(row: ReceiptRecord): Promise<void> {
    const last = await session.lastFdNumber();
    const decision = await resolveInDoubt({
      request: row.request,
      fdBefore: row.fd_before,
      last,
      document: (n) => call('document', () => driver.document(n)),
      taken: (n) => receipts.fdTaken(deps.deviceId, n),
      registration: session.registrationInfo,
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
      // Marked items: the FN and the marking operator check each code first (workers/marking.ts).
      const marking = await checkMarking(call, driver, row.request, group?.marking_policy ?? 'offline_allowed');
      result = await call('register', () => driver.register(row.request, { autoOpenShift, ...(marking ? { marking: marking.checks } : {}) }));
      if (marking) result = { ...result, markingChecks: marking.checks };
    } catch (e) {
      if (e instanceof LeaseGone) throw e;
      const outcome = receiptOutcome(e, autoOpenShift);
      switch (outcome.kind) {
        case 'shift':
          // Automatic shift management: close the expired shift now; the retry opens the next one.
          await fenced(await receipts.release(fence, row.id, errorRecord(e), now()), 'release', target);
          if (outcome.closeShift) await call('closeShift', () => driver.closeShift(null));
          await session.refreshStatus(true);
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
    unsaved = { id: row.id, fdNumber: result.fdNumber, fiscal: result };
    await session.documentRegistered(result);
  }

  // ---- the pool ----

  let health: Health | null = null;
  let healthWrittenAt = 0;
  let healthLoaded = false;
  /** Stored at least this often even unchanged: the forecast's age shows in the dashboard. */
  const HEALTH_REFRESH_MS = 600_000;

  /** The group's register.fn_warning event of a warning that appeared; null when the group sends no events. */
  async function fnWarning(warning: { what: 'expiry' | 'archive' | 'ofd_block'; at: number }): Promise<GroupEvent | null> {
    if (!group?.events_url) return null;
    if (group.events_user_id === null) {
      logger.warn({ what: warning.what }, 'FN forecast warning not sent to the group\'s events URL: the user who set it was deleted; set the URL again');
      return null;
    }
    // Read when the link opened (ensureOpen): no device call here.
    const registration = await session.registrationInfo();
    return fnWarningEvent({
      group,
      register: { id: deps.deviceId, model: driver.model, rnm: registration.registrationNumber || null, fnSerial: session.status?.fn.serial ?? registration.fnSerial },
      warning,
      now: now(),
    });
  }

  /** The register's fitness for new work from its last status; stored when it changed. */
  async function judge(maintenance: boolean, poolFfd: string | null): Promise<void> {
    const status = session.status;
    if (!status || !group) return;
    if (!healthLoaded) {
      // The fill-rate sample survives restarts: the forecast keeps measuring from it.
      health = (await devices.get(deps.deviceId))?.health ?? null;
      healthLoaded = true;
    }
    const next = judgeHealth({ status, policy: group.pool_policy, maintenance, autoShift: group.auto_open_shift, poolFfd, previous: health?.forecast.sample ?? null, now: now() });
    const changed =
      !health ||
      health.level !== next.level ||
      health.reasons.map((r) => r.code).join() !== next.reasons.map((r) => r.code).join() ||
      health.forecast.sample?.at !== next.forecast.sample?.at ||
      now() - healthWrittenAt >= HEALTH_REFRESH_MS;
    const newWarning = next.warning !== null && (health?.warning?.what !== next.warning.what || health.forecast.sample?.fnSerial !== next.forecast.sample?.fnSerial);
    if (!changed && !newWarning) return;
    // A warning that appeared is also the group's webhook event (register.fn_warning, docs/api.md
    // "Register events"). The audit entry below is written on its own after the health; the event
    // goes with the health itself, in its transaction (devices.setHealth): the stored health is what
    // makes a warning not new to this worker after a restart or to a successor, so the event is
    // queued exactly once per appearance — never lost between two writes, never queued twice.
    const event = newWarning && next.warning ? await fnWarning(next.warning) : null;
    const before = health;
    health = next;
    healthWrittenAt = now();
    await fenced(await devices.setHealth(fence, deps.groupId, next, event ?? undefined), 'health', `device:${deps.deviceId}`);
    const target = `device:${deps.deviceId}`;
    // A first judgement is not a change: only a level moving is an event for the journal.
    if (before !== null && before.level !== next.level) {
      logger.info({ level: next.level, reasons: next.reasons.map((r) => r.code) }, 'register health changed');
      await deps.audit?.write({ userId: null, login: null, ip: null, action: 'device.health_changed', target, details: { service_group: deps.groupId, before: before.level, level: next.level, reasons: next.reasons.map((r) => r.code) } }, now());
    }
    // The FN lifecycle: a limit within the group's warn_days is an event the operator must see once.
    if (newWarning && next.warning) {
      logger.warn({ what: next.warning.what, at: new Date(next.warning.at).toISOString() }, 'FN forecast: a limit is near');
      await deps.audit?.write({ userId: null, login: null, ip: null, action: 'device.fn_forecast_warning', target, details: { service_group: deps.groupId, what: next.warning.what, at: new Date(next.warning.at).toISOString(), fn_serial: session.status?.fn.serial ?? null } }, now());
    }
  }

  /**
   * Judges the register, then whether it claims: the pool's best live registers take the work.
   * `judgeOnly`: a housekeeping pass with nothing to claim, where only the judgement counts, and it
   * reads of the pool just what every change invalidates (maintenance, the FFD version): the pool
   * as last read serves, so a thousand idle registers do not each read their pool once a minute.
   */
  async function routed(judgeOnly = false): Promise<boolean> {
    const peers = (judgeOnly ? devices.poolPeersPeek(deps.groupId) : undefined) ?? (await devices.poolPeersCached(deps.groupId));
    const me = peers.find((p) => p.id === deps.deviceId);
    // The pool validates receipts against its first register's FFD version (services/receipts.ts).
    await judge(me?.maintenance ?? false, peers[0]?.ffdVersion ?? null);
    let best: HealthLevel | null = null;
    for (const p of peers) if (p.id !== deps.deviceId && p.live && !p.maintenance && p.level !== null) best = better(best, p.level);
    return mayTakeWork(health?.level ?? 'healthy', me?.maintenance ?? false, best);
  }

  async function closeShiftIfDue(): Promise<void> {
    const { status } = session;
    if (!group?.auto_open_shift || !status || status.shift.state === 'closed') return;
    if (!shiftCloseDue(status, group, now())) return;
    logger.info({ shift: status.shift.number }, 'closing the shift before it reaches its limit');
    await call('closeShift', () => driver.closeShift(null));
    await session.refreshStatus(true);
  }

  // ---- the loop ----

  /** One unit of work: resolve what is in doubt, then one job or one receipt. False: nothing to do. */
  async function step(): Promise<boolean> {
    await session.ensureOpen();
    if (needsResolve) {
      // First the success this worker already knows: resolving its receipt from the device's
      // journal would find the document "taken" by nobody yet and could queue it again.
      await saveSuccess();
      for (const row of await receipts.unresolved(deps.groupId, deps.deviceId)) await resolve(row);
      needsResolve = false;
      session.journalCheckDue();
    }
    // A settings change (automatic shift management) or a queued job applies to the next receipt
    // (at once when made through this process, within WORKER_RECHECK_MS from another node; a job
    // queued there at the scheduler's next scan).
    const current = await groups.forWorkerCached(deps.groupId);
    group = current?.group;
    // After a failed step the status is read again at once: paper out, an FN refusal or a link
    // back up changes the register's health, and routing should see it now, not in 10 s.
    await session.refreshStatus(statusAfterFailure);
    statusAfterFailure = false;
    await session.checkJournal();
    await closeShiftIfDue();
    const job = current?.hasJob ? await deps.jobs.nextPending(deps.deviceId) : undefined;
    if (job) {
      const shiftChanged = await runJob(job, {
        groupId: deps.groupId, driver, jobs: deps.jobs, fence, fenced, call, now,
        ...(deps.onJobFinished ? { onJobFinished: deps.onJobFinished } : {}),
      });
      if (shiftChanged) await session.refreshStatus(true);
      return true;
    }
    const pass = housekeeping;
    housekeeping = false;
    if (!(await routed(pass && unsaved === null))) {
      // Drained or routed around: the last success must not wait for a claim that does not come.
      await saveSuccess();
      if (!pass) deps.onDeclined?.();
      return false;
    }
    // Nothing woke it, so nothing new arrived for it: no claim (a transaction per register per
    // pass). Receipts that wait anyway are the scheduler's to hand out: its scan wakes an idle
    // register of their group within a second.
    if (pass && unsaved === null) return false;
    // Recorded with the claim: if the process dies from here on, recovery compares against it.
    const fdBefore = await session.lastFdReference();
    const done = unsaved;
    const claim = await receipts.claimNext(deps.groupId, fence, fdBefore, now(), done ?? undefined);
    if (unsaved === done) unsaved = null;
    if (!claim.fenced) await stale('claim', `service_group:${deps.groupId}`);
    if (done && !claim.completed) await stale('success', `receipt:${done.id}`, { fd_number: done.fdNumber });
    if (claim.fenced) deps.onClaim?.(claim.row !== undefined);
    if (!claim.row) return false;
    if (claim.more) deps.onMoreWork?.();
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
          await session.setDeviceState('running', null);
        }
        if (!worked) {
          idle = true;
          housekeeping = !(await waker.sleep(idleSleep()));
          idle = false;
        }
      } catch (e) {
        if (e instanceof LeaseGone) {
          // Stop at once, touching nothing more: the successor owns the device and its rows.
          state = 'stopping';
          unsaved = null;
          deps.onLeaseLost?.(e.message);
          return;
        }
        needsResolve = true;
        statusAfterFailure = true;
        if (e instanceof DeviceError && e.kind === 'offline') session.linkLost();
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
    /** Wakes the worker whatever it does (settings changed, a job for it): its next step looks again. */
    notify(): void {
      waker.wake();
    },
    /** Whether it sleeps idle: a receipt that arrives can be given to it. */
    get idle(): boolean {
      return idle && state === 'running';
    },
    /** Its register's health level as last judged (null before the first judgement). */
    get level(): HealthLevel | null {
      return health?.level ?? null;
    },
    /** Wakes it for new work if it sleeps idle; false when it is busy, backing off or stopping. */
    wakeIfIdle(): boolean {
      if (!idle || state !== 'running') return false;
      idle = false;
      waker.wake();
      return true;
    },
    /** Finishes the current device operation, then stops; resolves when the loop has ended. */
    async stop(): Promise<void> {
      if (state === 'created' || state === 'stopped') return;
      state = 'stopping';
      waker.wake();
      await loop;
      state = 'stopped';
      await session.close();
    },
  };
}
export type DeviceWorker = ReturnType<typeof createDeviceWorker>;
