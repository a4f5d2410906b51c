import type { Logger } from 'pino';
import { DeviceError } from '../../driver.js';
import type { FiscalDriver, RegistrationInfo } from '../../driver.js';
import { ATOL_ERRORS } from '../errors.js';
import { isFinalStatus } from '../protocol.js';
import type { JsonObject, RequestStatus, SubtaskResult } from '../protocol.js';
import { JsonTaskError, WEB_ERRORS, deviceWireError, wireError } from './errors.js';
import type { BlockReason, WireError } from './errors.js';
import { openQueueStore } from './queue-store.js';
import type { QueuedRequest, QueueStore } from './queue-store.js';
import { executeTask, fiscalParamsOfDocument, isFiscalTask } from './tasks.js';
import type { MarkingSession, TaskContext } from './tasks.js';

/**
 * The web server's request queue for one device, as ATOL's web server runs it (reimplementations
 * ArchDemons/atolwebserver `DriverWorker.java` and kktsite-agent `src/device.js`, the latter
 * recorded from «АТОЛ. Web Requests» 1.0.4.0):
 *
 * - one worker, FIFO, subtasks in order: `wait` → `inProgress` → `ready` | `error`; after an
 *   error the rest of the request is `interrupted` (502);
 * - before a fiscal subtask the FN's last FD number is read; if the document's outcome is then
 *   lost (the link dropped, the process died), the subtask is `blocked` and the whole queue stops:
 *   new requests are accepted but `wait`. No client call lifts it: the web server retries the
 *   device until it answers and compares FD numbers: greater → the document was made, `ready`
 *   with its fiscal params read back (`warnings.recovered`); equal → `error` with the lost link's
 *   code (2) and the rest `interrupted`. Then the request goes on with its next subtask;
 * - DELETE cancels a request none of whose subtasks has started (`canceled`, 503).
 */
export interface QueueStatus {
  /** Requests not finished: waiting, running, or the one the queue is blocked on. */
  number: number;
  ready: number;
  canceled: number;
  isBlocked: boolean;
  blockedUUID: string;
  blockReason: BlockReason | '';
}

export interface AtolQueue {
  add(uuid: string, tasks: JsonObject[]): 'created' | 'exists';
  get(uuid: string): QueuedRequest | undefined;
  cancel(uuid: string): 'canceled' | 'not_found' | 'not_allowed';
  status(): QueueStatus;
  start(): void;
  /** Stops the worker without waiting for a device call in flight (that is what a crash looks like). */
  stop(): void;
}

export interface AtolQueueOptions {
  driver: FiscalDriver;
  stateFile: string | null;
  /** Pause between attempts to reach the device while the queue is blocked. */
  recoveryIntervalMs: number;
  logger?: Logger;
}

const OK = wireError(WEB_ERRORS.OK);
const result = (status: RequestStatus, error: WireError = OK, value: JsonObject | null = null): SubtaskResult => ({
  status,
  errorCode: error.code,
  errorDescription: error.description,
  result: value,
});
/** The link to the register was lost during a fiscal document (LIBFPTR_ERROR_NO_CONNECTION). */
const LINK_LOST = wireError(ATOL_ERRORS.NO_CONNECTION);

/** The answer to a fiscal document was lost, so whether the FN closed it is unknown. */
const outcomeUnknown = (err: unknown): boolean => err instanceof DeviceError && (err.kind === 'in_doubt' || err.kind === 'offline');

function errorOf(err: unknown, logger: Logger | undefined, uuid: string): WireError {
  if (err instanceof JsonTaskError) return wireError(err.code, err.message);
  if (err instanceof DeviceError) return deviceWireError(err);
  logger?.error({ err, uuid }, 'atol emulator: task failed');
  return wireError(ATOL_ERRORS.UNKNOWN);
}

