import type { FfdVersion } from '../../domain/enums.js';
import { TAX_SYSTEMS, isTaxSystem } from '../../domain/enums.js';
import type { ArchiveCloseDocument, DeviceStatus, FiscalResult, RegistrationInfo, ShiftDocument, ShiftStateName, XReport } from '../driver.js';
import { addHours, normalizeDateTime } from './datetime.js';
import { bool, int, num, obj, optObj, text } from './json-read.js';
import { kopecksToRubles, rublesToKopecks } from './money.js';
import type { AtolFiscalParams, JsonObject } from './protocol.js';

/**
 * Task results ↔ cr-server's driver types. The `to*` functions build what the web server
 * answers (the emulator's side); the `from*` functions read it (the driver's side).
 */

// ---- fiscalParams (receipts, corrections, shift open/close) ----

export function fiscalParamsOfResult(r: FiscalResult): AtolFiscalParams {
  return {
    fiscalDocumentNumber: r.fdNumber,
    fiscalDocumentSign: r.fiscalSign,
    fiscalDocumentDateTime: r.dateTime,
    fiscalReceiptNumber: r.receiptInShift,
    shiftNumber: r.shiftNumber,
    fnNumber: r.registration.fnSerial,
    registrationNumber: r.registration.registrationNumber,
    total: kopecksToRubles(r.total),
    change: kopecksToRubles(r.change),
    fnsUrl: 'www.nalog.gov.ru',
  };
}

export function fiscalParamsOfShift(d: ShiftDocument, reg: RegistrationInfo): AtolFiscalParams {
  return {
    fiscalDocumentNumber: d.fdNumber,
    fiscalDocumentSign: d.fiscalSign,
    fiscalDocumentDateTime: d.dateTime,
    shiftNumber: d.shiftNumber,
    fnNumber: reg.fnSerial,
    registrationNumber: reg.registrationNumber,
  };
}

export function resultOfFiscalParams(
  result: JsonObject,
  fallback: { change: number; registration: RegistrationInfo },
  offset: string,
): FiscalResult {
  const fp = obj(result, 'fiscalParams');
  const registration: RegistrationInfo = {
    ...fallback.registration,
    fnSerial: text(fp, 'fnNumber', fallback.registration.fnSerial),
    registrationNumber: text(fp, 'registrationNumber', fallback.registration.registrationNumber),
  };
  return {
    fdNumber: int(fp, 'fiscalDocumentNumber'),
    fiscalSign: text(fp, 'fiscalDocumentSign'),
    shiftNumber: int(fp, 'shiftNumber'),
    receiptInShift: int(fp, 'fiscalReceiptNumber'),
    dateTime: normalizeDateTime(fp.fiscalDocumentDateTime, offset),
    total: rublesToKopecks(num(fp, 'total')),
    // `change` is not in every firmware's answer; the receipt's own change is what the device computed.
    change: typeof fp.change === 'number' ? rublesToKopecks(fp.change) : fallback.change,
    registration,
  };
}

export function shiftOfFiscalParams(result: JsonObject, offset: string): ShiftDocument {
  const fp = obj(result, 'fiscalParams');
  return {
    fdNumber: int(fp, 'fiscalDocumentNumber'),
    fiscalSign: text(fp, 'fiscalDocumentSign'),
    shiftNumber: int(fp, 'shiftNumber'),
    dateTime: normalizeDateTime(fp.fiscalDocumentDateTime, offset),
  };
}

/**
 * closeArchive answers like every fiscal document (`getFiscalDocumentResult`: json_closeArchive.js
 * of the driver's task scripts): fiscalParams with 1040, 1077, 1012, the FN serial and the RNM.
 * shiftNumber is the last shift's, which the report on closing the FN does not need.
 */
export function fiscalParamsOfArchiveClose(d: ArchiveCloseDocument, shiftNumber: number, reg: RegistrationInfo): AtolFiscalParams {
  return {
    fiscalDocumentNumber: d.fdNumber,
    fiscalDocumentSign: d.fiscalSign,
    fiscalDocumentDateTime: d.dateTime,
    shiftNumber,
    fnNumber: reg.fnSerial,
    registrationNumber: reg.registrationNumber,
  };
}

export function archiveCloseOfFiscalParams(result: JsonObject, offset: string): ArchiveCloseDocument {
  const fp = obj(result, 'fiscalParams');
  return {
    fdNumber: int(fp, 'fiscalDocumentNumber'),
    fiscalSign: text(fp, 'fiscalDocumentSign'),
    dateTime: normalizeDateTime(fp.fiscalDocumentDateTime, offset),
  };
}

// ---- shift and device status ----

const SHIFT_STATE_TO_ATOL: Record<ShiftStateName, string> = { closed: 'closed', open: 'opened', expired: 'expired' };
const shiftStateOf = (s: string): ShiftStateName => (s === 'opened' ? 'open' : s === 'expired' ? 'expired' : 'closed');

