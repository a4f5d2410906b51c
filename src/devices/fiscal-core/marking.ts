import type { Measure, OperationType, PaymentMethod, TaxSystem, Vat1199 } from '../../domain/enums.js';
import { MARKING_BITS } from '../../domain/ffd12.js';
import type { FractionalQuantity, MarkingCheckResult, PlannedStatus } from '../../domain/ffd12.js';
import { isMarkingCodeError, MARKING_CODE_TYPE, parseMarkingCode } from '../../domain/marking-code.js';
import type { MarkingCodeError } from '../../domain/marking-code.js';
import type { FiscalReceipt } from '../../domain/receipt.js';
import type { MarkingCheckRequest } from '../driver.js';
import { markingNegative } from '../ffd/extras.js';
import { rejected } from './errors.js';
import { OPERATOR_BITS } from './marking-operator.js';
import type { OperatorReply, OperatorRequest } from './marking-operator.js';
import { itemVat } from './vat.js';

/**
 * The FN-M's marking work (FFD 1.2): the code-check state machine (FN commands B1 check, B5 form
 * the request 81, B6 take the answer 83, B2 accept/decline, B3 clear), the list of accepted
 * results a receipt draws on, and what a receipt leaves behind: one sale notification (82).
 * Pure functions over `MarkingMemory`, which lives in the FN state (store.ts) and so commits with
 * it; fiscal-device.ts drives them and keeps the notification queue.
 *
 * The states are the FN's "status of marking work" as Shtrih's FF70h reports it
 * (shtrih-m/javapos_shtrih `Source/Core/src/com/shtrih/fiscalprinter/command/FSReadMCStatus.java`:
 * 0 blocked, 1 no code under check, 2 code passed by B1, 3 request formed by B5, 4 answer passed
 * by B6; ATOL's `checkImcWorkState` `fm.status` names the same five).
 */

export const MARKING_WORK_STATES = { blocked: 0, idle: 1, codeChecked: 2, requestFormed: 3, answerReceived: 4 } as const;
export type MarkingWorkState = (typeof MARKING_WORK_STATES)[keyof typeof MARKING_WORK_STATES];

/**
 * Which crypto tails the virtual FN can check (config `marking_fn_keys`). 'all': it holds a key for
 * every GS1 code with 91/92 or 93 [K]; 'none': it checks nothing and says why (reason 'no_keys',
 * 2106 bits 0–1 clear), as a real FN without the key for a code's 91 does.
 */
export type MarkingFnKeys = 'all' | 'none';

/** A code under check: B1 done; B5 too once its request is formed; B6 once answered. */
export interface PendingCheck {
  /** 'checked': B1 only (an offline check, final); 'requested': waiting for the operator; 'answered': B6 done */
  stage: 'checked' | 'requested' | 'answered';
  /** 2000 */
  code: string;
  plannedStatus: PlannedStatus;
  measure: Measure;
  /** 1023, millionths; null for piece goods */
  quantity: number | null;
  fractional: FractionalQuantity | null;
  /** 2101: GTIN and serial (01…21…) of a GS1 code, the code itself otherwise */
  productId: string;
  gtin: string | null;
  /** 2001 of its request; null for an offline check */
  requestNumber: number | null;
  /** The result so far: the FN's part from B1, the operator's from B6 (until then it reads as not answered). */
  result: MarkingCheckResult;
}

/** A result saved by B2 (accept): what a receipt's marked item must match. */
export interface AcceptedCode {
  code: string;
  plannedStatus: PlannedStatus;
  measure: Measure;
  quantity: number | null;
  fractional: FractionalQuantity | null;
  /** 2100 */
  codeType: number;
  /** 2101 */
  productId: string;
  /** 2106 */
  itemCheckResult: number;
}