export function createAtolQueue(opts: AtolQueueOptions): AtolQueue {
  const { driver } = opts;
  const store: QueueStore = openQueueStore(opts.stateFile);
  let running = false;
  let wake: (() => void) | null = null;
  let registration: RegistrationInfo | null = null;

  // A subtask that was running when the process died has an unknown outcome: treat it exactly
  // like a lost connection, i.e. blocked, and let the FD comparison decide.
  for (const r of store.requests) {
    r.results = r.results.map((s) => (s.status !== 'inProgress' ? s : r.lastFd === null ? result('wait') : result('blocked', LINK_LOST)));
  }

  /** True while the worker waits for work, as opposed to pausing between attempts to reach the device. */
  let idleForWork = false;
  const wakeUp = (): void => {
    wake?.();
    wake = null;
  };
  // A new request wakes a worker that has nothing to do, never one pausing between recovery attempts.
  const notify = (): void => {
    if (idleForWork) wakeUp();
  };
  const idle = (ms: number | null): Promise<void> =>
    new Promise<void>((resolve) => {
      idleForWork = ms === null;
      const t = ms === null ? null : setTimeout(() => resolve(), ms);
      wake = () => {
        if (t) clearTimeout(t);
        resolve();
      };
    }).finally(() => {
      idleForWork = false;
    });

  const reg = async (): Promise<RegistrationInfo> => (registration ??= await driver.registrationInfo());

  function set(r: QueuedRequest, i: number, s: SubtaskResult): void {
    r.results[i] = s;
    if (s.status === 'error') {
      const interrupted = result('interrupted', wireError(WEB_ERRORS.INTERRUPTED_BY_PREVIOUS_ERRORS));
      for (let j = i + 1; j < r.results.length; j++) r.results[j] = interrupted;
    }
    if (isFinalStatus(s.status)) r.lastFd = null;
    store.save();
  }

  const fail = (r: QueuedRequest, i: number, err: unknown): void => set(r, i, result('error', errorOf(err, opts.logger, r.uuid)));

  function next(): { r: QueuedRequest; i: number } | null {
    for (const r of store.requests) {
      const i = r.results.findIndex((s) => !isFinalStatus(s.status));
      if (i >= 0) return { r, i };
    }
    return null;
  }

  const blocked = (): QueuedRequest | undefined => store.requests.find((r) => r.results.some((s) => s.status === 'blocked'));

  async function runSubtask(r: QueuedRequest, i: number, ctx: TaskContext): Promise<void> {
    const task = r.tasks[i] ?? {};
    const fiscal = isFiscalTask(task);
    if (fiscal) {
      // Read before the document: after a lost answer, a greater number means it was made.
      try {
        r.lastFd = await driver.lastFdNumber();
      } catch (err) {
        if (running) fail(r, i, err);
        return;
      }
      if (!running) return;
    }
    set(r, i, result('inProgress'));
    try {
      const value = await executeTask(task, ctx);
      if (running) set(r, i, result('ready', OK, value));
    } catch (err) {
      if (!running) return;
      if (fiscal && outcomeUnknown(err)) {
        opts.logger?.warn({ uuid: r.uuid, lastFd: r.lastFd }, 'atol emulator: outcome unknown, queue blocked');
        set(r, i, result('blocked', LINK_LOST));
      } else {
        fail(r, i, err);
      }
    }
  }

  async function recover(r: QueuedRequest, i: number): Promise<void> {
    await idle(opts.recoveryIntervalMs);
    if (!running) return;
    const before = r.lastFd ?? 0;
    try {
      const now = await driver.lastFdNumber();
      if (!running) return;
      if (now > before) {
        // The first document after the recorded counter is ours: the queue runs one at a time.
        const doc = await driver.document(before + 1);
        if (!running) return;
        if (doc === null) throw new Error(`document ${before + 1} not found`);
        const fiscalParams = fiscalParamsOfDocument(doc, await reg());
        // `recovered`: getFiscalDocumentResult's flag for a result rebuilt after a lost answer.
        set(r, i, result('ready', OK, { fiscalParams, warnings: { recovered: true, notPrinted: false } }));
      } else {
        set(r, i, result('error', LINK_LOST));
      }
    } catch (err) {
      // Still unreachable: stay blocked and try again.
      opts.logger?.debug({ err, uuid: r.uuid }, 'atol emulator: device still unavailable');
    }
  }

  // One marking check at a time for the device, across requests (libfptr keeps it between calls).
  const marking: MarkingSession = { pending: null, accepted: [] };

  async function loop(): Promise<void> {
    let ctxUuid = '';
    let ctx: TaskContext = { driver, registration: reg, xReport: null, marking };
    while (running) {
      const job = next();
      if (job === null) {
        await idle(null);
        continue;
      }
      if (job.r.uuid !== ctxUuid) {
        ctxUuid = job.r.uuid;
        ctx = { driver, registration: reg, xReport: null, marking };
      }
      try {
        const status = job.r.results[job.i]?.status;
        if (status === 'blocked') await recover(job.r, job.i);
        else await runSubtask(job.r, job.i, ctx);
      } catch (err) {
        // E.g. the queue file could not be written. Never let it kill the worker.
        opts.logger?.error({ err, uuid: job.r.uuid }, 'atol emulator: queue step failed');
        await idle(opts.recoveryIntervalMs);
      }
    }
  }

  return {
    add(uuid, tasks) {
      if (store.byUuid.has(uuid)) return 'exists';
      const r: QueuedRequest = { uuid, tasks, results: tasks.map(() => result('wait')), createdAt: Date.now(), lastFd: null };
      store.requests.push(r);
      store.byUuid.set(uuid, r);
      store.save();
      notify();
      return 'created';
    },
    get: (uuid) => store.byUuid.get(uuid),
    cancel(uuid) {
      const r = store.byUuid.get(uuid);
      if (!r) return 'not_found';
      if (!r.results.every((s) => s.status === 'wait')) return 'not_allowed';
      r.results = r.results.map(() => result('canceled', wireError(WEB_ERRORS.CANCELED)));
      store.save();
      return 'canceled';
    },
    status() {
      let number = 0;
      let ready = 0;
      let canceled = 0;
      for (const r of store.requests) {
        if (!r.results.every((s) => isFinalStatus(s.status))) number += 1;
        else if (r.results.every((s) => s.status === 'canceled')) canceled += 1;
        else ready += 1;
      }
      const b = blocked();
      return { number, ready, canceled, isBlocked: b !== undefined, blockedUUID: b?.uuid ?? '', blockReason: b ? 'connectionError' : '' };
    },
    start() {
      if (running) return;
      running = true;
      loop().catch((err: unknown) => opts.logger?.error({ err }, 'atol emulator: queue loop crashed'));
    },
    stop() {
      running = false;
      wakeUp();
    },
  };
}
