import { MEASURES, TAX_SYSTEMS, isMeasure, isTaxSystem } from '../../../domain/enums.js';
import type { Measure } from '../../../domain/enums.js';
import type { MarkingCheckResult } from '../../../domain/ffd12.js';
import type { FiscalDocument, FiscalDriver, MarkingCheckRequest, RegistrationInfo, XReport } from '../../driver.js';
import { isEmulatorDriver } from '../../emulator/index.js';
import { ATOL_ERRORS } from '../errors.js';
import { fnDocumentResult } from '../fn-document.js';
import {
  MARKING_ERRORS,
  MARKING_MODE_STATUS,
  codeOfImc,
  dictValue,
  driverErrorOf,
  fractionOf,
  itemInfoCheckResultOf,
  offlineValidationOf,
  plannedStatusOf,
  validationStatusOf,
} from '../marking.js';
import { kopecksToRubles, quantityToMicros } from '../money.js';
import { isObject, isReceiptTaskType, RECEIPT_TASK_TYPES } from '../protocol.js';
import type { AtolFiscalParams, JsonObject } from '../protocol.js';
import { TaskError, taskToRegistration } from '../receipt-task.js';
import type { TaskRegistration } from '../receipt-task.js';
import { fiscalParamsOfArchiveClose, fiscalParamsOfResult, fiscalParamsOfShift, registrationToResults, shiftTotalsOfXReport, statusToResults } from '../results.js';
import { EXTRA_ERRORS, JsonTaskError, WEB_ERRORS, errorText } from './errors.js';
import { Fields, badValue, checkImcParams, checkOperator, checkReceiptTask, checkReportTask, missing } from './validate.js';

/**
 * What libfptr's processJson() does with one JSON task, played against a FiscalDriver: one row
 * per task type. DeviceErrors of the register propagate unchanged (the queue decides between
 * `error` and `blocked`); malformed or impossible tasks throw JsonTaskError with the vendor code.
 *
 * Result shapes follow the driver's task scripts (`Fptr.ok({...})` in each script, and
 * `getFiscalDocumentResult` for every fiscal document: `{fiscalParams, warnings}`).
 */
export interface TaskContext {
  driver: FiscalDriver;
  /** Registration data, read once per emulator run. */
  registration(): Promise<RegistrationInfo>;
  /** The X report taken by an earlier `reportX` of the same request, so getShiftTotals reads the same counters. */
  xReport: XReport | null;
  /** The marking-code check between requests: libfptr keeps one check at a time. */
  marking: MarkingSession;
}

export interface MarkingSession {
  /** The check begun (beginMarkingCodeValidation) and not yet accepted, declined or cancelled. */
  pending: MarkingCheckResult | null;
  /**
   * 2106 of the codes accepted since the last clear or marked receipt, in order: what the KKT
   * writes for a position whose `imcParams` leave out `itemInfoCheckResult`.
   */
  accepted: number[];
}

export interface TaskSpec {
  /**
   * Makes a fiscal document: the web server reads the FN's last FD number first and blocks the
   * queue when the outcome is lost. The list is the reimplementations' (ArchDemons/atolwebserver
   * `Utils.isFiscalOperation`, kktsite-agent `S_FISCAL_TASKS`).
   */
  readonly fiscal: boolean;
  run(task: Fields, ctx: TaskContext): Promise<JsonObject>;
}

const notSupported = (): never => {
  throw new JsonTaskError(ATOL_ERRORS.NOT_SUPPORTED);
};
/** A task ATOL's driver knows and the emulated register cannot do: the driver's NOT_SUPPORTED (11). */
const unsupported = (fiscal = false): TaskSpec => ({ fiscal, run: async () => notSupported() });

const cashierOf = (f: Fields): { name: string; inn: string | null } | null => {
  const op = f.optObject('operator');
  return op === undefined ? null : { name: op.string('name'), inn: op.optString('vatin') ?? null };
};

/** fiscalParams of a document read back from the archive (getLastFiscalParams, recovery after `blocked`). */
export function fiscalParamsOfDocument(doc: FiscalDocument, reg: RegistrationInfo): AtolFiscalParams {
  const fp: AtolFiscalParams = {
    fiscalDocumentNumber: doc.fdNumber,
    fiscalDocumentSign: doc.fiscalSign,
    fiscalDocumentDateTime: doc.dateTime,
    shiftNumber: doc.shiftNumber,
    fnNumber: reg.fnSerial,
    registrationNumber: reg.registrationNumber,
  };
  if (doc.receiptInShift !== null) fp.fiscalReceiptNumber = doc.receiptInShift;
  if (doc.totalSum !== null) fp.total = kopecksToRubles(doc.totalSum);
  return fp;
}

