import type { Logger } from 'pino';
import { DeviceError, type DeviceStatus, type FiscalDocument, type FiscalDriver, type FiscalResult, type RegistrationInfo } from '../devices/driver.js';
import type { GroupRepository, GroupRow } from '../storage/groups.js';
import type { JobKind, JobRepository, JobRow } from '../storage/jobs.js';
import type { Completed, ReceiptRepository, ReceiptRow } from '../storage/receipts.js';
import type { StoredRequest } from '../services/receipt-view.js';
import type { AuditRepository } from '../storage/audit.js';
import { buyerContact } from '../domain/receipt.js';
import { createWaker } from './sleep.js';
import { shiftCloseDue } from './shift-policy.js';

export interface WorkerDeps {
  groupId: number;
  deviceId: number;
  driver: FiscalDriver;
  groups: GroupRepository;
  receipts: ReceiptRepository;
  jobs: JobRepository;
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
const MAX_BACKOFF_MS = 10_000;

const errorRecord = (e: unknown) =>
  e instanceof DeviceError
    ? { code: e.code, message: e.message, device_code: e.deviceCode, retryable: e.retryable }
    : { code: 'device_error', message: e instanceof Error ? e.message : String(e), device_code: null, retryable: true };

/**
 * Drives one device: a small state machine (created → running → stopping → stopped) whose loop
 * resolves in-doubt receipts first, then runs manual jobs and receipts of the group strictly one at
 * a time in id order. Never holds a database transaction open while the device works. Errors are
 * logged with context and never kill the loop.
 */
export function createDeviceWorker(deps: WorkerDeps) {
  const { driver, receipts, jobs, groups, logger, now } = deps;
  const waker = createWaker();
  let state: WorkerState = 'created';
  let loop: Promise<void> | null = null;
  let opened = false;
  let backoff = 0;
  let group: GroupRow | undefined;
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

  // The last receipt's success, not yet written: it goes to the database with the next claim (one
  // round trip instead of two), or on its own before anything else reaches the device — so, as
  // before, the device never works again until the success it reported is durable.
  let unsaved: Completed | null = null;

  async function saveSuccess(): Promise<void> {
    const u = unsaved;
    if (!u) return;
    await receipts.markSuccess(u.id, u.fdNumber, u.fiscal, now());
    if (unsaved === u) unsaved = null;
  }

  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await saveSuccess();
    const started = performance.now();
    try {
      const r = await fn();
      deps.observe?.(operation, (performance.now() - started) / 1000, true);
      return r;
    } catch (e) {
      deps.observe?.(operation, (performance.now() - started) / 1000, false);
      throw e;
    }
  }

  async function setDeviceState(s: 'running' | 'error' | 'stopped', reason: string | null): Promise<void> {
    await groups.updateDevice(deps.deviceId, { state: s, stateReason: reason }, now());
  }

  async function ensureOpen(): Promise<void> {
    if (opened) return;
    await call('open', () => driver.open());
    opened = true;
    registration = await call('registrationInfo', () => driver.registrationInfo());
    await groups.updateDevice(deps.deviceId, { registration, state: 'running', stateReason: null }, now());
    await refreshStatus(true);
  }

  async function refreshStatus(force = false): Promise<void> {
    if (!force && now() - statusAt < STATUS_REFRESH_MS) return;
    status = await call('status', () => driver.status());
    statusAt = now();
    lastShiftNumber = status.shift.number;
    knownLastFd = status.lastFdNumber;
    await groups.updateDevice(deps.deviceId, { status, statusAt }, statusAt);
  }

  // ---- in-doubt protocol (architecture.md, domain.md §2.5) ----

  const matches = (doc: FiscalDocument, req: StoredRequest) =>
    (doc.kind === 'receipt' || doc.kind === 'correction') &&
    doc.operationType === req.operationType &&
    doc.totalSum === req.total &&
    (doc.buyerContact === null || doc.buyerContact === buyerContact(req)) &&
    (doc.itemCount === null || doc.itemCount === req.items.length);

