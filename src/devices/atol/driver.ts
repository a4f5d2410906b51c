import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MEASURES } from '../../domain/enums.js';
import type { MarkingCheckResult } from '../../domain/ffd12.js';
import { isMarkingCodeError, parseMarkingCode } from '../../domain/marking-code.js';
import type { Cashier, FiscalReceipt } from '../../domain/receipt.js';
import { DeviceError } from '../driver.js';
import type {
  ArchiveCloseDocument,
  DeviceStatus,
  DriverContext,
  DriverFactory,
  FiscalDocument,
  FiscalDriver,
  FiscalResult,
  MarkingCheckRequest,
  MarkingState,
  RegisterOptions,
  RegistrationInfo,
  ShiftDocument,
  XReport,
} from '../driver.js';
import { createAtolClient } from './client.js';
import type { AtolClient } from './client.js';
import { ATOL_DEVICE_MODELS, atolConfigSchema, atolDefaults } from './config.js';
import type { AtolConfig } from './config.js';
import { normalizeDateTime } from './datetime.js';
import { ATOL_ERRORS, deviceErrorFromAtol } from './errors.js';
import { documentOfFnResult } from './fn-document.js';
import { int, obj, optObj } from './json-read.js';
import { ESTIMATED_STATUS, checkBitsOf, checkResultOf, fractionText, imcOf } from './marking.js';
import { microsToQuantity } from './money.js';
import { createPendingUuids, stableHash } from './pending-uuids.js';
import type { PendingUuids } from './pending-uuids.js';
import { isObject } from './protocol.js';
import type { JsonObject, SubtaskResult } from './protocol.js';
import { receiptToTask } from './receipt-task.js';
import { archiveCloseOfFiscalParams, registrationOfResults, resultOfFiscalParams, shiftOfFiscalParams, statusOfResults, xReportOfResults } from './results.js';

const operatorOf = (c: Cashier | null): JsonObject =>
  c === null ? {} : { operator: c.inn ? { name: c.name, vatin: c.inn } : { name: c.name } };

const answerLost = (what: string): DeviceError =>
  new DeviceError('in_doubt', 'answer_lost', `${what}: the ATOL web server did not report the outcome`, { retryable: true });

/**
 * 2100 of a check no answer named (offline, or no operator): what the code's structure gives
 * (domain/marking-code.ts), except that a 44-character check code the FN could not check for want
 * of its key is type 3, "not checked in the FN", not 4 (2100 values of FFD 1.2).
 */
const localCodeType = (code: string) => (fn: MarkingCheckResult['fn']): number => {
  const parsed = parseMarkingCode(code, 'raw');
  if (isMarkingCodeError(parsed)) return 0;
  return parsed.codeType === 4 && !fn.checked && fn.reason === 'no_keys' ? 3 : parsed.codeType;
};

/** A code the FN saved with acceptMarkingCode, for the receipt that will carry it. */
interface AcceptedCode {
  code: string;
  plannedStatus: number;
  check: number;
}

/**
 * The FN-M's rule for a receipt's marked items, checked before anything is sent: each must be the
 * next code the FN accepted, with the planned status it was checked with, and RegisterOptions.marking
 * must carry that check's 2106 (the KKT refuses a position whose code was not checked:
 * LIBFPTR_ERROR_MARK_NOT_CHECKED / NO_MARKING_CODE_IN_TABLE). Refusing here rather than at the
 * device keeps an auto-opened shift from being the only document of a refused receipt.
 */
