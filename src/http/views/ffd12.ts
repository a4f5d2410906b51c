import type { IndustryRequisite, ItemExtras, ReceiptExtras } from '../../domain/ffd12.js';
import { MARKING_BITS } from '../../domain/ffd12.js';
import { formatMoney } from '../../domain/money.js';

/**
 * The FFD 1.2 content of a receipt as the REST API shows it: the request's own field names
 * (docs/api.md "FFD 1.2 content"), plus the marking check each marked item got (2106 decoded).
 */
const industry = (r: IndustryRequisite) => ({ foiv_id: r.foivId, doc_date: r.docDate, doc_number: r.docNumber, value: r.value });

/** 2106 as flags; null until the receipt is fiscalized. */
export function markingCheckView(result: number | null | undefined) {
  if (result === null || result === undefined) return null;
  return {
    result,
    fn_checked: (result & MARKING_BITS.fnChecked) !== 0,
    fn_valid: (result & MARKING_BITS.fnValid) !== 0,
    operator_checked: (result & MARKING_BITS.operatorChecked) !== 0,
    operator_status_correct: (result & MARKING_BITS.operatorStatusCorrect) !== 0,
    autonomous: (result & MARKING_BITS.autonomous) !== 0,
  };
}

export function itemExtrasView(x: ItemExtras, check: number | null | undefined) {
  return {
    marking_code: x.marking?.code ?? null,
    planned_status: x.marking?.plannedStatus ?? null,
    marking_check: markingCheckView(check),
    fractional_quantity: x.fractional,
    product_code: x.productCode,
    agent_sign: x.agentSign,
    agent: x.agent && {
      operation: x.agent.operation,
      phones: x.agent.agentPhones,
      operator_phones: x.agent.operatorPhones,
      transfer_operator_phones: x.agent.transferOperatorPhones,
      transfer_operator_name: x.agent.transferOperatorName,
      transfer_operator_address: x.agent.transferOperatorAddress,
      transfer_operator_inn: x.agent.transferOperatorInn,
    },
    supplier: x.supplier,
    excise: x.excise === null ? null : formatMoney(x.excise),
    country_code: x.countryCode,
    customs_declaration: x.customsDeclaration,
    additional_requisite: x.additionalRequisite,
    industry_requisites: x.industry.map(industry),
  };
}

export function receiptExtrasView(x: ReceiptExtras) {
  return {
    buyer: x.buyer && {
      name: x.buyer.name,
      inn: x.buyer.inn,
      birth_date: x.buyer.birthDate,
      citizenship: x.buyer.citizenship,
      document_code: x.buyer.documentCode,
      document_data: x.buyer.documentData,
      address: x.buyer.address,
    },
    operational_requisite: x.operational && { id: x.operational.id, data: x.operational.data, date_time: x.operational.dateTime },
    industry_requisites: x.industry.map(industry),
    user_requisite: x.userRequisite,
    agent_sign: x.agentSign,
  };
}