// ---- receipts and corrections ----

/** The one registered taxation system, which the device uses when the task names none. */
function defaultTaxation(reg: RegistrationInfo): string {
  const bits = Object.keys(TAX_SYSTEMS).map(Number).filter((b) => (reg.taxSystems & b) !== 0);
  const only = bits.length === 1 ? bits[0] : undefined;
  if (only === undefined || !isTaxSystem(only)) throw new JsonTaskError(ATOL_ERRORS.INVALID_TAXATION_TYPE);
  return TAX_SYSTEMS[only];
}

/**
 * The task as the register can take it: print-only elements dropped (nothing is printed), the
 * default taxation system filled in, numeric payment types as numbers.
 */
function registerableReceipt(f: Fields, reg: RegistrationInfo): JsonObject {
  const task = { ...f.raw };
  // The receipt script's own check of the marking codes (validateMarks inside the receipt): the
  // codes reach the register already checked and accepted, through the marking tasks.
  if (task.validateMarkingCodes === true) notSupported();
  // Print-only elements (text, barcode, pictureFromMemory, pixels) change nothing in the FN, and
  // the scripts skip element types they do not know: positions and the 1084 / 1192 elements remain.
  const fiscalElements = new Set(['position', 'userAttribute', 'additionalAttribute']);
  task.items = f.objects('items', true).map((i) => i.raw).filter((i) => typeof i.type === 'string' && fiscalElements.has(i.type));
  task.payments = f.objects('payments', true).map((p) => {
    const t = typeof p.raw.type === 'string' && /^\d+$/.test(p.raw.type) ? Number(p.raw.type) : p.raw.type;
    if (typeof t === 'number' && t > 4) throw new JsonTaskError(EXTRA_ERRORS.INVALID_PAYMENT_TYPE);
    return { ...p.raw, type: t };
  });
  if (task.taxationType === undefined) task.taxationType = defaultTaxation(reg);
  // 1178 is required in a correction's 1174 (FFD 1.05 and 1.2): the FN refuses the document.
  if (isReceiptTaskType(task.type) && task.type.endsWith('Correction') && task.correctionBaseDate === undefined) {
    throw new JsonTaskError(EXTRA_ERRORS.NO_REQUIRED_FISCAL_PROPERTY);
  }
  return task;
}

function toRegistration(task: JsonObject, reg: RegistrationInfo): TaskRegistration {
  try {
    return taskToRegistration(task, reg.ffdVersion);
  } catch (err) {
    if (err instanceof TaskError) {
      // A malformed field the checks above did not name is still the scripts' parse error; a
      // refusal of the device (11, 161) keeps its own code.
      throw new JsonTaskError(err.atolCode === ATOL_ERRORS.INVALID_PARAM ? WEB_ERRORS.RECEIPT_PARSE_ERROR : err.atolCode, err.message);
    }
    throw err;
  }
}

const receiptTask: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    const reg = await ctx.registration();
    checkReceiptTask(f, reg.ffdVersion);
    const { receipt, marking } = toRegistration(registerableReceipt(f, reg), reg);
    if (marking) {
      // A position without its check result gets the one the FN saved for it, in acceptance order.
      let next = 0;
      marking.forEach((check, i) => {
        if (receipt.items[i]?.ffd12?.marking == null) return;
        marking[i] = check ?? ctx.marking.accepted[next] ?? null;
        next += 1;
      });
    }
    // The emulated register has automatic shift opening switched off: a closed shift is error 73.
    const res = await ctx.driver.register(receipt, { autoOpenShift: false, ...(marking ? { marking } : {}) });
    // The FN drops every saved result with a marked receipt.
    if (marking) ctx.marking.accepted = [];
    return { fiscalParams: fiscalParamsOfResult(res), warnings: { notPrinted: false } };
  },
};

// ---- shift and reports ----

const openShift: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    checkReportTask(f);
    const d = await ctx.driver.openShift(cashierOf(f));
    return { fiscalParams: fiscalParamsOfShift(d, await ctx.registration()), warnings: { notPrinted: false } };
  },
};

const closeShift: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    checkReportTask(f);
    // getFiscalDocumentResult adds the shift's receipt count to a close-shift document.
    const receiptsCount = (await ctx.driver.status()).shift.receiptsInShift;
    const d = await ctx.driver.closeShift(cashierOf(f));
    return { fiscalParams: { ...fiscalParamsOfShift(d, await ctx.registration()), receiptsCount }, warnings: { notPrinted: false } };
  },
};