/** The FN's marking memory. Stores that predate it have none: `markingMemoryOf` reads that as empty. */
export interface MarkingMemory {
  /** 2001 of the last request (81) formed */
  requestNumber: number;
  /** 2002 of the last sale notification (82) formed */
  notificationNumber: number;
  pending: PendingCheck | null;
  /** Saved results in acceptance order (FF70h "number of saved check results"). */
  accepted: AcceptedCode[];
  /** 2112/2113 material since the last close-shift report. */
  period: {
    /** ms the period began (the last close-shift report); null: since the FN began marking work */
    since: number | null;
    /** answers (83) that called a code incorrect: 2105 = 2 or 2005 bit 1 clear → 2112 bit 1 */
    invalidCodeAnswers: number;
    /** answers that refused the request (2105 ≠ 0) → 2113 bit 0 */
    rejectedRequests: number;
  };
}

export const emptyMarkingMemory = (): MarkingMemory => ({
  requestNumber: 0,
  notificationNumber: 0,
  pending: null,
  accepted: [],
  period: { since: null, invalidCodeAnswers: 0, rejectedRequests: 0 },
});
export const markingMemoryOf = (s: { marking?: MarkingMemory }): MarkingMemory => s.marking ?? emptyMarkingMemory();

/** One marked unit of a sale notification (2007, FFD 1.2 table 130): what the FN keeps of it. */
export interface NotificationItem {
  /** 2000 */
  code: string;
  /** 2100 */
  codeType: number;
  /** 2101 */
  productId: string;
  /** 2110: the status given to the unit (the planned status 2003 it was checked with) */
  status: PlannedStatus;
  /** 2106 */
  itemCheckResult: number;
  /** 2108 */
  measure: Measure;
  /** 1023, millionths; null for piece goods */
  quantity: number | null;
  /** 1291 */
  fractional: FractionalQuantity | null;
  /** 2102: always 0 */
  processingMode: 0;
  /** 1214 */
  paymentMethod: PaymentMethod;
  /** 1030 */
  name: string;
  /** 1079, kopecks */
  price: number;
  /** 1043, kopecks */
  sum: number;
  /** 1199 */
  vat: Vat1199;
  /** 1200, kopecks; null for rates without a VAT sum */
  vatSum: number | null;
}

/** A sale notification (82, FFD 1.2 table 128) as the virtual FN keeps it until the operator confirms it. */
export interface SaleNotification {
  /** 2002 */
  number: number;
  /** 1012, the register's wall clock, seconds */
  dateTime: number;
  /** 1041 */
  fnSerial: string;
  /** 1018 */
  userInn: string;
  /** 1009 */
  address: string;
  /** 1055 */
  taxSystem: TaxSystem;
  /** 1054 */
  operationType: OperationType;
  /** 2116 bitmask: bit 0 a receipt with marked goods, bit 1 a correction receipt with marked goods */
  operationKind: number;
  /** 1040 of the receipt that sold the units (the FN's link; not a tag of 82) */
  fdNumber: number;
  items: NotificationItem[];
}

/** 2116 bits. */
export const NOTIFICATION_KINDS = { receipt: 1, correction: 2 } as const;

/** What B1 finds in a code by itself. */
interface FnCheck {
  codeType: number;
  fn: MarkingCheckResult['fn'];
  gtin: string | null;
  productId: string;
}

/**
 * B1: the FN recognises the code (2100) and checks its crypto tail when it holds the key: GS1 codes
 * with 91 + 92 (44 or 88 characters) or with 93. For the 44-character kind 2100 says whether this
 * FN checks it (4) or not (3: no key, or no key id 91 to pick one) — tag 2100 values of FFD 1.2.
 * The virtual FN's keys are simulated: every tail it holds a key for checks positive [K]. A code
 * it cannot parse at all it refuses, as the FN refuses a malformed B1 (Shtrih: error 211,
 * shtrih-m/fr_drv_ng#178).
 */