const FN_PHASE_TO_ATOL: Record<DeviceStatus['fn']['phase'], string> = {
  configured: 'configuration',
  fiscal: 'fiscalMode',
  closed: 'postFiscalMode',
  finished: 'accessArchive',
};
const fnPhaseOf = (s: string): DeviceStatus['fn']['phase'] =>
  s === 'fiscalMode' ? 'fiscal' : s === 'postFiscalMode' ? 'closed' : s === 'accessArchive' ? 'finished' : 'configured';

/** ATOL writes the FFD version as "1.05" / "1.2" (some builds: 105 / 120). */
const FFD_TO_ATOL: Record<FfdVersion, string> = { '105': '1.05', '120': '1.2' };
export const ffdOf = (v: unknown): FfdVersion => (v === '1.2' || v === '120' || v === 120 || v === '1.20' ? '120' : '105');

/** Warning flags of getFnInfo → cr-server's stable warning codes. */
const FN_WARNINGS = [
  ['needReplacement', 'fn_replace_urgently'],
  ['resourceExhausted', 'fn_expires_soon'],
  ['memoryOverflow', 'fn_memory_almost_full'],
  ['ofdTimeout', 'ofd_timeout'],
] as const;

/** getDeviceStatus, getShiftStatus, getFnInfo, getFnStatus and ofdExchangeStatus results of one status. */
export function statusToResults(s: DeviceStatus): Record<'getDeviceStatus' | 'getShiftStatus' | 'getFnInfo' | 'getFnStatus' | 'ofdExchangeStatus', JsonObject> {
  const warnings = Object.fromEntries(FN_WARNINGS.map(([flag, code]) => [flag, s.warnings.includes(code)]));
  return {
    getDeviceStatus: {
      deviceStatus: {
        currentDateTime: s.dateTime,
        shift: SHIFT_STATE_TO_ATOL[s.shift.state],
        blocked: false,
        coverOpened: false,
        paperPresent: s.paperPresent,
        fiscal: s.fn.phase === 'fiscal',
        fnFiscal: s.fn.phase === 'fiscal',
        fnPresent: true,
        cashDrawerOpened: false,
      },
    },
    getShiftStatus: {
      shiftStatus: {
        state: SHIFT_STATE_TO_ATOL[s.shift.state],
        number: s.shift.number,
        // ATOL reports only the expiry; the opening time is expiry − 24 h (as the seed computes it).
        ...(s.shift.expiresAt !== null ? { expiredTime: s.shift.expiresAt } : {}),
      },
    },
    getFnInfo: {
      fnInfo: {
        serial: s.fn.serial,
        ffdVersion: FFD_TO_ATOL[s.fn.ffdVersion],
        fnFfdVersion: FFD_TO_ATOL[s.fn.ffdVersion],
        livePhase: FN_PHASE_TO_ATOL[s.fn.phase],
        ...(s.fn.expiresAt !== null ? { validityDate: s.fn.expiresAt } : {}),
        warnings: { ...warnings, criticalError: false },
      },
    },
    getFnStatus: {
      fnStatus: { fiscalDocumentNumber: s.lastFdNumber, fiscalReceiptNumber: s.shift.receiptsInShift, warnings },
    },
    ofdExchangeStatus: {
      status: {
        notSentCount: s.ofd.unsentCount,
        ...(s.ofd.oldestUnsentAt !== null ? { notSentFirstDocDateTime: s.ofd.oldestUnsentAt } : {}),
      },
    },
  };
}

export function statusOfResults(
  r: { device: JsonObject; shift: JsonObject; fnInfo: JsonObject; fnStatus: JsonObject; ofd: JsonObject },
  offset: string,
): DeviceStatus {
  const device = obj(r.device, 'deviceStatus');
  const shift = obj(r.shift, 'shiftStatus');
  const fnInfo = obj(r.fnInfo, 'fnInfo');
  const fnStatus = obj(r.fnStatus, 'fnStatus');
  const ofd = optObj(r.ofd, 'status');
  const state = shiftStateOf(text(shift, 'state', 'closed'));
  const expiresAt = state === 'closed' || shift.expiredTime === undefined ? null : normalizeDateTime(shift.expiredTime, offset);
  const flags = optObj(fnInfo, 'warnings');
  const paperPresent = bool(device, 'paperPresent', true);
  const warnings: string[] = FN_WARNINGS.filter(([flag]) => flags[flag] === true).map(([, code]) => code);
  if (!paperPresent) warnings.push('paper_out');
  return {
    dateTime: normalizeDateTime(device.currentDateTime, offset),
    shift: {
      state,
      number: int(shift, 'number', 0),
      openedAt: expiresAt === null ? null : addHours(expiresAt, -24),
      expiresAt,
      receiptsInShift: state === 'closed' ? 0 : int(fnStatus, 'fiscalReceiptNumber', 0),
    },
    lastFdNumber: int(fnStatus, 'fiscalDocumentNumber'),
    fn: {
      serial: text(fnInfo, 'serial', ''),
      ffdVersion: ffdOf(fnInfo.ffdVersion),
      phase: fnPhaseOf(text(fnInfo, 'livePhase', 'fiscalMode')),
      expiresAt: fnInfo.validityDate === undefined ? null : normalizeDateTime(fnInfo.validityDate, offset),
      memoryUsed: null,
    },
    ofd: {
      unsentCount: int(ofd, 'notSentCount', 0),
      oldestUnsentAt: ofd.notSentFirstDocDateTime === undefined ? null : normalizeDateTime(ofd.notSentFirstDocDateTime, offset),
    },
    paperPresent,
    warnings,
  };
}

