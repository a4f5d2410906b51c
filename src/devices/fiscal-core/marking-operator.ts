import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedStatus } from '../../domain/ffd12.js';

/**
 * The simulated marking operator (ОИСМ, «Честный ЗНАК») behind the virtual FN-M. It answers the
 * FN's code request (document 81) with an answer (83: 2105, 2005, 2109) and confirms sale
 * notifications (82) with a receipt (84). No real operator is ever contacted: the answer is the
 * configured one (`marking_operator`), per GTIN (`marking_answers`) or forced by an injected fault.
 *
 * Tag meanings (FFD 1.2 documents 81/83) as the ATOL driver's JSON-task scripts read an answer:
 * AlexanderYekat/atolexamplesjson `myscripts_marks.js` (`markOperatorResponseResult` = 2105,
 * `markOperatorItemStatus` = 2109, `markOperatorResponse` = 2005 bits 1 and 3).
 */

export const MARKING_OPERATOR_ANSWERS = ['valid', 'invalid_code', 'wrong_status', 'sale_stopped', 'unreachable', 'slow'] as const;
/**
 * valid: code and planned status confirmed (2105 = 0, 2005 bits 1 and 3, 2109 = 1);
 * invalid_code: the code's check failed (2005 bit 1 clear);
 * wrong_status: the planned status is wrong (2109 = 2, 2005 bit 3 clear);
 * sale_stopped: the unit's circulation is suspended (2109 = 3, 2005 bit 3 clear);
 * unreachable: no answer — the FN forms the result alone (2106 bit 4);
 * slow: a valid answer after the configured delay.
 */
export type MarkingOperatorAnswer = (typeof MARKING_OPERATOR_ANSWERS)[number];
export const isMarkingOperatorAnswer = (s: unknown): s is MarkingOperatorAnswer =>
  typeof s === 'string' && (MARKING_OPERATOR_ANSWERS as readonly string[]).includes(s);

/** 2005 bits the operator sets (bits 0 and 2 are reserved; some KKTs send them as 1, we send 0). */
export const OPERATOR_BITS = { codeValid: 2, statusCorrect: 8 } as const;

/** The request (81) as the operator sees it: what its answer depends on. */
export interface OperatorRequest {
  /** 2001 */
  requestNumber: number;
  /** 2100 as the FN recognised the code: 0 means the code is not recognised */
  codeType: number;
  /** GTIN of a GS1 code (AI 01), the key of `marking_answers`; null for codes without one */
  gtin: string | null;
  /** 2003 */
  plannedStatus: PlannedStatus;
}

/** The operator's answer (83) the FN takes in B6. */
export interface OperatorReply {
  /** 2105: 0 request and code correct, 1 request format incorrect, 2 code not recognised */
  requestCode: 0 | 1 | 2;
  /** 2005 bitmask (OPERATOR_BITS); 0 when 2105 ≠ 0 */
  processing: number;
  /** 2109: 1 planned status correct, 2 incorrect, 3 sale stopped; null when 2105 ≠ 0 */
  itemStatus: 1 | 2 | 3 | null;
}

export interface MarkingOperatorOptions {
  /** The answer every check gets (config `marking_operator`). */
  answer: MarkingOperatorAnswer;
  /** Answers by GTIN (config `marking_answers`), over `answer`. */
  answers: Readonly<Record<string, MarkingOperatorAnswer>>;
  /** How long a 'slow' operator takes to answer, ms (config `marking_operator_delay_ms`). */
  delayMs: number;
}

export interface MarkingOperator {
  /** The answer a check of this GTIN gets: `forced` (an injected fault) first, then the GTIN's own, then the default. */
  answerFor(gtin: string | null, forced: MarkingOperatorAnswer | null): MarkingOperatorAnswer;
  /**
   * Answers request 81 as `answer` says: null when the operator does not answer ('unreachable').
   * 'slow' waits `delayMs` (default: the configured delay) on real timers, like the `slow` fault:
   * it exercises the server's own device call timeout, which runs on real time.
   */
  respond(request: OperatorRequest, answer: MarkingOperatorAnswer, delayMs?: number): Promise<OperatorReply | null>;
  /** Whether the operator takes sale notifications now (it confirms them with 84): false when configured unreachable. */
  readonly takesNotifications: boolean;
}

/** The 83 an answer stands for (null: none). A code the FN did not recognise (2100 = 0) is answered 2105 = 2. */
export function operatorReply(answer: MarkingOperatorAnswer, request: Pick<OperatorRequest, 'codeType'>): OperatorReply | null {
  if (answer === 'unreachable') return null;
  if (request.codeType === 0) return { requestCode: 2, processing: 0, itemStatus: null };
  switch (answer) {
    case 'valid':
    case 'slow':
      return { requestCode: 0, processing: OPERATOR_BITS.codeValid | OPERATOR_BITS.statusCorrect, itemStatus: 1 };
    case 'invalid_code':
      return { requestCode: 0, processing: OPERATOR_BITS.statusCorrect, itemStatus: 1 };
    case 'wrong_status':
      return { requestCode: 0, processing: OPERATOR_BITS.codeValid, itemStatus: 2 };
    case 'sale_stopped':
      return { requestCode: 0, processing: OPERATOR_BITS.codeValid, itemStatus: 3 };
  }
}

export function createMarkingOperator(o: MarkingOperatorOptions): MarkingOperator {
  return {
    answerFor: (gtin, forced) => forced ?? (gtin !== null ? o.answers[gtin] : undefined) ?? o.answer,
    async respond(request, answer, delayMs = o.delayMs) {
      if (answer === 'slow' && delayMs > 0) await sleep(delayMs);
      return operatorReply(answer, request);
    },
    takesNotifications: o.answer !== 'unreachable',
  };
}
