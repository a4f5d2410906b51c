import { DeviceError, type DeviceStatus, type FiscalResult, type MarkingState, type RegistrationInfo } from '../devices/driver.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import type { WorkerDeps } from './device-worker.js';
import { reconcileJournal } from './journal-reconcile.js';
import { LeaseGone, type Fenced, type Stale } from './stale-write.js';

/**
 * A working register's status (and the journal check that follows it) is read again after this
 * long, as an idle one's by its housekeeping pass. Spread over a thousand registers, receipts reach
 * each register seconds apart, and a 10 s refresh made nearly every receipt pay a status read on the
 * device, its write and a journal pass. What cannot wait reads it at once: a failed step, a new
 * shift, a job that changed the shift.
 */
const STATUS_REFRESH_MS = 60_000;
/** Operations after which the FN may hold a new document: a timeout leaves them in doubt. */
const DOCUMENT_MAKING = new Set(['register', 'openShift', 'closeShift', 'xReport']);

export type SessionDeps = Pick<
  WorkerDeps,
  'groupId' | 'deviceId' | 'driver' | 'fence' | 'callFence' | 'notBefore' | 'storageProblem' | 'orphans' | 'devices' | 'audit' | 'observe' | 'logger' | 'now'
> & {
  /** Only what the FN identity check and the journal pass ask of receipts. */
  receipts: Pick<ReceiptRepository, 'maxOwnedFd' | 'ownedFds'>;
};

/** What the session needs from the worker that owns it. */
export interface SessionHooks {
  fenced: Fenced;
  stale: Stale;
  /**
   * Makes the worker's last receipt success durable. Before every device call (the device never
   * works again until the success it reported is saved) and before the FN journal is matched
   * against receipts (an unsaved success would look like a document nobody owns).
   */
  saveSuccess: () => Promise<void>;
  /** False once the worker is stopping: the takeover wait gives up. */
  running: () => boolean;
  /** The worker's sleep, so that notify() and stop() reach a takeover wait too. */
  sleep: (ms: number) => Promise<void>;
}

/**
 * The device as one worker drives it: every call bounded by the lease and measured, the link opened
 * once and only onto the FN the database's receipts were made on, and the device row (registration,
 * status, state) kept current — each of those writes fenced. It also decides when the FN journal
 * is due for a check, since its status reads are where the document counter is seen to move.
 */