/**
 * The report on closing the FN (json_closeArchive.js: `operator`, `electronically`, then
 * fnOperation(LIBFPTR_FNOP_CLOSE_ARCHIVE) and getFiscalDocumentResult). The register behind the
 * emulator closes its FN archive when its driver can; otherwise the driver's NOT_SUPPORTED.
 */
const closeArchive: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    checkReportTask(f);
    const { driver } = ctx;
    if (driver.closeArchive === undefined) return notSupported();
    const shiftNumber = (await driver.status()).shift.number;
    const d = await driver.closeArchive(cashierOf(f));
    return { fiscalParams: fiscalParamsOfArchiveClose(d, shiftNumber, await ctx.registration()), warnings: { notPrinted: false } };
  },
};

/** The state-of-settlements report (FD 21): only the virtual register can make one through its API. */
const reportOfdExchangeStatus: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    checkReportTask(f);
    const { driver } = ctx;
    if (!isEmulatorDriver(driver)) return notSupported();
    const s = await driver.stateReport();
    const status: JsonObject = { notSentCount: s.unsentCount };
    if (s.oldestUnsentAt !== null) status.notSentFirstDocDateTime = s.oldestUnsentAt;
    return { fiscalParams: fiscalParamsOfShift(s, await ctx.registration()), status, warnings: { notPrinted: false } };
  },
};

const reportX: TaskSpec = {
  fiscal: false,
  async run(f, ctx) {
    checkReportTask(f);
    // The report script returns Fptr.ok() with nothing; the sums come from getShiftTotals.
    ctx.xReport = await ctx.driver.xReport();
    return {};
  },
};

const query = (read: (f: Fields, ctx: TaskContext) => Promise<JsonObject>): TaskSpec => ({ fiscal: false, run: read });

type StatusTask = keyof ReturnType<typeof statusToResults>;
const statusTask = (type: StatusTask): TaskSpec => query(async (_f, ctx) => statusToResults(await ctx.driver.status())[type]);
type RegistrationTask = keyof ReturnType<typeof registrationToResults>;
const registrationTask = (type: RegistrationTask): TaskSpec =>
  query(async (_f, ctx) => registrationToResults(await ctx.registration())[type]);

const getFnDocument = query(async (f, ctx) => {
  const n = f.number('fiscalDocumentNumber');
  f.optBoolean('withRawData');
  const doc = Number.isSafeInteger(n) && n >= 1 ? await ctx.driver.document(n) : null;
  if (doc === null) throw new JsonTaskError(ATOL_ERRORS.FN_NO_MORE_DATA);
  return fnDocumentResult(doc);
});

const getLastFiscalParams = query(async (f, ctx) => {
  f.optBoolean('forReceipt');
  const n = await ctx.driver.lastFdNumber();
  const doc = n > 0 ? await ctx.driver.document(n) : null;
  if (doc === null) throw new JsonTaskError(ATOL_ERRORS.FN_NO_MORE_DATA);
  return { fiscalParams: fiscalParamsOfDocument(doc, await ctx.registration()) };
});

/**
 * Finishes a document whose printout was interrupted. The emulated register never leaves a
 * printout pending, so there is nothing to finish unless it reports no paper, which a real
 * device answers with NO_PAPER.
 */
const continuePrint = query(async (_f, ctx) => {
  if (!(await ctx.driver.status()).paperPresent) throw new JsonTaskError(ATOL_ERRORS.NO_PAPER);
  return {};
});

/**
 * Cash in / out (`cashSum`, the cash-in script): the register behind the emulator has no cash
 * drawer counters in its API, so after the script's own field checks the answer is NOT_SUPPORTED.
 */
const cashMovement = query(async (f) => {
  f.number('cashSum');
  f.optBoolean('electronically');
  checkOperator(f);
  return notSupported();
});

const RECEIPT_ROWS = RECEIPT_TASK_TYPES.map((t) => [t, receiptTask] as const);

const keyOfValue = (table: Readonly<Record<string, number>>, value: number): string =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? '';

// ---- FFD 1.2 marking (myscripts_marks.js, json_checkImcWorkState.js, json_ismExchangeStatus.js) ----

const MEASURE_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(MEASURES).map(([n, name]) => [name, Number(n)]));
const UNIT_NAMES: ReadonlySet<string> = new Set(Object.values(MEASURES));