export function fnCheck(code: string, keys: MarkingFnKeys): FnCheck {
  const parsed = parseMarkingCode(code, 'raw');
  if (isMarkingCodeError(parsed)) throw rejected('invalid_document', `the marking code cannot be read (${describe(parsed)})`);
  const base = { gtin: parsed.gtin, productId: parsed.productCode };
  const no = (reason: MarkingCheckResult['fn']['reason'], codeType: number = parsed.codeType): FnCheck =>
    ({ ...base, codeType, fn: { checked: false, valid: false, reason } });
  if (parsed.kind !== 'gs1m') return no('type_not_checkable');
  const tail = parsed.checkCode;
  if (tail === null) return no('no_gs1');
  // 92 of 44 characters without its key id 91: no key can be picked (2100 = 3).
  if (tail.length === 44 && parsed.keyId === null) return no('no_keys', MARKING_CODE_TYPE.checkCode44NotCheckedInFn);
  if (keys === 'none') return no('no_keys', tail.length === 44 ? MARKING_CODE_TYPE.checkCode44NotCheckedInFn : parsed.codeType);
  return { ...base, codeType: parsed.codeType, fn: { checked: true, valid: true, reason: 'checked' } };
}

function describe(e: MarkingCodeError): string {
  switch (e.problem) {
    case 'bad_gtin_check_digit':
      return `GTIN ${e.gtin} has a wrong check digit`;
    case 'unknown_ai':
      return `unknown application identifier "${e.ai}" at ${e.at}`;
    case 'bad_length':
      return `application identifier ${e.ai} has a wrong length`;
    default:
      return e.problem.replaceAll('_', ' ');
  }
}

/**
 * 2106 from the FN's check and the operator's answer: bit 0 the FN checked the crypto tail, bit 1
 * positively; bit 2 the operator answered, bit 3 it confirmed the code and the planned status
 * (2105 = 0, 2005 bits 1 and 3, 2109 = 1); bit 4 no answer: the result was formed autonomously
 * (ATOL `itemInfoCheckResult`: imcCheckFlag, imcCheckResult, imcStatusInfo,
 * imcEstimatedStatusCorrect, ecrStandAloneFlag — atolexamplesjson `myscripts_marks.js`).
 */
export function itemCheckResult(fn: MarkingCheckResult['fn'], operator: MarkingCheckResult['operator']): number {
  let bits = 0;
  if (fn.checked) bits |= MARKING_BITS.fnChecked;
  if (fn.checked && fn.valid) bits |= MARKING_BITS.fnValid;
  if (operator.answered) {
    bits |= MARKING_BITS.operatorChecked;
    if (operator.requestCode === 0 && operator.codeValid && operator.statusCorrect && operator.itemStatus === 1) bits |= MARKING_BITS.operatorStatusCorrect;
  } else {
    bits |= MARKING_BITS.autonomous;
  }
  return bits;
}

const withOperator = (fn: MarkingCheckResult['fn'], codeType: number, operator: MarkingCheckResult['operator']): MarkingCheckResult =>
  ({ codeType, fn, operator, itemCheckResult: itemCheckResult(fn, operator) });

/**
 * B1, then B5 unless `offline`: checks the request as the FN's format checks do, checks the code
 * and opens a new check, replacing one left undecided. Returns the request (81) to send the
 * operator, or null for an offline check, and the result so far (final for an offline check).
 */
