import type { FractionalQuantity, MarkingCheckResult, PlannedStatus } from '../../domain/ffd12.js';
import { MARKING_BITS, isPlannedStatus } from '../../domain/ffd12.js';
import { isObject } from './protocol.js';
import type { JsonObject } from './protocol.js';

/**
 * FFD 1.2 marking in ATOL JSON tasks (the libfptr10 task scripts `myscripts_marks.js`,
 * `myscripts_utils.js`, `myscripts_items.js` as mirrored in AlexanderYekat/atolexamplesjson; the
 * LIBFPTR_* values from the vendor's Java wrapper; shapes cross-checked with ExLuzZziVo/KKTServiceLib
 * `Types/Common/MarkingCodes/*.cs`). One vocabulary for both sides: the driver writes tasks and
 * reads results with it, the emulator reads tasks and writes results with it.
 */

/** 2100 ↔ `imcType` (MARKING_CODE_TYPES_1_2 ↔ LIBFPTR_MCT12_*); `auto` (256) lets the KKT decide. */
export const IMC_TYPES = {
  imcUnrecognized: 0,
  imcShort: 1,
  imcFmVerifyCode88: 2,
  imcVerifyCode44: 3,
  imcFmVerifyCode44: 4,
  imcVerifyCode4: 5,
  auto: 256,
} as const;

/** 2003 ↔ `itemEstimatedStatus` (MARKING_ESTIMATED_STATUS ↔ LIBFPTR_MES_*). */
export const ESTIMATED_STATUS: Readonly<Record<PlannedStatus, string>> = {
  1: 'itemPieceSold',
  2: 'itemDryForSale',
  3: 'itemPieceReturn',
  4: 'itemDryReturn',
  255: 'itemStatusUnchanged',
};

/** 2109 ↔ `markOperatorItemStatus` (LIBFPTR_OIS_*). */
export const OPERATOR_ITEM_STATUS = { itemEstimatedStatusCorrect: 1, itemEstimatedStatusIncorrect: 2, itemSaleStopped: 3 } as const;

/** 2105 ↔ `markOperatorResponseResult` (LIBFPTR_ORR_*). */
export const OPERATOR_RESPONSE_RESULT = { correct: 0, incorrect: 1, unrecognized: 2 } as const;

/** Why the FN did not check a code ↔ `fmCheckErrorReason` (LIBFPTR_CER_*). */
export const FN_CHECK_REASON: Readonly<Record<MarkingCheckResult['fn']['reason'], string>> = {
  checked: 'checked',
  type_not_checkable: 'typeIncorrect',
  no_keys: 'noKeys',
  no_gs1: 'noGS1',
  other: 'other',
};

/** The FN's marking state ↔ `checkImcWorkState.fm.status` (MARKING_MODE_CHECKING_STATUS ↔ LIBFPTR_MCS_*). */
export const MARKING_MODE_STATUS = { blocked: 0, noImcForCheck: 1, receivedImc: 2, requestedImcStatus: 3, receivedImcStatus: 4 } as const;

/** 1057 / 1222 bits ↔ `agentInfo.agents[]` names (AGENT_TYPES ↔ LIBFPTR_AT_*, the same bit values). */
export const AGENT_TYPES: readonly (readonly [number, string])[] = [
  [1, 'bankPayingAgent'],
  [2, 'bankPayingSubagent'],
  [4, 'payingAgent'],
  [8, 'payingSubagent'],
  [16, 'attorney'],
  [32, 'commissionAgent'],
  [64, 'another'],
];
export const agentNames = (sign: number): string[] => AGENT_TYPES.filter(([bit]) => (sign & bit) !== 0).map(([, name]) => name);

/**
 * LIBFPTR_ERROR_* of the marking range (400–426) the driver and the emulator use, with the
 * `driverError.error` names the scripts give some of them (`utils.driverErrorObject`).
 */
export const MARKING_ERRORS = {
  VALIDATION_IN_PROGRESS: 401,
  NO_CONNECTION_WITH_SERVER: 402,
  VALIDATION_CANCELED: 403,
  INVALID_MARKING_CODE_STATUS: 404,
  WORK_TEMPORARY_BLOCKED: 407,
  INVALID_MARKING_CODE: 409,
  INVALID_STATE: 410,
  OFD_EXCHANGE: 411,
  OPERATION_DENIED_IN_CURRENT_FFD: 413,
  MARK_CHECK_TIMEOUT_EXPIRED: 421,
} as const;
export const DRIVER_ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [MARKING_ERRORS.VALIDATION_IN_PROGRESS, 'imcCheckIsRun'],
  [MARKING_ERRORS.OFD_EXCHANGE, 'serverNoConnect'],
  [MARKING_ERRORS.VALIDATION_CANCELED, 'imcCheckBreak'],
  [MARKING_ERRORS.INVALID_STATE, 'imcCheckWrongState'],
  [MARKING_ERRORS.MARK_CHECK_TIMEOUT_EXPIRED, 'responseTimeout'],
  [422, 'noImcInTable'],
]);

