import type { MarkingCheckOutcome } from '../../services/device-operations.js';
import { markingCheckView as checkFlags } from './ffd12.js';

/** The standalone marking check's answer (docs/api.md "Marking codes"). */
export function markingCheckView(o: MarkingCheckOutcome) {
  const { result } = o;
  return {
    code_type: result.codeType,
    fn: { checked: result.fn.checked, valid: result.fn.valid, reason: result.fn.reason },
    operator: result.operator.answered
      ? {
          answered: true,
          request_code: result.operator.requestCode,
          code_valid: result.operator.codeValid,
          status_correct: result.operator.statusCorrect,
          item_status: result.operator.itemStatus,
        }
      : { answered: false, reason: result.operator.reason },
    item_check_result: checkFlags(result.itemCheckResult),
    policy: o.policy,
    sellable: o.sellable,
    refusal: o.refusal,
  };
}