export function beginCheck(
  m: MarkingMemory, request: MarkingCheckRequest, keys: MarkingFnKeys,
): { memory: MarkingMemory; request: OperatorRequest | null; result: MarkingCheckResult } {
  const piece = request.plannedStatus === 1 || request.plannedStatus === 3;
  // Piece goods carry no 1023 in the request (Shtrih KKT refuses it: shtrih-m/fr_drv_ng_examples#39).
  if (piece && request.quantity !== null) throw rejected('invalid_document', `piece goods (2003 = ${request.plannedStatus}) carry no quantity 1023 in a code check`);
  if ((request.plannedStatus === 2 || request.plannedStatus === 4) && request.quantity === null) {
    throw rejected('invalid_document', `measured goods (2003 = ${request.plannedStatus}) need their quantity 1023 in a code check`);
  }
  if (m.accepted.some((a) => a.code === request.code)) throw rejected('invalid_document', 'the marking code is already accepted for this receipt');
  const found = fnCheck(request.code, keys);
  const requestNumber = request.offline ? null : m.requestNumber + 1;
  const operator: MarkingCheckResult['operator'] = { answered: false, reason: request.offline ? 'not_asked' : 'unreachable' };
  const pending: PendingCheck = {
    stage: request.offline ? 'checked' : 'requested',
    code: request.code,
    plannedStatus: request.plannedStatus,
    measure: request.measure,
    quantity: request.quantity,
    fractional: request.fractional,
    productId: found.productId,
    gtin: found.gtin,
    requestNumber,
    result: withOperator(found.fn, found.codeType, operator),
  };
  return {
    memory: { ...m, requestNumber: requestNumber ?? m.requestNumber, pending },
    request: requestNumber === null ? null : { requestNumber, codeType: found.codeType, gtin: found.gtin, plannedStatus: request.plannedStatus },
    result: pending.result,
  };
}

/**
 * B6: the operator's answer to request `requestNumber`, or null when none came ('unreachable':
 * the FN forms the result autonomously, 2106 bit 4). Counts the period's negative answers.
 */
export function answerCheck(m: MarkingMemory, requestNumber: number, reply: OperatorReply | null): { memory: MarkingMemory; result: MarkingCheckResult } {
  const p = m.pending;
  if (p?.stage !== 'requested' || p.requestNumber !== requestNumber) {
    throw rejected('invalid_document', `no marking request ${requestNumber} awaits an answer (the check was cleared or replaced)`);
  }
  const operator: MarkingCheckResult['operator'] = reply === null
    ? { answered: false, reason: 'unreachable' }
    : {
      answered: true,
      requestCode: reply.requestCode,
      codeValid: reply.requestCode === 0 && (reply.processing & OPERATOR_BITS.codeValid) !== 0,
      statusCorrect: reply.requestCode === 0 && (reply.processing & OPERATOR_BITS.statusCorrect) !== 0,
      itemStatus: reply.itemStatus,
    };
  const result = withOperator(p.result.fn, p.result.codeType, operator);
  const period = { ...m.period };
  if (operator.answered && (operator.requestCode === 2 || (operator.requestCode === 0 && !operator.codeValid))) period.invalidCodeAnswers += 1;
  if (operator.answered && operator.requestCode !== 0) period.rejectedRequests += 1;
  return { memory: { ...m, period, pending: { ...p, stage: 'answered', result } }, result };
}

/** B2: accepts (saves) or declines the code under check; returns its 2106. */
export function acceptCheck(m: MarkingMemory, accept: boolean): { memory: MarkingMemory; itemCheckResult: number } {
  const p = m.pending;
  if (p === null) throw rejected('invalid_document', 'no marking code is under check');
  if (p.stage === 'requested') throw rejected('invalid_document', 'the marking operator has not answered the check yet');
  const saved: AcceptedCode = {
    code: p.code, plannedStatus: p.plannedStatus, measure: p.measure, quantity: p.quantity, fractional: p.fractional,
    codeType: p.result.codeType, productId: p.productId, itemCheckResult: p.result.itemCheckResult,
  };
  return { memory: { ...m, pending: null, accepted: accept ? [...m.accepted, saved] : m.accepted }, itemCheckResult: p.result.itemCheckResult };
}

/** B3: forgets the code under check and every saved result. */
export const clearChecks = (m: MarkingMemory): MarkingMemory => ({ ...m, pending: null, accepted: [] });

/** The FN's marking work state (FF70h byte 1). */
export function workState(m: MarkingMemory, blocked: boolean): MarkingWorkState {
  if (blocked) return MARKING_WORK_STATES.blocked;
  switch (m.pending?.stage) {
    case undefined:
      return MARKING_WORK_STATES.idle;
    case 'checked':
      return MARKING_WORK_STATES.codeChecked;
    case 'requested':
      return MARKING_WORK_STATES.requestFormed;
    case 'answered':
      return MARKING_WORK_STATES.answerReceived;
  }
}

