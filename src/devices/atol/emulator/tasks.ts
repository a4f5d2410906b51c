import type { FiscalDocument, FiscalDriver, RegistrationInfo, XReport } from '../../driver.js';
import { ATOL_ERRORS } from '../errors.js';
import { fnDocumentResult } from '../fn-document.js';
import { kopecksToRubles } from '../money.js';
import { isObject, isReceiptTaskType, isTaskType } from '../protocol.js';
import type { AtolFiscalParams, JsonObject } from '../protocol.js';
import { TaskError, taskToReceipt } from '../receipt-task.js';
import { fiscalParamsOfResult, fiscalParamsOfShift, registrationToResults, shiftTotalsOfXReport, statusToResults } from '../results.js';

/**
 * What libfptr's processJson() does with one JSON task, played against a FiscalDriver.
 * DeviceErrors from the driver propagate unchanged (the queue decides between `error` and
 * `blocked`); malformed tasks throw TaskError.
 */
export interface TaskContext {
  driver: FiscalDriver;
  /** Registration data, read once per emulator run. */
  registration(): Promise<RegistrationInfo>;
  /** The X report taken by an earlier `reportX` of the same request, so getShiftTotals reads the same counters. */
  xReport: XReport | null;
}

const cashierOf = (task: JsonObject): { name: string; inn: string | null } | null => {
  const op = task.operator;
  if (!isObject(op) || typeof op.name !== 'string') return null;
  return { name: op.name, inn: typeof op.vatin === 'string' ? op.vatin : null };
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

export async function executeTask(task: JsonObject, ctx: TaskContext): Promise<JsonObject> {
  const type = task.type;
  if (!isTaskType(type)) throw new TaskError(ATOL_ERRORS.NOT_SUPPORTED, `unsupported task type ${JSON.stringify(type)}`);
  const { driver } = ctx;
  if (isReceiptTaskType(type)) {
    const reg = await ctx.registration();
    const receipt = taskToReceipt(task, reg.ffdVersion);
    // The emulated register has automatic shift opening switched off: a closed shift is error 73.
    const res = await driver.register(receipt, { autoOpenShift: false });
    return { fiscalParams: fiscalParamsOfResult(res), warnings: { notPrinted: false } };
  }
  switch (type) {
    case 'openShift': {
      const d = await driver.openShift(cashierOf(task));
      return { fiscalParams: fiscalParamsOfShift(d, await ctx.registration()) };
    }
    case 'closeShift': {
      const d = await driver.closeShift(cashierOf(task));
      return { fiscalParams: fiscalParamsOfShift(d, await ctx.registration()) };
    }
    case 'reportX':
      ctx.xReport = await driver.xReport();
      return {};
    case 'getShiftTotals':
      return shiftTotalsOfXReport(ctx.xReport ?? (await driver.xReport()));
    case 'getShiftStatus':
    case 'getDeviceStatus':
    case 'getFnInfo':
    case 'getFnStatus':
    case 'ofdExchangeStatus':
      return statusToResults(await driver.status())[type];
    case 'getRegistrationInfo':
    case 'getDeviceInfo':
      return registrationToResults(await ctx.registration())[type];
    case 'getLastFiscalParams': {
      const n = await driver.lastFdNumber();
      const doc = n > 0 ? await driver.document(n) : null;
      if (doc === null) throw new TaskError(ATOL_ERRORS.FN_NO_MORE_DATA, 'no fiscal documents');
      return { fiscalParams: fiscalParamsOfDocument(doc, await ctx.registration()) };
    }
    case 'getFnDocument': {
      const n = task.fiscalDocumentNumber;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
        throw new TaskError(ATOL_ERRORS.INVALID_PARAM, 'fiscalDocumentNumber: expected a positive integer');
      }
      const doc = await driver.document(n);
      if (doc === null) throw new TaskError(ATOL_ERRORS.FN_NO_MORE_DATA, `no document ${n} in the FN`);
      return fnDocumentResult(doc);
    }
  }
}