export function createDeviceSession(deps: SessionDeps, hooks: SessionHooks) {
  const { driver, receipts, devices, logger, now, fence } = deps;
  const { fenced, stale, saveSuccess } = hooks;
  let opened = false;
  let waitedNotBefore = false;
  let registration: RegistrationInfo | null = null;
  let status: DeviceStatus | null = null;
  let statusAt = 0;
  let lastShiftNumber = -1;
  // The device's last FD number as this worker knows it. Only this worker drives the device, so it
  // follows every document; anything it missed (a button pressed on the device) makes the true
  // number larger, never smaller, and a smaller reference only widens an in-doubt search.
  let knownLastFd: number | null = null;
  /** Receipt documents in the FN journal that no receipt owns: checked when due (never silent). */
  let journalDue = true;
  /** The journal watermark, read from the database once per worker (journal-reconcile.ts). */
  const watermark: { value: number | null } = { value: null };
  let fnMismatchReported = false;

  /** Every device call: the success before it is durable, the takeover wait is over, storage can keep the outcome, the call is bounded. */
  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await saveSuccess();
    if (!waitedNotBefore) {
      const wait = (deps.notBefore ?? 0) - performance.now();
      if (wait > 0) {
        logger.info({ waitMs: Math.round(wait) }, 'taking the device over: waiting until the previous owner cannot be in a device call');
        // notify() may end a sleep early; the wait itself is not negotiable.
        while (hooks.running() && performance.now() < (deps.notBefore ?? 0)) await hooks.sleep((deps.notBefore ?? 0) - performance.now());
        if (!hooks.running()) throw new LeaseGone('stopped while waiting to take the device over');
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
   * Another FN serial is a replaced FN: fine on a row without receipts, refused on one with them.
   */
  async function checkSameFn(reg: RegistrationInfo): Promise<void> {
    const before = (await devices.get(deps.deviceId))?.registration ?? null;
    if (before?.fnSerial !== reg.fnSerial) {
      if (before?.fnSerial) {
        logger.warn({ before: before.fnSerial, now: reg.fnSerial }, 'the device reports another FN than recorded');
        await deps.audit?.write({ userId: null, login: null, ip: null, action: 'device.fn_changed', target: `device:${deps.deviceId}`, details: { before: before.fnSerial, now: reg.fnSerial, service_group: deps.groupId } }, now());
        // FD numbers start over on a new FN: matching an in-doubt receipt or checking the journal
        // against the old FN's receipts of this row would mistake the new FN's documents for
        // theirs. The replacement flow gives the new FN a row of its own (docs/pools.md).
        if ((await receipts.maxOwnedFd(deps.deviceId)) !== null) {
          opened = false;
          throw new DeviceError('rejected', 'fn_replaced_unannounced', `The register reports FN ${reg.fnSerial}, but its receipts were fiscalized on FN ${before.fnSerial}: mark the replacement («ФН заменён») in the pool`, { retryable: true });
        }
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

  /** Null when the FN or its firmware has no marking work to report (a refusal, not a failure of the device). */
  async function markingState(): Promise<MarkingState | null> {
    try {
      return await call('markingState', () => driver.markingState());
    } catch (e) {
      if (e instanceof DeviceError && e.kind === 'rejected') return null;
      throw e;
    }
  }

  async function refreshStatus(force = false): Promise<void> {
    if (!force && now() - statusAt < STATUS_REFRESH_MS) return;
    const read = await call('status', () => driver.status());
    // FFD 1.2 FNs also report their marking work (notifications waiting, blocked or not).
    status = read.fn.ffdVersion === '120' ? { ...read, marking: await markingState() } : read;
    statusAt = now();
    lastShiftNumber = status.shift.number;
    // More documents than this worker made: someone else wrote to the FN (a node that lost its
    // lease, the register's own keyboard). Look at them now rather than at the next periodic pass.
    if (knownLastFd !== null && status.lastFdNumber > knownLastFd) journalDue = true;
    knownLastFd = status.lastFdNumber;
    journalDue ||= !force;
    await fenced(await devices.updateDevice(deps.deviceId, { status, statusAt }, statusAt, fence), 'status', `device:${deps.deviceId}`);
  }

  /** The counter a claim or journal pass compares against: what this worker knows, else the device's. */
  const lastFdReference = async (): Promise<number> => knownLastFd ?? (await lastFdNumber());

  async function checkJournal(): Promise<void> {
    if (!journalDue || !deps.orphans) return;
    await saveSuccess();
    const done = await reconcileJournal({
      fence, groupId: deps.groupId, devices, receipts, orphans: deps.orphans, logger, now,
      // A pass runs right after a status read or an in-doubt resolution, which both read the
      // counter: no second device call for it.
      lastFd: lastFdReference,
      document: (n) => call('document', () => driver.document(n)),
      stale,
      watermark,
      ...(deps.audit ? { audit: deps.audit } : {}),
    });
    journalDue = !done;
  }

  /**
   * A receipt's document was made. The caller keeps the success as unsaved first: a status read
   * here is a device call, and every device call saves that success before it starts.
   */
  async function documentRegistered(result: FiscalResult): Promise<void> {
    knownLastFd = result.fdNumber;
    if (result.shiftNumber !== lastShiftNumber) await refreshStatus(true);
  }

  return {
    call,
    lastFdNumber,
    lastFdReference,
    setDeviceState,
    ensureOpen,
    refreshStatus,
    checkJournal,
    documentRegistered,
    /** The last status read (null before the first). */
    get status(): DeviceStatus | null {
      return status;
    },
    /** The registration read when the link opened, or asked of the device if there is none yet. */
    registrationInfo: async (): Promise<RegistrationInfo> => registration ?? (await call('registrationInfo', () => driver.registrationInfo())),
    /** After a takeover or a failed step: whoever wrote to the FN meanwhile may have left documents nobody owns. */
    journalCheckDue(): void {
      journalDue = true;
    },
    /** The link failed: the next step opens it again (and checks the FN again). */
    linkLost(): void {
      opened = false;
    },
    /** Closes the link if open; the session can be opened again by the next ensureOpen(). */
    async close(): Promise<void> {
      try {
        if (opened) await driver.close();
      } finally {
        opened = false;
      }
    },
  };
}
export type DeviceSession = ReturnType<typeof createDeviceSession>;