const itemLabel = (receipt: FiscalReceipt, i: number): string => `item ${i + 1} "${receipt.items[i]?.name ?? ''}"`;

/**
 * What the FN does with a receipt's marked items: each must be the next saved result — the same
 * code and planned status, in acceptance order — and `given` (RegisterOptions.marking) must carry
 * that result's 2106 at the item's index and nothing at unmarked ones. Else the FN refuses the
 * receipt ('invalid_document', naming the item). Returns the 2106 per item index for the receipt
 * and the notification's units; results the receipt did not use are dropped with the rest.
 */
export function consumeForReceipt(
  m: MarkingMemory, receipt: FiscalReceipt, given: readonly (number | null)[] | undefined,
): { memory: MarkingMemory; marking: (number | null)[]; items: NotificationItem[] } {
  const marking: (number | null)[] = [];
  const items: NotificationItem[] = [];
  let next = 0;
  receipt.items.forEach((item, i) => {
    const km = item.ffd12?.marking ?? null;
    const stated = given?.[i] ?? null;
    if (km === null) {
      if (stated !== null) throw rejected('invalid_document', `${itemLabel(receipt, i)} has no marking code but a check result 2106 = ${stated}`);
      marking.push(null);
      return;
    }
    const saved = m.accepted[next];
    if (saved === undefined || saved.code !== km.code) {
      throw rejected('invalid_document', `${itemLabel(receipt, i)}: its marking code is not the next one the FN accepted (check and accept each code, in item order)`);
    }
    if (saved.plannedStatus !== km.plannedStatus) {
      throw rejected('invalid_document', `${itemLabel(receipt, i)}: planned status 2003 = ${km.plannedStatus}, the code was checked with ${saved.plannedStatus}`);
    }
    if (stated !== saved.itemCheckResult) {
      throw rejected('invalid_document', `${itemLabel(receipt, i)}: check result 2106 = ${stated ?? 'none'}, the FN accepted it with ${saved.itemCheckResult}`);
    }
    next += 1;
    marking.push(saved.itemCheckResult);
    items.push({
      code: saved.code, codeType: saved.codeType, productId: saved.productId, status: saved.plannedStatus, itemCheckResult: saved.itemCheckResult,
      measure: saved.measure, quantity: saved.quantity, fractional: saved.fractional, processingMode: 0, paymentMethod: item.paymentMethod,
      name: item.name, price: item.price, sum: item.total, vat: item.vat, vatSum: itemVat(item.total, item.vat),
    });
  });
  return { memory: { ...m, pending: null, accepted: [] }, marking, items };
}

/** 2006 of the operator's receipt (84): the notification holds units whose check was negative. */
export const notificationNegative = (n: Pick<SaleNotification, 'items'>): boolean => n.items.some((i) => markingNegative(i.itemCheckResult));

/** 2112 and 2113 of the close-shift report from the period's counts. */
export function periodSigns(m: MarkingMemory, negativeReceipts: number): { invalidCodes: number; invalidRequests: number } {
  // 2112: bit 1 an answer with an incorrect code, bit 2 a notification receipt naming incorrect codes.
  const invalidCodes = (m.period.invalidCodeAnswers > 0 ? 2 : 0) | (negativeReceipts > 0 ? 4 : 0);
  // 2113: bit 0 a request answered as incorrect; bit 1 (a notification found incorrect, 2111 = 1)
  // never: the simulated operator takes every notification the FN forms.
  const invalidRequests = m.period.rejectedRequests > 0 ? 1 : 0;
  return { invalidCodes, invalidRequests };
}

/** A new period of 2112/2113 material, after a close-shift report. */
export const newPeriod = (m: MarkingMemory, now: number): MarkingMemory => ({ ...m, period: { since: now, invalidCodeAnswers: 0, rejectedRequests: 0 } });