function checkAccepted(receipt: FiscalReceipt, marking: readonly (number | null)[] | undefined, saved: readonly AcceptedCode[]): void {
  let next = 0;
  receipt.items.forEach((item, i) => {
    const m = item.ffd12?.marking ?? null;
    const stated = marking?.[i] ?? null;
    const refuse = (why: string): never => {
      throw new DeviceError('rejected', 'invalid_document', `item ${i + 1} "${item.name}": ${why}`);
    };
    if (m === null) {
      if (stated !== null) refuse(`no marking code but a check result 2106 = ${stated}`);
      return;
    }
    const s = saved[next];
    next += 1;
    if (s?.code !== m.code) refuse('its marking code is not the next one the FN accepted (check and accept each code, in item order)');
    if (s !== undefined && s.plannedStatus !== m.plannedStatus) refuse(`planned status 2003 = ${m.plannedStatus}, the code was checked with ${s.plannedStatus}`);
    if (s !== undefined && stated !== null && stated !== s.check) refuse(`check result 2106 = ${stated}, the FN accepted it with ${s.check}`);
  });
}

/**
 * beginMarkingCodeValidation `params` (marks.executeBeginMarkingCodeValidation; KKTServiceLib
 * `MarkingCodeParams_12`): quantity and measure only for measured goods (2003 = 2 / 4), as the FN
 * refuses 1023 in the request of a piece item. Offline: the FN checks alone, no request is sent.
 */
