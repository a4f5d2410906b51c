import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Cashier, FiscalReceipt } from '../../domain/receipt.js';
import { DeviceError } from '../driver.js';
import type {
  DeviceStatus,
  DriverContext,
  DriverFactory,
  FiscalDocument,
  FiscalDriver,
  FiscalResult,
  RegisterOptions,
  RegistrationInfo,
  ShiftDocument,
  XReport,
} from '../driver.js';
import { createAtolClient } from './client.js';
import type { AtolClient } from './client.js';
import { ATOL_DEVICE_MODELS, atolConfigSchema, atolDefaults } from './config.js';
import type { AtolConfig } from './config.js';
import { ATOL_ERRORS, deviceErrorFromAtol } from './errors.js';
import { documentOfFnResult } from './fn-document.js';
import { int, obj } from './json-read.js';
import { createPendingUuids, stableHash } from './pending-uuids.js';
import type { PendingUuids } from './pending-uuids.js';
import type { JsonObject, SubtaskResult } from './protocol.js';
import { receiptToTask } from './receipt-task.js';
import { registrationOfResults, resultOfFiscalParams, shiftOfFiscalParams, statusOfResults, xReportOfResults } from './results.js';

const operatorOf = (c: Cashier | null): JsonObject =>
  c === null ? {} : { operator: c.inn ? { name: c.name, vatin: c.inn } : { name: c.name } };

const answerLost = (what: string): DeviceError =>
  new DeviceError('in_doubt', 'answer_lost', `${what}: the ATOL web server did not report the outcome`, { retryable: true });

