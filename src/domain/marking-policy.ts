import type { MarkingCheckResult, MarkingPolicy } from './ffd12.js';
import { markingCheckPositive } from './ffd12.js';

/**
 * What a service group's marking policy (ffd12.ts MarkingPolicy) makes of one check answer: the
 * worker refuses the receipt with this code and reason, and the standalone check endpoint reports
 * it, so both decide alike.
 */
/** Why a policy refuses an answer; null when it accepts it. */
export function refusal(result: MarkingCheckResult, policy: MarkingPolicy): { code: 'marking_check_failed' | 'marking_operator_unavailable'; reason: string } | null {
  if (policy === 'record_only') return null;
  if (!markingCheckPositive(result)) return { code: 'marking_check_failed', reason: describe(result) };
  const unreachable = !result.operator.answered && result.operator.reason !== 'not_asked';
  if (unreachable && policy === 'strict') {
    return { code: 'marking_operator_unavailable', reason: `the marking operator did not answer (${result.operator.answered ? '' : result.operator.reason})` };
  }
  return null;
}

function describe(r: MarkingCheckResult): string {
  if (r.fn.checked && !r.fn.valid) return 'the FN found the code invalid';
  if (!r.operator.answered) return 'no answer';
  const o = r.operator;
  if (o.requestCode !== 0) return o.requestCode === 2 ? 'the marking operator did not recognise the code' : 'the marking operator refused the request';
  if (o.itemStatus === 3) return 'the marking operator says the sale of this unit is stopped';
  if (!o.codeValid) return 'the marking operator found the code invalid';
  if (!o.statusCorrect || o.itemStatus === 2) return 'the marking operator says the planned status is wrong (not in circulation, or already sold)';
  return 'negative answer';
}