  /**
   * A receipt whose outcome is unknown (answer lost, or left `processing` by a dead process):
   * compare the device's FD counter with the one recorded before the call. A newer receipt
   * document that matches and no other receipt owns → success with that document's data;
   * otherwise the receipt was never registered → back to pending. Never resend blindly.
   */
  async function resolve(row: ReceiptRow): Promise<void> {
    const req = JSON.parse(row.request) as StoredRequest;
    const last = await call('lastFdNumber', () => driver.lastFdNumber());
    knownLastFd = last;
    if (row.fd_before !== null && last > row.fd_before) {
      for (let n = row.fd_before + 1; n <= last; n++) {
        const doc = await call('document', () => driver.document(n));
        if (!doc || !matches(doc, req) || (await receipts.fdTaken(deps.deviceId, n))) continue;
        const reg = registration ?? (await call('registrationInfo', () => driver.registrationInfo()));
        const paid = req.payments.reduce((a, p) => a + p.sum, 0);
        const result: FiscalResult = {
          fdNumber: doc.fdNumber,
          fiscalSign: doc.fiscalSign,
          shiftNumber: doc.shiftNumber,
          receiptInShift: doc.receiptInShift ?? 0,
          dateTime: doc.dateTime,
          total: doc.totalSum ?? req.total,
          change: paid - req.total,
          registration: reg,
        };
        await receipts.markSuccess(row.id, result.fdNumber, result, now());
        logger.warn({ receiptId: row.id, fd: n }, 'in-doubt receipt resolved: the device had registered it');
        await recordResolution(row, 'registered', n, last);
        return;
      }
    }
    await receipts.release(row.id, null, now());
    logger.warn({ receiptId: row.id, fdBefore: row.fd_before, last }, 'in-doubt receipt resolved: not registered, back to the queue');
    await recordResolution(row, 'not_registered', null, last);
  }

  async function recordResolution(row: ReceiptRow, outcome: 'registered' | 'not_registered', fd: number | null, last: number): Promise<void> {
    await deps.audit?.write(
      {
        userId: null,
        login: null,
        ip: null,
        action: 'receipt.in_doubt_resolved',
        target: `receipt:${row.id}`,
        details: { outcome, state_before: row.state, fd_before: row.fd_before, device_last_fd: last, fd_number: fd, service_group: deps.groupId },
      },
      now(),
    );
  }

  // ---- shifts ----

  async function closeShiftIfDue(): Promise<void> {
    if (!group || group.auto_open_shift !== 1 || !status || status.shift.state === 'closed') return;
    if (!shiftCloseDue(status, group, now())) return;
    logger.info({ shift: status.shift.number }, 'closing the shift before it reaches its limit');
    await call('closeShift', () => driver.closeShift(null));
    await refreshStatus(true);
  }

  async function runJob(job: JobRow): Promise<void> {
    await jobs.setState(job.id, 'processing', {}, now());
    try {
      const kind = job.kind as JobKind;
      let result: unknown;
      switch (kind) {
        case 'open_shift':
          result = await call('openShift', () => driver.openShift(null));
          break;
        case 'close_shift':
          result = await call('closeShift', () => driver.closeShift(null));
          break;
        case 'x_report':
          result = await call('xReport', () => driver.xReport());
          break;
        case 'document': {
          const { fd } = JSON.parse(job.params ?? '{}') as { fd: number };
          result = await call('document', () => driver.document(fd));
          break;
        }
        case 'documents': {
          // Newest first, like every list of the API.
          const { before, limit } = JSON.parse(job.params ?? '{}') as { before: number | null; limit: number };
          const last = await call('lastFdNumber', () => driver.lastFdNumber());
          const top = before === null ? last : Math.min(last, before - 1);
          const docs = [];
          for (let n = top; n >= 1 && docs.length < limit; n--) {
            const d = await call('document', () => driver.document(n));
            if (d) docs.push(d);
          }
          result = { last, documents: docs };
          break;
        }
      }
      await jobs.setState(job.id, 'success', { result }, now());
      if (kind === 'open_shift' || kind === 'close_shift' || kind === 'x_report') await refreshStatus(true);
    } catch (e) {
      if (e instanceof DeviceError && e.kind === 'offline') {
        await jobs.setState(job.id, 'pending', {}, now());
        throw e;
      }
      await jobs.setState(job.id, 'failed', { error: errorRecord(e) }, now());
    }
  }

