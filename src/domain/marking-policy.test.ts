import { describe, expect, it } from 'vitest';
import type { MarkingCheckResult, MarkingPolicy } from './ffd12.js';
import { refusal } from './marking-policy.js';

/** One answer of each kind the FN and the marking operator give (FFD 1.2: 2004, 2105, 2109, 2005). */
const fnOk = { checked: true, valid: true, reason: 'checked' } as const;
const answer = (o: Partial<{ requestCode: 0 | 1 | 2; codeValid: boolean; statusCorrect: boolean; itemStatus: 1 | 2 | 3 | null }>): MarkingCheckResult['operator'] =>
  ({ answered: true, requestCode: 0, codeValid: true, statusCorrect: true, itemStatus: 1, ...o });
const OUTCOMES: Record<string, MarkingCheckResult> = {
  valid: { codeType: 4, fn: fnOk, operator: answer({}), itemCheckResult: 15 },
  fn_invalid: { codeType: 4, fn: { checked: true, valid: false, reason: 'checked' }, operator: answer({}), itemCheckResult: 13 },
  no_keys: { codeType: 3, fn: { checked: false, valid: false, reason: 'no_keys' }, operator: answer({}), itemCheckResult: 12 },
  invalid_code: { codeType: 4, fn: fnOk, operator: answer({ codeValid: false, statusCorrect: false }), itemCheckResult: 7 },
  unrecognised: { codeType: 0, fn: fnOk, operator: answer({ requestCode: 2, itemStatus: null }), itemCheckResult: 7 },
  wrong_status: { codeType: 4, fn: fnOk, operator: answer({ statusCorrect: false, itemStatus: 2 }), itemCheckResult: 7 },
  sale_stopped: { codeType: 4, fn: fnOk, operator: answer({ itemStatus: 3 }), itemCheckResult: 15 },
  unreachable: { codeType: 4, fn: fnOk, operator: { answered: false, reason: 'unreachable' }, itemCheckResult: 19 },
  timeout: { codeType: 4, fn: fnOk, operator: { answered: false, reason: 'timeout' }, itemCheckResult: 19 },
  offline_check: { codeType: 4, fn: fnOk, operator: { answered: false, reason: 'not_asked' }, itemCheckResult: 19 },
};

/** What each policy does with each outcome: null sells, else the refusal code. */
const EXPECTED: Record<string, Record<MarkingPolicy, string | null>> = {
  valid: { strict: null, offline_allowed: null, record_only: null },
  fn_invalid: { strict: 'marking_check_failed', offline_allowed: 'marking_check_failed', record_only: null },
  no_keys: { strict: null, offline_allowed: null, record_only: null },
  invalid_code: { strict: 'marking_check_failed', offline_allowed: 'marking_check_failed', record_only: null },
  unrecognised: { strict: 'marking_check_failed', offline_allowed: 'marking_check_failed', record_only: null },
  wrong_status: { strict: 'marking_check_failed', offline_allowed: 'marking_check_failed', record_only: null },
  sale_stopped: { strict: 'marking_check_failed', offline_allowed: 'marking_check_failed', record_only: null },
  unreachable: { strict: 'marking_operator_unavailable', offline_allowed: null, record_only: null },
  timeout: { strict: 'marking_operator_unavailable', offline_allowed: null, record_only: null },
  offline_check: { strict: null, offline_allowed: null, record_only: null },
};

describe('the marking policy decides every check outcome', () => {
  for (const [name, result] of Object.entries(OUTCOMES)) {
    for (const policy of ['strict', 'offline_allowed', 'record_only'] as const) {
      it(`${name} under ${policy}`, () => {
        const r = refusal(result, policy);
        expect(r?.code ?? null).toBe(EXPECTED[name]?.[policy]);
        if (r) expect(r.reason.length).toBeGreaterThan(5);
      });
    }
  }
  it('names why: a stopped sale reads as one', () => {
    expect(refusal(OUTCOMES.sale_stopped!, 'strict')?.reason).toContain('stopped');
  });
});