/** A FiscalDriver speaking to one register through the ATOL Web Server v2 JSON queue. */
export function createAtolDriver(config: AtolConfig, ctx: DriverContext, client?: AtolClient): FiscalDriver {
  const tz = config.timezone_offset;
  const http =
    client ??
    createAtolClient({
      url: config.url,
      deviceId: config.device_id ?? null,
      username: config.username ?? null,
      password: config.password ?? null,
      pollIntervalMs: config.poll_interval_ms,
      timeoutMs: config.timeout_ms,
      now: () => ctx.clock.now(),
    });
  const journalFile = ctx.dataDir === null ? null : join(ctx.dataDir, 'devices', `atol-${ctx.deviceId}-pending.json`);
  const pending: PendingUuids = createPendingUuids(journalFile, () => ctx.clock.now());
  let registration: RegistrationInfo | null = null;

  /** Non-fiscal tasks: a fresh uuid each time; a lost answer costs nothing, so it is just 'offline'. */
  async function query(tasks: JsonObject[]): Promise<SubtaskResult[]> {
    const uuid = `cr-${randomUUID()}`;
    await http.submit(uuid, tasks);
    const results = await http.wait(uuid);
    if (results === null || results.length !== tasks.length || results.some((r) => r.status !== 'ready' && r.status !== 'error')) {
      // Still queued behind a blocked or slow request: take it back so it does not run later.
      await http.cancel(uuid);
      throw new DeviceError('offline', 'device_offline', 'the ATOL web server did not answer in time');
    }
    return results;
  }

  const resultOf = (r: SubtaskResult | undefined): JsonObject => {
    if (r === undefined) throw new DeviceError('offline', 'device_offline', 'missing subtask result');
    if (r.status === 'error') throw deviceErrorFromAtol(r.errorCode, r.errorDescription);
    return r.result ?? {};
  };

  const run = async (tasks: JsonObject[]): Promise<JsonObject[]> => (await query(tasks)).map(resultOf);

  /**
   * One fiscal task (receipt, correction, shift). `key` identifies the operation for the uuid
   * journal (see pending-uuids.ts): a resend after an unknown outcome reuses the uuid.
   */
  async function fiscal(key: string, task: JsonObject, what: string, isRetry = false): Promise<JsonObject> {
    const uuid = pending.uuidFor(key);
    // 409 means an earlier attempt with this uuid was queued: poll it instead of re-queueing.
    ctx.checkFence?.();
    const outcome = await http.submit(uuid, [task]);
    const r = (await http.wait(uuid))?.[0];
    const status = r?.status ?? 'wait';
    if (outcome === 'exists' && !isRetry && (status === 'error' || status === 'interrupted' || status === 'canceled')) {
      // The earlier attempt whose outcome we never learned ended without a document (e.g. the
      // web server compared FD counters after a lost link and found none). The caller is
      // retrying, so make a fresh attempt under a new uuid instead of replaying that failure.
      pending.resolve(key);
      return fiscal(key, task, what, true);
    }
    switch (status) {
      case 'ready':
        pending.resolve(key);
        return r?.result ?? {};
      case 'error':
        pending.resolve(key);
        throw deviceErrorFromAtol(r?.errorCode ?? ATOL_ERRORS.UNKNOWN, r?.errorDescription ?? '');
      case 'interrupted':
      case 'canceled':
        pending.resolve(key);
        throw new DeviceError('offline', 'device_offline', `${what}: the web server did not run the task (${status})`);
      case 'blocked':
        // The web server lost the device mid-document and stopped its queue until it can compare
        // FD counters (§2.5). Only a later poll of the same uuid can tell the outcome.
        throw answerLost(what);
      case 'wait':
        // Never started: cancel it so it cannot run behind our back; if that fails it may still run.
        if (await http.cancel(uuid)) {
          pending.resolve(key);
          throw new DeviceError('offline', 'device_offline', `${what}: the web server queue did not reach the task in time`);
        }
        throw answerLost(what);
      case 'inProgress':
        throw answerLost(what);
    }
  }

  async function getRegistration(): Promise<RegistrationInfo> {
    if (registration === null) {
      const [reg, info, fn] = await run([{ type: 'getRegistrationInfo' }, { type: 'getDeviceInfo' }, { type: 'getFnInfo' }]);
      registration = registrationOfResults({ registration: reg ?? {}, deviceInfo: info ?? {}, fnInfo: fn ?? {} });
      if (registration.model === '') registration.model = config.device_model;
    }
    return registration;
  }

  async function openShift(cashier: Cashier | null): Promise<ShiftDocument> {
    const task = { type: 'openShift', ...operatorOf(cashier) };
    return shiftOfFiscalParams(await fiscal(stableHash(task), task, 'openShift'), tz);
  }

  async function shiftState(): Promise<string> {
    const [s] = await run([{ type: 'getShiftStatus' }]);
    return String(obj(s ?? {}, 'shiftStatus').state);
  }

  return {
    model: 'atol',

    async open() {
      registration = null;
      await run([{ type: 'getDeviceStatus' }]);
    },

    async close() {
      // Stateless HTTP: nothing to release. The uuid journal is already on disk.
    },

    async status(): Promise<DeviceStatus> {
      const [device, shift, fnInfo, fnStatus, ofd] = await run([
        { type: 'getDeviceStatus' },
        { type: 'getShiftStatus' },
        { type: 'getFnInfo' },
        { type: 'getFnStatus' },
        { type: 'ofdExchangeStatus' },
      ]);
      return statusOfResults(
        { device: device ?? {}, shift: shift ?? {}, fnInfo: fnInfo ?? {}, fnStatus: fnStatus ?? {}, ofd: ofd ?? {} },
        tz,
      );
    },

    async registrationInfo() {
      registration = null;
      return { ...(await getRegistration()) };
    },

    openShift,

    async closeShift(cashier): Promise<ShiftDocument> {
      const task = { type: 'closeShift', ...operatorOf(cashier) };
      return shiftOfFiscalParams(await fiscal(stableHash(task), task, 'closeShift'), tz);
    },

    async xReport(): Promise<XReport> {
      // reportX prints and returns nothing; the numbers come from the counters read right after it.
      const [, totals, shift, device, fnStatus] = await run([
        { type: 'reportX' },
        { type: 'getShiftTotals' },
        { type: 'getShiftStatus' },
        { type: 'getDeviceStatus' },
        { type: 'getFnStatus' },
      ]);
      return xReportOfResults({ totals: totals ?? {}, shift: shift ?? {}, device: device ?? {}, fnStatus: fnStatus ?? {} }, tz);
    },

    async register(receipt: FiscalReceipt, options: RegisterOptions): Promise<FiscalResult> {
      const reg = await getRegistration();
      // ATOL firmware can auto-open a shift by itself, but that is a device setting we cannot
      // see; opening it explicitly keeps `autoOpenShift: false` meaning "refuse" (error 73).
      if (options.autoOpenShift && (await shiftState()) === 'closed') {
        await openShift(receipt.cashier);
      }
      const task = receiptToTask(receipt, reg.ffdVersion);
      const result = await fiscal(stableHash({ receipt }), { ...task }, task.type);
      return resultOfFiscalParams(result, { change: receipt.change, registration: reg }, tz);
    },

    async lastFdNumber() {
      const [s] = await run([{ type: 'getFnStatus' }]);
      return int(obj(s ?? {}, 'fnStatus'), 'fiscalDocumentNumber');
    },

    async document(fdNumber: number): Promise<FiscalDocument | null> {
      if (!Number.isSafeInteger(fdNumber) || fdNumber < 1) return null;
      const [r] = await query([{ type: 'getFnDocument', fiscalDocumentNumber: fdNumber, withRawData: false }]);
      // FN_NO_MORE_DATA: the FN has no document with that number.
      if (r?.status === 'error' && (r.errorCode === ATOL_ERRORS.FN_NO_MORE_DATA || r.errorCode === ATOL_ERRORS.INVALID_PARAM)) return null;
      return documentOfFnResult(resultOf(r), tz);
    },
  };
}

export const atolDriver: DriverFactory<AtolConfig> = {
  model: 'atol',
  title: { ru: 'АТОЛ', en: 'ATOL' },
  deviceModels: ATOL_DEVICE_MODELS,
  configSchema: atolConfigSchema,
  defaults: atolDefaults,
  create: (config, context) => createAtolDriver(config, context),
};