/** Errors of the online check that mean "the marking operator gave no answer", not a refusal. */
const NO_ANSWER_ERRORS: ReadonlySet<number> = new Set([
  MARKING_ERRORS.NO_CONNECTION_WITH_SERVER,
  MARKING_ERRORS.OFD_EXCHANGE,
  MARKING_ERRORS.MARK_CHECK_TIMEOUT_EXPIRED,
]);

function keyOf<V>(table: Readonly<Record<string, V>>, value: V): string {
  return Object.entries(table).find(([, v]) => v === value)?.[0] ?? '';
}

/**
 * A dictionary value as the scripts parse it (`utils.parse*`): the JSON name, else a number or a
 * numeric string (`parseInt(value, 10)`); undefined when it is neither.
 */
export function dictValue(table: Readonly<Record<string, number>>, v: unknown): number | undefined {
  if (typeof v === 'string' && Object.hasOwn(table, v)) return table[v];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseInt(v, 10) : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

export const ESTIMATED_STATUS_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(ESTIMATED_STATUS).map(([code, name]) => [name, Number(code)]),
);
export const plannedStatusOf = (v: unknown): PlannedStatus | undefined => {
  const n = dictValue(ESTIMATED_STATUS_BY_NAME, v);
  return isPlannedStatus(n) ? n : undefined;
};

// ---- 2106 ↔ itemInfoCheckResult ----

const CHECK_FLAGS = [
  ['imcCheckFlag', MARKING_BITS.fnChecked],
  ['imcCheckResult', MARKING_BITS.fnValid],
  ['imcStatusInfo', MARKING_BITS.operatorChecked],
  ['imcEstimatedStatusCorrect', MARKING_BITS.operatorStatusCorrect],
  ['ecrStandAloneFlag', MARKING_BITS.autonomous],
] as const;

/** 2106 → `itemInfoCheckResult{5 bools}` (marks.getItemInfoCheckResult). */
export const itemInfoCheckResultOf = (bits: number): Record<string, boolean> =>
  Object.fromEntries(CHECK_FLAGS.map(([name, bit]) => [name, (bits & bit) !== 0]));

/** `itemInfoCheckResult{5 bools}` → 2106 (items.executePosition); non-true flags are 0. */
export const checkBitsOf = (o: JsonObject): number => CHECK_FLAGS.reduce((a, [name, bit]) => (o[name] === true ? a | bit : a), 0);

// ---- 1291 ↔ itemFractionalAmount ----

/** "n/d" as KKTServiceLib `MarkingCodeParams_12` checks it: positive integers, n < d. */
const FRACTION = /^([1-9][0-9]*)\/([1-9][0-9]*)$/;
export const fractionText = (f: FractionalQuantity): string => `${f.numerator}/${f.denominator}`;
export function fractionOf(text: string): FractionalQuantity | null {
  const m = FRACTION.exec(text);
  if (!m) return null;
  const numerator = Number(m[1]);
  const denominator = Number(m[2]);
  return numerator < denominator && Number.isSafeInteger(denominator) ? { numerator, denominator } : null;
}

// ---- the code itself: `imc` is base64 of the raw code ----

export const imcOf = (code: string): string => Buffer.from(code, 'utf8').toString('base64');
/**
 * `imc` → the raw code. The scripts try `Duktape.dec("base64", imc)` and fall back to the string as
 * given when it is not base64 (marks.executeBeginMarkingCodeValidation, items.executePosition).
 */
export function codeOfImc(imc: string): string {
  const base64 = imc.length > 0 && imc.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(imc);
  return base64 ? Buffer.from(imc, 'base64').toString('utf8') : imc;
}

// ---- MarkingCheckResult → task results (the emulator's side) ----

/** beginMarkingCodeValidation → `{offlineValidation}` (marks.getOfflineValidation: 2004 bits and the FN's reason). */
export const offlineValidationOf = (r: MarkingCheckResult): JsonObject => ({
  fmCheck: r.fn.checked,
  fmCheckResult: r.fn.valid,
  fmCheckErrorReason: FN_CHECK_REASON[r.fn.reason],
});

export const driverErrorOf = (code: number, description: string): JsonObject => {
  const name = DRIVER_ERROR_NAMES.get(code);
  return name === undefined ? { code, description } : { code, description, error: name };
};

/**
 * getMarkingCodeValidationStatus once the check is over (marks.executeGetMarkingCodeValidationStatus):
 * `onlineValidation` only when the check ended without a driver error; its operator fields only
 * when the marking operator's answer carried the tag (2005, 2109, 2105, 2100). A check whose answer
 * never came ends with the driver error of the lost link or the timeout (`errorText`: a code's text).
 */