/** beginMarkingCodeValidation `params` → the FiscalDriver's check request. */
function markingRequest(f: Fields): MarkingCheckRequest {
  const p = f.object('params');
  checkImcParams(p);
  const quantity = p.optNumber('itemQuantity');
  const units = p.dict('itemUnits', UNIT_NAMES);
  const wait = p.optBoolean('waitForResult');
  const notSend = p.optBoolean('notSendToServer');
  const status = p.raw.itemEstimatedStatus;
  if (status === undefined || status === null) throw missing(p.path('itemEstimatedStatus'));
  const plannedStatus = plannedStatusOf(status);
  if (plannedStatus === undefined) throw badValue(p.path('itemEstimatedStatus'), status);
  const mode = p.optNumber('imcModeProcessing');
  // 2102: FFD 1.2 allows only 0.
  if (mode !== undefined && mode !== 0) throw new JsonTaskError(ATOL_ERRORS.INVALID_PARAM);
  const fractionText = p.optString('itemFractionalAmount');
  const fractional = fractionText === undefined ? null : fractionOf(fractionText);
  if (fractionText !== undefined && fractional === null) throw badValue(p.path('itemFractionalAmount'), fractionText);
  const unit = units === undefined ? 0 : dictValue(MEASURE_BY_NAME, units);
  if (unit === undefined || !isMeasure(unit)) throw badValue(p.path('itemUnits'), units);
  const measure: Measure = unit;
  return {
    code: codeOfImc(p.string('imc')),
    plannedStatus,
    measure,
    quantity: quantity === undefined ? null : quantityToMicros(quantity),
    fractional,
    // notSendToServer: the FN checks alone (LIBFPTR_PARAM_MARKING_NOT_SEND_TO_SERVER); so does a
    // check that does not wait for the answer, as far as the register can tell.
    offline: notSend === true || wait === false,
  };
}

const beginMarkingCodeValidation = query(async (f, ctx) => {
  const request = markingRequest(f);
  // libfptr runs one check at a time: a second begin before accept / decline / cancel is refused.
  if (ctx.marking.pending !== null) throw new JsonTaskError(MARKING_ERRORS.VALIDATION_IN_PROGRESS);
  const result = await ctx.driver.checkMarkingCode(request);
  ctx.marking.pending = result;
  return { offlineValidation: offlineValidationOf(result) };
});

/**
 * The register answers the whole check at once, so the status is `ready` from the first poll.
 * Without a check the script's call fails and it answers only `driverError` (wrong state, 410).
 */
const getMarkingCodeValidationStatus = query(async (_f, ctx) => {
  const pending = ctx.marking.pending;
  if (pending === null) return { driverError: driverErrorOf(MARKING_ERRORS.INVALID_STATE, errorText(MARKING_ERRORS.INVALID_STATE)) };
  return validationStatusOf(pending, errorText);
});

/** accept / decline need the check begun before them, as the FN needs B1 before B2. */
const takePending = (ctx: TaskContext): MarkingCheckResult => {
  const pending = ctx.marking.pending;
  if (pending === null) throw new JsonTaskError(MARKING_ERRORS.INVALID_STATE);
  ctx.marking.pending = null;
  return pending;
};

const acceptMarkingCode = query(async (_f, ctx) => {
  takePending(ctx);
  const bits = await ctx.driver.acceptMarkingCode(true);
  ctx.marking.accepted.push(bits);
  return { itemInfoCheckResult: itemInfoCheckResultOf(bits) };
});

const declineMarkingCode = query(async (_f, ctx) => {
  takePending(ctx);
  await ctx.driver.acceptMarkingCode(false);
  return {};
});

/** Drops the check in progress, if any: the FN gets the decline it would otherwise wait for. */
const cancelMarkingCodeValidation = query(async (_f, ctx) => {
  if (ctx.marking.pending !== null) {
    ctx.marking.pending = null;
    await ctx.driver.acceptMarkingCode(false);
  }
  return {};
});

const clearMarkingCodeValidationResult = query(async (_f, ctx) => {
  ctx.marking.pending = null;
  ctx.marking.accepted = [];
  await ctx.driver.clearMarkingCodes();
  return {};
});

/**
 * checkImcWorkState `fm`: the virtual register reports its FN state (the same 0–4 as
 * LIBFPTR_MCS_*), its saved results and unconfirmed notices; another FiscalDriver only blocked or
 * not, so the state comes from the check in progress. soldImcCount, noticeIsBegin,
 * noticeFreeMemory and `ecr` (the KKT's exchange stage) are left out rather than made up.
 */
const checkImcWorkState = query(async (_f, ctx) => {
  const { driver } = ctx;
  if (isEmulatorDriver(driver)) {
    const work = await driver.markingWork();
    const status = keyOfValue(MARKING_MODE_STATUS, work.state);
    return { fm: { status, checkingCount: work.acceptedCount, noticeUnsentCount: work.unconfirmed.count } };
  }
  const state = await driver.markingState();
  const pending = ctx.marking.pending;
  const status = state.blocked ? 'blocked' : pending === null ? 'noImcForCheck' : pending.operator.answered ? 'receivedImcStatus' : 'receivedImc';
  return { fm: { status, checkingCount: ctx.marking.accepted.length, noticeUnsentCount: state.unconfirmedNotifications } };
});

