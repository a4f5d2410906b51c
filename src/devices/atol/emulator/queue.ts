import type { Logger } from 'pino';
import { DeviceError } from '../../driver.js';
import type { FiscalDriver, RegistrationInfo } from '../../driver.js';
import { ATOL_ERRORS, atolCodeOf } from '../errors.js';
import { isFinalStatus, isFiscalTaskType, isTaskType } from '../protocol.js';
import type { JsonObject, RequestStatus, SubtaskResult } from '../protocol.js';
import { TaskError } from '../receipt-task.js';
import { openQueueStore } from './queue-store.js';
import type { QueuedRequest, QueueStore } from './queue-store.js';
import { executeTask, fiscalParamsOfDocument } from './tasks.js';
import type { TaskContext } from './tasks.js';

/**
 * The web server's request queue for one device: one worker, FIFO, subtasks in order; an error
 * interrupts the rest of its request. A fiscal subtask whose outcome is unknown (the device
 * dropped mid-document) becomes `blocked` and stops the whole queue until the device answers
 * again; then the FD counter read before the subtask is compared with the current one:
 * greater → the document was made, `ready` with its fiscal params; equal → `error` (§2.5).
 */
export interface AtolQueue {
  add(uuid: string, tasks: JsonObject[]): 'created' | 'exists';
  get(uuid: string): QueuedRequest | undefined;
  cancel(uuid: string): 'canceled' | 'not_found' | 'not_allowed';
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

const pendingResult = (): SubtaskResult => ({ status: 'wait', errorCode: 0, errorDescription: '', result: null });

export function createAtolQueue(opts: AtolQueueOptions): AtolQueue {
  const { driver } = opts;
  const store: QueueStore = openQueueStore(opts.stateFile);
  let running = false;
  let wake: (() => void) | null = null;
  let registration: RegistrationInfo | null = null;

  // A subtask that was running when the process died has an unknown outcome: treat it exactly
  // like a lost connection, i.e. blocked, and let the FD comparison decide.
  for (const r of store.requests) {
    for (const s of r.results) if (s.status === 'inProgress') s.status = r.lastFd === null ? 'wait' : 'blocked';
  }

  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const idle = (ms: number | null): Promise<void> =>
    new Promise((resolve) => {
      const t = ms === null ? null : setTimeout(() => resolve(), ms);
      wake = () => {
        if (t) clearTimeout(t);
        resolve();
      };
    });

  const reg = async (): Promise<RegistrationInfo> => (registration ??= await driver.registrationInfo());

  function set(r: QueuedRequest, i: number, status: RequestStatus, result: JsonObject | null, errorCode = 0, errorDescription = ''): void {
    r.results[i] = { status, errorCode, errorDescription, result };
    if (status === 'error') {
      for (let j = i + 1; j < r.results.length; j++) r.results[j] = { ...pendingResult(), status: 'interrupted' };
    }
    if (isFinalStatus(status)) r.lastFd = null;
    store.save();
  }

  function fail(r: QueuedRequest, i: number, err: unknown): void {
    if (err instanceof TaskError) return set(r, i, 'error', null, err.atolCode, err.message);
    if (err instanceof DeviceError) return set(r, i, 'error', null, atolCodeOf(err.code), err.message);
    opts.logger?.error({ err, uuid: r.uuid }, 'atol emulator: task failed');
    set(r, i, 'error', null, ATOL_ERRORS.UNKNOWN, err instanceof Error ? err.message : String(err));
  }

  function next(): { r: QueuedRequest; i: number } | null {
    for (const r of store.requests) {
      const i = r.results.findIndex((s) => !isFinalStatus(s.status));
      if (i >= 0) return { r, i };
    }
    return null;
  }

  async function runSubtask(r: QueuedRequest, i: number, ctx: TaskContext): Promise<void> {
    const task = r.tasks[i] ?? {};
    const fiscal = isTaskType(task.type) && isFiscalTaskType(task.type);
    if (fiscal) {
      try {
        r.lastFd = await driver.lastFdNumber();
      } catch (err) {
        if (running) fail(r, i, err);
        return;
      }
      if (!running) return;
    }
    set(r, i, 'inProgress', null);
    try {
      const result = await executeTask(task, ctx);
      if (running) set(r, i, 'ready', result);
    } catch (err) {
      if (!running) return;
      if (fiscal && err instanceof DeviceError && err.kind === 'in_doubt') {
        opts.logger?.warn({ uuid: r.uuid, lastFd: r.lastFd }, 'atol emulator: outcome unknown, queue blocked');
        set(r, i, 'blocked', null, 0, err.message);
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
        set(r, i, 'ready', { fiscalParams: fiscalParamsOfDocument(doc, await reg()), warnings: { notPrinted: true } });
      } else {
        set(r, i, 'error', null, ATOL_ERRORS.NO_CONNECTION, 'Связь с ККТ была потеряна, документ не сформирован');
      }
    } catch (err) {
      // Still unreachable: stay blocked and try again.
      opts.logger?.debug({ err, uuid: r.uuid }, 'atol emulator: device still unavailable');
    }
  }

  async function loop(): Promise<void> {
    let ctxUuid = '';
    let ctx: TaskContext = { driver, registration: reg, xReport: null };
    while (running) {
      const job = next();
      if (job === null) {
        await idle(null);
        continue;
      }
      if (job.r.uuid !== ctxUuid) {
        ctxUuid = job.r.uuid;
        ctx = { driver, registration: reg, xReport: null };
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
      const r: QueuedRequest = { uuid, tasks, results: tasks.map(pendingResult), createdAt: Date.now(), lastFd: null };
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
      r.results = r.results.map(() => ({ ...pendingResult(), status: 'canceled' as const }));
      store.save();
      return 'canceled';
    },
    start() {
      if (running) return;
      running = true;
      loop().catch((err: unknown) => opts.logger?.error({ err }, 'atol emulator: queue loop crashed'));
    },
    stop() {
      running = false;
      notify();
    },
  };
}