function validationParams(req: MarkingCheckRequest): JsonObject {
  const params: JsonObject = {
    imc: imcOf(req.code),
    imcType: 'auto',
    itemEstimatedStatus: ESTIMATED_STATUS[req.plannedStatus],
    imcModeProcessing: 0,
  };
  if (req.quantity !== null) {
    params.itemQuantity = microsToQuantity(req.quantity);
    params.itemUnits = MEASURES[req.measure];
  }
  if (req.fractional) params.itemFractionalAmount = fractionText(req.fractional);
  if (req.offline) {
    params.waitForResult = false;
    params.notSendToServer = true;
  } else {
    params.waitForResult = true;
  }
  return params;
}

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
    // `interrupted` follows an `error` of the same request: the error is the answer.
    const finished = (r: SubtaskResult): boolean => r.status === 'ready' || r.status === 'error' || r.status === 'interrupted';
    if (results === null || results.length !== tasks.length || !results.every(finished) || !results.some((r) => r.status !== 'interrupted')) {
      // Still queued behind a blocked or slow request: take it back so it does not run later.
      await http.cancel(uuid);
      throw new DeviceError('offline', 'device_offline', 'the ATOL web server did not answer in time');
    }
    return results;
  }

  const resultOf = (r: SubtaskResult | undefined): JsonObject => {
    if (r === undefined) throw new DeviceError('offline', 'device_offline', 'missing subtask result');
    if (r.status === 'error') throw deviceErrorFromAtol(r.errorCode, r.errorDescription);
    if (r.status !== 'ready') throw new DeviceError('offline', 'device_offline', `the web server did not run the task (${r.status})`);
    return r.result ?? {};
  };

  const run = async (tasks: JsonObject[]): Promise<JsonObject[]> => (await query(tasks)).map(resultOf);

  /**
   * One fiscal task (receipt, correction, shift). `key` identifies the operation for the uuid
   * journal (see pending-uuids.ts): a resend after an unknown outcome reuses the uuid.
   */
  async function fiscal(key: string, task: JsonObject, what: string, isRetry = false): Promise<JsonObject> {
    const uuid = await pending.uuidFor(key);
    // 409 means an earlier attempt with this uuid was queued: poll it instead of re-queueing.
    ctx.checkFence?.();
    const outcome = await http.submit(uuid, [task]);
    const r = (await http.wait(uuid))?.[0];
    const status = r?.status ?? 'wait';
    if (outcome === 'exists' && !isRetry && (status === 'error' || status === 'interrupted' || status === 'canceled')) {
      // The earlier attempt whose outcome we never learned ended without a document (e.g. the
      // web server compared FD counters after a lost link and found none). The caller is
      // retrying, so make a fresh attempt under a new uuid instead of replaying that failure.
      await pending.resolve(key);
      return fiscal(key, task, what, true);
    }
    switch (status) {
      case 'ready':
        await pending.resolve(key);
        return r?.result ?? {};
      case 'error':
        await pending.resolve(key);
        throw deviceErrorFromAtol(r?.errorCode ?? ATOL_ERRORS.UNKNOWN, r?.errorDescription ?? '');
      case 'interrupted':
      case 'canceled':
        await pending.resolve(key);
        throw new DeviceError('offline', 'device_offline', `${what}: the web server did not run the task (${status})`);
      case 'blocked':
        // The web server lost the device mid-document and stopped its queue until it can compare
        // FD counters (§2.5). Only a later poll of the same uuid can tell the outcome.
        throw answerLost(what);
      case 'wait':
        // Never started: cancel it so it cannot run behind our back; if that fails it may still run.
        if (await http.cancel(uuid)) {
          await pending.resolve(key);
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

  /** The FN-M's marking commands exist only on an FFD 1.2 register. */
  async function requireMarking(): Promise<void> {
    if ((await getRegistration()).ffdVersion !== '120') {
      throw new DeviceError('rejected', 'not_supported', 'marking codes need an FFD 1.2 register with an FN-M');
    }
  }

  /** The check begun last and not yet accepted or declined: a decline returns its 2106. */
  let lastCheck: { request: MarkingCheckRequest; result: MarkingCheckResult } | null = null;
  /**
   * The codes the FN saved (accepted) since the last clear, in order, as this driver made them;
   * null while not known (no clear since the driver was made, or a receipt whose outcome was lost).
   */
  let accepted: AcceptedCode[] | null = null;

  /** Drops a check in progress; its outcome does not matter (nothing in progress is fine too). */
  async function cancelValidation(): Promise<void> {
    await query([{ type: 'cancelMarkingCodeValidation' }]).catch(() => undefined);
  }

  /**
   * beginMarkingCodeValidation, then getMarkingCodeValidationStatus until `ready` (the scripts'
   * own loop, marks.executeValidateMarks, polls the same way), bounded by timeout_ms. The first
   * status poll travels in the begin's request.
   */
  async function checkMarkingCode(req: MarkingCheckRequest): Promise<MarkingCheckResult> {
    await requireMarking();
    lastCheck = null;
    try {
      const result = await runCheck(req);
      lastCheck = { request: req, result };
      return result;
    } catch (err) {
      // Whatever failed, leave no check begun: the next begin would be refused (401, imcCheckIsRun).
      await cancelValidation();
      throw err;
    }
  }

  async function runCheck(req: MarkingCheckRequest): Promise<MarkingCheckResult> {
    const deadline = ctx.clock.now() + config.timeout_ms;
    const [beginResult, firstStatus] = await query([
      { type: 'beginMarkingCodeValidation', params: validationParams(req) },
      { type: 'getMarkingCodeValidationStatus' },
    ]);
    const begin = resultOf(beginResult);
    let status = resultOf(firstStatus);
    while (status.ready !== true) {
      // The status call itself failed: the script answers ok with only `driverError`.
      const err = status.driverError;
      if (status.ready === undefined && isObject(err) && typeof err.code === 'number' && err.code !== 0) {
        throw deviceErrorFromAtol(err.code, typeof err.description === 'string' ? err.description : '');
      }
      if (ctx.clock.now() >= deadline) throw new DeviceError('offline', 'device_offline', 'the marking code check did not finish in time');
      await sleep(config.poll_interval_ms);
      status = (await run([{ type: 'getMarkingCodeValidationStatus' }]))[0] ?? {};
    }
    const outcome = checkResultOf(begin, status, req.offline, localCodeType(req.code));
    if (outcome.kind === 'error') throw deviceErrorFromAtol(outcome.code, outcome.description);
    return outcome.result;
  }

  async function acceptMarkingCode(accept: boolean): Promise<number> {
    await requireMarking();
    const checked = lastCheck;
    lastCheck = null;
    if (!accept) {
      await run([{ type: 'declineMarkingCode' }]);
      return checked?.result.itemCheckResult ?? 0;
    }
    // acceptMarkingCode answers the 2106 the FN keeps for the item (AcceptMarkingCodeResult).
    const [r] = await run([{ type: 'acceptMarkingCode' }]);
    const result = optObj(r ?? {}, 'itemInfoCheckResult');
    const bits = Object.keys(result).length > 0 ? checkBitsOf(result) : (checked?.result.itemCheckResult ?? 0);
    if (accepted !== null && checked !== null) accepted.push({ code: checked.request.code, plannedStatus: checked.request.plannedStatus, check: bits });
    else accepted = null;
    return bits;
  }

  async function clearMarkingCodes(): Promise<void> {
    await requireMarking();
    lastCheck = null;
    // A check begun and never accepted or declined would keep the FN in its B1..B6 state.
    await cancelValidation();
    accepted = null;
    await run([{ type: 'clearMarkingCodeValidationResult' }]);
    accepted = [];
  }

  /**
   * checkImcWorkState (fm.status "blocked" = LIBFPTR_MCS_BLOCK) and ismExchangeStatus (notices the
   * marking operator has not confirmed, json_ismExchangeStatus.js).
   */
  async function markingState(): Promise<MarkingState> {
    await requireMarking();
    const [work, exchange] = await run([{ type: 'checkImcWorkState' }, { type: 'ismExchangeStatus' }]);
    const fm = optObj(work ?? {}, 'fm');
    const st = optObj(exchange ?? {}, 'status');
    const count = int(st, 'notSentCount', 0);
    // With nothing unsent the script still fills the date from an empty FN field: ignore it.
    const oldest = count > 0 ? normalizeDateTime(st.notSentFirstNoticeDateTime, tz) : '';
    return { blocked: fm.status === 'blocked', unconfirmedNotifications: count, oldestUnconfirmedAt: oldest === '' ? null : oldest };
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

    /**
     * LIBFPTR_FNOP_CLOSE_ARCHIVE through the closeArchive JSON task: a fiscal task like the shift
     * reports (its uuid journal makes a resend safe, a lost answer is in doubt).
     */
    async closeArchive(cashier): Promise<ArchiveCloseDocument> {
      const task = { type: 'closeArchive', ...operatorOf(cashier) };
      const result = await fiscal(stableHash(task), task, 'closeArchive');
      // A new FN (and its registration) follows: nothing read before holds.
      registration = null;
      return archiveCloseOfFiscalParams(result, tz);
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
      // Everything refusable before a document is refused before the shift is opened for it.
      const task = receiptToTask(receipt, reg.ffdVersion, options.marking);
      if (accepted !== null) checkAccepted(receipt, options.marking, accepted);
      // ATOL firmware can auto-open a shift by itself, but that is a device setting we cannot
      // see; opening it explicitly keeps `autoOpenShift: false` meaning "refuse" (error 73).
      if (options.autoOpenShift && (await shiftState()) === 'closed') {
        await openShift(receipt.cashier);
      }
      let result: JsonObject;
      try {
        result = await fiscal(stableHash({ receipt }), { ...task }, task.type);
      } catch (err) {
        // A receipt the FN may have closed may have used the saved codes.
        if (err instanceof DeviceError && err.kind === 'in_doubt') accepted = null;
        throw err;
      }
      // The FN drops every saved result with a receipt (FN-M B2 results serve the next receipt).
      if (reg.ffdVersion === '120') accepted = [];
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

    checkMarkingCode,
    acceptMarkingCode,
    clearMarkingCodes,
    markingState,
  };
}

export const atolDriver: DriverFactory<AtolConfig> = {
  model: 'atol',
  title: { ru: 'АТОЛ', en: 'ATOL' },
  deviceModels: ATOL_DEVICE_MODELS,
  capabilities: { closeArchive: true },
  configSchema: atolConfigSchema,
  defaults: atolDefaults,
  create: (config, context) => createAtolDriver(config, context),
};