  async function process(row: ReceiptRow): Promise<void> {
    const req = JSON.parse(row.request) as StoredRequest;
    let result: FiscalResult;
    try {
      result = await call('register', () => driver.register(req, { autoOpenShift: group?.auto_open_shift === 1 }));
    } catch (e) {
      const rec = errorRecord(e);
      if (e instanceof DeviceError && e.kind === 'rejected') {
        const shiftIssue = e.code === 'shift_expired' || e.code === 'shift_closed';
        if (shiftIssue && group?.auto_open_shift === 1) {
          // Automatic shift management: close the expired shift now; the retry opens the next one.
          await receipts.release(row.id, rec, now());
          if (e.code === 'shift_expired') await call('closeShift', () => driver.closeShift(null));
          await refreshStatus(true);
          return;
        }
        if (!e.retryable || shiftIssue) {
          await receipts.markFailed(row.id, rec, now());
          logger.info({ receiptId: row.id, code: e.code, deviceCode: e.deviceCode }, 'receipt rejected by the device');
          return;
        }
      }
      if (e instanceof DeviceError && (e.kind === 'offline' || e.kind === 'rejected')) {
        // Nothing reached the FN (offline), or the device refused for a passing reason (paper
        // out): the receipt keeps its place at the head of the queue and the worker backs off.
        await receipts.release(row.id, rec, now());
        throw e;
      }
      await receipts.markInDoubt(row.id, { ...rec, code: 'in_doubt' }, now());
      logger.warn({ receiptId: row.id, err: rec }, 'receipt in doubt: the answer was lost; the queue waits for the device');
      throw e;
    }
    knownLastFd = result.fdNumber;
    unsaved = { id: row.id, fdNumber: result.fdNumber, fiscal: result };
    if (result.shiftNumber !== lastShiftNumber) await refreshStatus(true);
  }

  async function step(): Promise<boolean> {
    await ensureOpen();
    if (needsResolve) {
      // First the success this worker already knows: resolving its receipt from the device's
      // journal would find the document "taken" by nobody yet and could queue it again.
      await saveSuccess();
      for (const row of await receipts.unresolved(deps.groupId)) await resolve(row);
      needsResolve = false;
    }
    // A settings change (automatic shift management) or a queued job applies to the next receipt
    // (at once when made through this process, within a second from another node).
    const current = await groups.forWorkerCached(deps.groupId);
    group = current?.group;
    await refreshStatus();
    await closeShiftIfDue();
    const job = current?.hasJob ? await jobs.nextPending(deps.groupId) : undefined;
    if (job) {
      await runJob(job);
      return true;
    }
    // Recorded with the claim: if the process dies from here on, recovery compares against it.
    const fdBefore = knownLastFd ?? (knownLastFd = await call('lastFdNumber', () => driver.lastFdNumber()));
    const done = unsaved;
    const row = await receipts.claimNext(deps.groupId, deps.deviceId, fdBefore, now(), done ?? undefined);
    if (unsaved === done) unsaved = null;
    if (!row) return false;
    await process(row);
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
        needsResolve = true;
        if (e instanceof DeviceError && e.kind === 'offline') opened = false;
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? 250 : backoff * 2);
        const rec = errorRecord(e);
        logger.warn({ err: rec, backoffMs: backoff }, 'device worker: operation failed, retrying');
        try {
          await setDeviceState('error', `${rec.code}: ${rec.message}`);
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
      if (state !== 'running') return;
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