// ---- registration info ----

export function registrationToResults(reg: RegistrationInfo): Record<'getRegistrationInfo' | 'getDeviceInfo', JsonObject> {
  const taxationTypes = Object.entries(TAX_SYSTEMS)
    .filter(([bit]) => (reg.taxSystems & Number(bit)) !== 0)
    .map(([, name]) => name);
  return {
    getRegistrationInfo: {
      organization: { name: reg.companyName, vatin: reg.companyInn, address: reg.operationsAddress, taxationTypes, agents: [] },
      device: {
        registrationNumber: reg.registrationNumber,
        fnSerial: reg.fnSerial,
        ffdVersion: FFD_TO_ATOL[reg.ffdVersion],
        paymentsAddress: reg.operationsPlace,
      },
      ofd: { name: reg.ofdName, vatin: reg.ofdInn },
    },
    getDeviceInfo: { deviceInfo: { modelName: reg.model, serial: reg.registratorSerial } },
  };
}

export function registrationOfResults(r: { registration: JsonObject; deviceInfo: JsonObject; fnInfo: JsonObject }): RegistrationInfo {
  const org = optObj(r.registration, 'organization');
  const device = optObj(r.registration, 'device');
  const ofd = optObj(r.registration, 'ofd');
  const info = optObj(r.deviceInfo, 'deviceInfo');
  const fnInfo = optObj(r.fnInfo, 'fnInfo');
  let taxSystems = 0;
  const names = Array.isArray(org.taxationTypes) ? org.taxationTypes : [];
  for (const [bit, name] of Object.entries(TAX_SYSTEMS)) {
    const b = Number(bit);
    if (isTaxSystem(b) && names.includes(name)) taxSystems |= b;
  }
  return {
    registrationNumber: text(device, 'registrationNumber', ''),
    registratorSerial: text(info, 'serial', ''),
    fnSerial: text(fnInfo, 'serial', text(device, 'fnSerial', '')),
    ffdVersion: ffdOf(device.ffdVersion ?? fnInfo.ffdVersion),
    ofdName: text(ofd, 'name', ''),
    ofdInn: text(ofd, 'vatin', ''),
    companyName: text(org, 'name', ''),
    companyInn: text(org, 'vatin', ''),
    operationsAddress: text(org, 'address', ''),
    operationsPlace: text(device, 'paymentsAddress', ''),
    taxSystems,
    model: text(info, 'modelName', ''),
  };
}

// ---- X report (reportX prints; the sums come from getShiftTotals) ----

const TOTAL_KEYS = ['sell', 'sellReturn', 'buy', 'buyReturn'] as const;

export function shiftTotalsOfXReport(x: XReport): JsonObject {
  const receipts = Object.fromEntries(TOTAL_KEYS.map((k) => [k, { sum: kopecksToRubles(x.totals[k]) }]));
  return { shiftTotals: { shiftNumber: x.shiftNumber, receipts } };
}

export function xReportOfResults(r: { totals: JsonObject; shift: JsonObject; device: JsonObject; fnStatus: JsonObject }, offset: string): XReport {
  const totals = obj(r.totals, 'shiftTotals');
  const receipts = optObj(totals, 'receipts');
  const shift = optObj(r.shift, 'shiftStatus');
  const sums = Object.fromEntries(TOTAL_KEYS.map((k) => [k, rublesToKopecks(num(optObj(receipts, k), 'sum', 0))])) as XReport['totals'];
  return {
    shiftNumber: int(totals, 'shiftNumber', int(shift, 'number', 0)),
    dateTime: normalizeDateTime(optObj(r.device, 'deviceStatus').currentDateTime, offset),
    receiptsInShift: int(optObj(r.fnStatus, 'fnStatus'), 'fiscalReceiptNumber', 0),
    totals: sums,
    // An ATOL X report is not a fiscal document.
    fdNumber: null,
  };
}
