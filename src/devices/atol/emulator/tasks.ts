import { TAX_SYSTEMS, isTaxSystem } from '../../../domain/enums.js';
import type { FiscalReceipt } from '../../../domain/receipt.js';
import type { FiscalDocument, FiscalDriver, RegistrationInfo, XReport } from '../../driver.js';
import { isEmulatorDriver } from '../../emulator/index.js';
import { ATOL_ERRORS } from '../errors.js';
import { fnDocumentResult } from '../fn-document.js';
import { kopecksToRubles } from '../money.js';
import { isObject, isReceiptTaskType, RECEIPT_TASK_TYPES } from '../protocol.js';
import type { AtolFiscalParams, JsonObject } from '../protocol.js';
import { TaskError, taskToReceipt } from '../receipt-task.js';
import { fiscalParamsOfResult, fiscalParamsOfShift, registrationToResults, shiftTotalsOfXReport, statusToResults } from '../results.js';
import { EXTRA_ERRORS, JsonTaskError, WEB_ERRORS } from './errors.js';
import { Fields, badValue, checkOperator, checkReceiptTask, checkReportTask } from './validate.js';

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
  const items = f.objects('items', true).map((i) => i.raw);
  for (const item of items) {
    // Fiscal data the emulated register cannot store (1084 / 1192 as an item).
    if (item.type === 'userAttribute' || item.type === 'additionalAttribute') notSupported();
  }
  // Print-only elements (text, barcode, pictureFromMemory, pixels) change nothing in the FN, and
  // the scripts skip element types they do not know: only positions reach the register.
  task.items = items.filter((i) => i.type === 'position');
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

function toReceipt(task: JsonObject, reg: RegistrationInfo): FiscalReceipt {
  try {
    return taskToReceipt(task, reg.ffdVersion);
  } catch (err) {
    // Anything the field checks above did not name is still a malformed task for the driver.
    if (err instanceof TaskError) throw new JsonTaskError(WEB_ERRORS.RECEIPT_PARSE_ERROR, err.message);
    throw err;
  }
}

const receiptTask: TaskSpec = {
  fiscal: true,
  async run(f, ctx) {
    const reg = await ctx.registration();
    checkReceiptTask(f, reg.ffdVersion);
    const receipt = toReceipt(registerableReceipt(f, reg), reg);
    // The emulated register has automatic shift opening switched off: a closed shift is error 73.
    const res = await ctx.driver.register(receipt, { autoOpenShift: false });
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
  // Fiscal documents the emulated register cannot make.
  ...['registration', 'changeRegistrationParameters', 'fnChange', 'closeArchive'].map((t) => [t, unsupported(true)] as const),
  // Printing, the cash drawer, device settings, counters and marking the register does not have.
  ...[
    'printLastReceiptCopy', 'printFnDocument', 'printDocumentsFromJournal', 'nonFiscal', 'openCashDrawer',
    'getCashDrawerStatus', 'getOverallTotals', 'getDepartmentSum', 'reportDepartments', 'reportFnRegistrations',
    'setDateTime', 'getDeviceParameters', 'setDeviceParameters', 'getMcu', 'getLicenses', 'ismExchangeStatus', 'pingIsm',
    'checkImcWorkState', 'beginMarkingCodeValidation', 'getMarkingCodeValidationStatus', 'acceptMarkingCode',
    'declineMarkingCode', 'cancelMarkingCodeValidation', 'clearMarkingCodeValidationResult',
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