/** `status` of json_ismExchangeStatus.js; the exchange `errors` are not known to the register and are left out. */
const ismExchangeStatus = query(async (_f, ctx) => {
  const { driver } = ctx;
  const state = await driver.markingState();
  const status: JsonObject = { notSentCount: state.unconfirmedNotifications };
  if (state.oldestUnconfirmedAt !== null) status.notSentFirstNoticeDateTime = state.oldestUnconfirmedAt;
  if (isEmulatorDriver(driver)) {
    const first = (await driver.markingWork()).unconfirmed.firstNumber;
    if (first !== null) status.notSentFirstNoticeNumber = first;
  }
  return { status, warnings: {} };
});

/**
 * Every task type the emulator recognises. Besides the ones it performs, the table lists the
 * types ATOL's driver documents (JsonTaskType of the typed client pbardov/node-atol-rpc, the
 * Dart client dev-company/fptr10_service `fptr_json_task.dart`) which the emulated register cannot
 * do: they answer NOT_SUPPORTED instead of "unknown type".
 */
export const TASKS: ReadonlyMap<string, TaskSpec> = new Map<string, TaskSpec>([
  ...RECEIPT_ROWS,
  ['openShift', openShift],
  ['closeShift', closeShift],
  ['closeArchive', closeArchive],
  ['reportX', reportX],
  ['reportOfdExchangeStatus', reportOfdExchangeStatus],
  ['getShiftTotals', query(async (_f, ctx) => shiftTotalsOfXReport(ctx.xReport ?? (await ctx.driver.xReport())))],
  ['getShiftStatus', statusTask('getShiftStatus')],
  ['getDeviceStatus', statusTask('getDeviceStatus')],
  ['getFnInfo', statusTask('getFnInfo')],
  ['getFnStatus', statusTask('getFnStatus')],
  ['ofdExchangeStatus', statusTask('ofdExchangeStatus')],
  ['getRegistrationInfo', registrationTask('getRegistrationInfo')],
  ['getDeviceInfo', registrationTask('getDeviceInfo')],
  ['getFnDocument', getFnDocument],
  ['getLastFiscalParams', getLastFiscalParams],
  ['continuePrint', continuePrint],
  ['cashIn', cashMovement],
  ['cashOut', cashMovement],
  ['beginMarkingCodeValidation', beginMarkingCodeValidation],
  ['getMarkingCodeValidationStatus', getMarkingCodeValidationStatus],
  ['acceptMarkingCode', acceptMarkingCode],
  ['declineMarkingCode', declineMarkingCode],
  ['cancelMarkingCodeValidation', cancelMarkingCodeValidation],
  ['clearMarkingCodeValidationResult', clearMarkingCodeValidationResult],
  ['checkImcWorkState', checkImcWorkState],
  ['ismExchangeStatus', ismExchangeStatus],
  // Fiscal documents the emulated register cannot make.
  ...['registration', 'changeRegistrationParameters', 'fnChange'].map((t) => [t, unsupported(true)] as const),
  // Printing, the cash drawer, device settings, counters, and the batch / ping marking tasks.
  ...[
    'printLastReceiptCopy', 'printFnDocument', 'printDocumentsFromJournal', 'nonFiscal', 'openCashDrawer',
    'getCashDrawerStatus', 'getOverallTotals', 'getDepartmentSum', 'reportDepartments', 'reportFnRegistrations',
    'setDateTime', 'getDeviceParameters', 'setDeviceParameters', 'getMcu', 'getLicenses', 'pingIsm',
    'checkMarkingCodeValidationsReady', 'validateMarks', 'addMarksToBuffer',
  ].map((t) => [t, unsupported()] as const),
]);

/** The row of a task, or the driver's parse error for a missing, non-string or unknown `type`. */
export function taskSpec(task: JsonObject): TaskSpec {
  const type = new Fields(task).string('type');
  const spec = TASKS.get(type);
  if (spec === undefined) throw badValue('type', type);
  return spec;
}

/** Whether the task makes a fiscal document (false for anything malformed). */
export const isFiscalTask = (task: unknown): boolean => isObject(task) && typeof task.type === 'string' && TASKS.get(task.type)?.fiscal === true;

export async function executeTask(task: JsonObject, ctx: TaskContext): Promise<JsonObject> {
  return taskSpec(task).run(new Fields(task), ctx);
}
