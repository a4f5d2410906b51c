import { describe, expect, it } from 'vitest';
import type { MarkingCheckResult } from '../../domain/ffd12.js';
import { errorText } from './emulator/errors.js';
import { checkBitsOf, checkResultOf, codeOfImc, fractionOf, imcOf, itemInfoCheckResultOf, offlineValidationOf, validationStatusOf } from './marking.js';

const fnOk = { checked: true, valid: true, reason: 'checked' } as const;
const noKeys = { checked: false, valid: false, reason: 'no_keys' } as const;

/** What the emulator answers for a result, read back by the driver. */
function roundTrip(r: MarkingCheckResult, offline = false): MarkingCheckResult {
  const outcome = checkResultOf({ offlineValidation: offlineValidationOf(r) }, validationStatusOf(r, errorText), offline, () => r.codeType);
  if (outcome.kind !== 'result') throw new Error(`driver error ${outcome.code}`);
  return outcome.result;
}

describe('ATOL marking results (myscripts_marks.js shapes)', () => {
  it('2106 ↔ itemInfoCheckResult, bit by bit', () => {
    for (let bits = 0; bits < 32; bits++) expect(checkBitsOf(itemInfoCheckResultOf(bits))).toBe(bits);
    expect(itemInfoCheckResultOf(19)).toEqual({ imcCheckFlag: true, imcCheckResult: true, imcStatusInfo: false, imcEstimatedStatusCorrect: false, ecrStandAloneFlag: true });
  });

  it('every check outcome survives the trip through the task results', () => {
    const results: [MarkingCheckResult, boolean][] = [
      [{ codeType: 4, fn: fnOk, operator: { answered: true, requestCode: 0, codeValid: true, statusCorrect: true, itemStatus: 1 }, itemCheckResult: 15 }, false],
      [{ codeType: 3, fn: noKeys, operator: { answered: true, requestCode: 0, codeValid: false, statusCorrect: false, itemStatus: 3 }, itemCheckResult: 4 }, false],
      [{ codeType: 0, fn: { checked: false, valid: false, reason: 'type_not_checkable' }, operator: { answered: true, requestCode: 2, codeValid: false, statusCorrect: false, itemStatus: null }, itemCheckResult: 4 }, false],
      [{ codeType: 5, fn: fnOk, operator: { answered: false, reason: 'unreachable' }, itemCheckResult: 19 }, false],
      [{ codeType: 5, fn: fnOk, operator: { answered: false, reason: 'timeout' }, itemCheckResult: 19 }, false],
      [{ codeType: 1, fn: { checked: false, valid: false, reason: 'type_not_checkable' }, operator: { answered: false, reason: 'not_asked' }, itemCheckResult: 16 }, true],
    ];
    for (const [r, offline] of results) expect(roundTrip(r, offline)).toEqual(r);
  });

  it('an unanswered check carries the driver error the scripts name; other errors are raised', () => {
    const lost: MarkingCheckResult = { codeType: 4, fn: fnOk, operator: { answered: false, reason: 'timeout' }, itemCheckResult: 19 };
    expect(validationStatusOf(lost, errorText)).toEqual({
      ready: true, sentImcRequest: true, driverError: { code: 421, description: 'Истёк таймаут проверки КМ', error: 'responseTimeout' },
    });
    const refused = checkResultOf({}, { ready: true, driverError: { code: 403, description: 'Процедура проверки КМ прервана' } }, false, () => 0);
    expect(refused).toEqual({ kind: 'error', code: 403, description: 'Процедура проверки КМ прервана' });
  });

  it('imc is base64 of the code with GS kept; 1291 is "n/d" with n < d', () => {
    const code = '0104601234567893215abc\u001d93dGVz';
    expect(codeOfImc(imcOf(code))).toBe(code);
    expect(codeOfImc('01046012345678932')).toBe('01046012345678932');
    expect(fractionOf('1/4')).toEqual({ numerator: 1, denominator: 4 });
    expect([fractionOf('4/4'), fractionOf('0/4'), fractionOf('1/0'), fractionOf('1.5/4')]).toEqual([null, null, null, null]);
  });
});