export function validationStatusOf(r: MarkingCheckResult, errorText: (code: number) => string): JsonObject {
  const op = r.operator;
  if (!op.answered && op.reason !== 'not_asked') {
    const code = op.reason === 'timeout' ? MARKING_ERRORS.MARK_CHECK_TIMEOUT_EXPIRED : MARKING_ERRORS.OFD_EXCHANGE;
    // A timed-out request was sent; an unreachable server never got one.
    return { ready: true, sentImcRequest: op.reason === 'timeout', driverError: driverErrorOf(code, errorText(code)) };
  }
  const online: JsonObject = { itemInfoCheckResult: itemInfoCheckResultOf(r.itemCheckResult) };
  if (op.answered) {
    online.markOperatorResponseResult = keyOf(OPERATOR_RESPONSE_RESULT, op.requestCode);
    // 2005, 2109 and 2100 come only with an answer to a well-formed request (2105 = 0).
    if (op.requestCode === 0) {
      online.markOperatorResponse = { responseStatus: op.codeValid, itemStatusCheck: op.statusCorrect };
      if (op.itemStatus !== null) online.markOperatorItemStatus = keyOf(OPERATOR_ITEM_STATUS, op.itemStatus);
      online.imcType = keyOf(IMC_TYPES, r.codeType);
      online.imcModeProcessing = 0;
    }
  }
  return { ready: true, sentImcRequest: op.answered, driverError: driverErrorOf(0, errorText(0)), onlineValidation: online };
}

// ---- task results → MarkingCheckResult (the driver's side) ----

const str = (o: JsonObject, key: string): string => (typeof o[key] === 'string' ? o[key] : '');
const sub = (o: JsonObject, key: string): JsonObject => {
  const v = o[key];
  return isObject(v) ? v : {};
};

const FN_REASON_BY_NAME = new Map(Object.entries(FN_CHECK_REASON).map(([k, v]) => [v, k as MarkingCheckResult['fn']['reason']]));

/** What the driver reads from a finished getMarkingCodeValidationStatus: a result, or the driver error to raise. */
export type ValidationOutcome = { kind: 'result'; result: MarkingCheckResult } | { kind: 'error'; code: number; description: string };

/**
 * beginMarkingCodeValidation's `offlineValidation` plus the final getMarkingCodeValidationStatus
 * → MarkingCheckResult. `localType` gives 2100 when no answer named it: the code's own structure,
 * read with what the FN said of its check.
 */
export function checkResultOf(
  begin: JsonObject, status: JsonObject, offline: boolean, localType: (fn: MarkingCheckResult['fn']) => number,
): ValidationOutcome {
  const fn = sub(begin, 'offlineValidation');
  const fnChecked = fn.fmCheck === true;
  const fnValid = fn.fmCheckResult === true;
  const fnPart: MarkingCheckResult['fn'] = {
    checked: fnChecked,
    valid: fnValid,
    reason: FN_REASON_BY_NAME.get(str(fn, 'fmCheckErrorReason')) ?? (fnChecked ? 'checked' : 'other'),
  };
  const err = sub(status, 'driverError');
  const errCode = typeof err.code === 'number' ? err.code : 0;
  const online = status.onlineValidation;
  if (errCode !== 0 && !NO_ANSWER_ERRORS.has(errCode)) return { kind: 'error', code: errCode, description: str(err, 'description') };
  if (errCode !== 0 || !isObject(online)) {
    // No answer: bits 0–1 are the FN's own check, bit 4 says the KKT formed the result without the
    // operator. acceptMarkingCode's answer is the 2106 that counts; this one says what to expect.
    const reason = offline ? 'not_asked' : errCode === MARKING_ERRORS.MARK_CHECK_TIMEOUT_EXPIRED ? 'timeout' : 'unreachable';
    const fnBits = (fnChecked ? MARKING_BITS.fnChecked : 0) | (fnChecked && fnValid ? MARKING_BITS.fnValid : 0);
    const result: MarkingCheckResult = { codeType: localType(fnPart), fn: fnPart, operator: { answered: false, reason }, itemCheckResult: fnBits | MARKING_BITS.autonomous };
    return { kind: 'result', result };
  }
  const bits = checkBitsOf(sub(online, 'itemInfoCheckResult'));
  const requestCode = dictValue(OPERATOR_RESPONSE_RESULT, online.markOperatorResponseResult);
  const answered = requestCode === 0 || requestCode === 1 || requestCode === 2;
  const type = dictValue(IMC_TYPES, online.imcType);
  const result: MarkingCheckResult = {
    codeType: type !== undefined && type !== IMC_TYPES.auto ? type : localType(fnPart),
    fn: fnPart,
    operator: answered
      ? {
          answered: true,
          requestCode,
          codeValid: sub(online, 'markOperatorResponse').responseStatus === true,
          statusCorrect: sub(online, 'markOperatorResponse').itemStatusCheck === true,
          itemStatus: itemStatusOf(online.markOperatorItemStatus),
        }
      : { answered: false, reason: offline ? 'not_asked' : 'unreachable' },
    itemCheckResult: bits,
  };
  return { kind: 'result', result };
}

function itemStatusOf(v: unknown): 1 | 2 | 3 | null {
  const n = dictValue(OPERATOR_ITEM_STATUS, v);
  return n === 1 || n === 2 || n === 3 ? n : null;
}
