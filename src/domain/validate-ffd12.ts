import { normalizePhone } from './contact.js';
import type { Measure, ReceiptType } from './enums.js';
import { RECEIPT_TYPES } from './enums.js';
import type {
  AgentData, BuyerInfo, FractionalQuantity, IndustryRequisite, ItemExtras, OperationalRequisite, PlannedStatus, ProductCodeKind,
  ReceiptExtras, Supplier, UserRequisite,
} from './ffd12.js';
import { isPlannedStatus, isProductCodeKind } from './ffd12.js';
import { isValidInn } from './inn.js';
import { isMarkingCodeError, parseMarkingCode } from './marking-code.js';
import type { MarkingCodeError } from './marking-code.js';
import { parseMoney } from './money.js';
import type { AgentInput, IndustryRequisiteInput, ProductInput, ReceiptInput } from './receipt-input.js';
import { WEIGHED_MEASURES } from './units.js';

/**
 * The FFD 1.2 fields of a receipt (docs/api.md "FFD 1.2 content", docs/domain.md §1.8): checked
 * against the FFD limits (lengths, enumerations, INN check digits, dates) and turned into the
 * ItemExtras / ReceiptExtras every driver writes. Field errors are 400s; a 1.2-only field on a
 * register registered for FFD 1.05, and sums or subjects FFD forbids, are 422s.
 */
export interface Ffd12Report {
  /** 400: the field's value is malformed. */
  invalid(field: string, code: string, message: string): void;
  /** 422: well-formed, but the register or FFD cannot take it. */
  unprocessable(field: string, code: string, message: string): void;
}

export interface Ffd12Context {
  ffdVersion: '105' | '120' | null;
  receiptType: ReceiptType | null;
}

/** 1212 values of marked goods sold with their marking code (31 excisable, 33 other). */
const MARKED_WITH_CODE: ReadonlySet<number> = new Set([31, 33]);
/** 1222: one agent kind per item (bank paying agent … other agent). */
const AGENT_SIGNS: ReadonlySet<number> = new Set([1, 2, 4, 8, 16, 32, 64]);

const PRODUCT_CODE_RULES: Record<Exclude<ProductCodeKind, 'gs1m' | 'kmk'>, { pattern: RegExp; text: string }> = {
  undefined: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  ean8: { pattern: /^\d{8}$/, text: '8 digits' },
  ean13: { pattern: /^\d{13}$/, text: '13 digits' },
  itf14: { pattern: /^\d{14}$/, text: '14 digits' },
  gs1: { pattern: /^[\x20-\x7e]{1,38}$/, text: 'at most 38 printable characters' },
  mi: { pattern: /^[A-Z]{2}-\d{6}-[A-Z]{10}$/, text: 'a fur identifier like RU-430302-AAA7582966' },
  egais2: { pattern: /^[\x20-\x7e]{23}$/, text: '23 characters' },
  egais3: { pattern: /^[\x20-\x7e]{14}$/, text: '14 characters' },
  f1: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  f2: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  f3: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  f4: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  f5: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
  f6: { pattern: /^[\x20-\x7e]{1,32}$/, text: 'at most 32 printable characters' },
};

const MARKING_MESSAGES: Record<MarkingCodeError['problem'], string> = {
  empty: 'must not be empty',
  bad_base64: 'is neither a marking code nor its base64',
  bad_gtin_check_digit: 'has a GTIN whose check digit is wrong',
  unknown_ai: 'holds an application identifier marking codes do not use',
  bad_length: 'has an element of the wrong length',
  too_long: 'is longer than FFD allows (256 characters; 38 in tag 1163)',
  bad_characters: 'holds characters a marking code cannot hold',
};

/** "dd.mm.yyyy" as FFD writes dates in strings (1243, 1263); null when not a real date. */
export function ffdDate(text: string): string | null {
  const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return `${m[1]}.${m[2]}.${m[3]}`;
}

const str = (v: string | null | undefined): string | null => (v === undefined || v === null || v.trim() === '' ? null : v.trim());

/** Reports every FFD 1.2 field a 1.05 register cannot take; true when there was one. */
function refuseOn105(ctx: Ffd12Context, fields: [string, unknown][], r: Ffd12Report): boolean {
  if (ctx.ffdVersion !== '105') return false;
  let any = false;
  for (const [field, value] of fields) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    r.unprocessable(field, 'requires_ffd_1_2', `${field} exists only in FFD 1.2; the register is registered for FFD 1.05`);
    any = true;
  }
  return any;
}

function checkText(field: string, value: string | null, max: number, r: Ffd12Report): string | null {
  if (value !== null && value.length > max) r.invalid(field, 'too_long', `${field} must be at most ${max} characters`);
  return value;
}

function checkInn(field: string, value: string | null, r: Ffd12Report): string | null {
  if (value !== null && !isValidInn(value)) r.invalid(field, 'invalid_inn', `${field} must be a valid INN: 10 or 12 digits with correct check digits`);
  return value;
}

function checkPhones(field: string, phones: string[] | null | undefined, r: Ffd12Report): string[] {
  const out: string[] = [];
  (phones ?? []).forEach((p, i) => {
    const n = normalizePhone(p);
    // FFD phone tags (1073–1075, 1171) are String 19.
    if (n === null || n.length > 19) r.invalid(`${field}[${i}]`, 'invalid_phone', `${field}[${i}] must contain 10 to 15 digits`);
    else out.push(n);
  });
  return out;
}

function industryRequisites(field: string, list: IndustryRequisiteInput[] | null | undefined, r: Ffd12Report): IndustryRequisite[] {
  return (list ?? []).map((x, i) => {
    const f = `${field}[${i}]`;
    // 1262: the federal body's id from the FNS list, three digits (e.g. 030 for the Ministry of Industry).
    if (!/^\d{3}$/.test(x.foiv_id) || x.foiv_id === '000') r.invalid(`${f}.foiv_id`, 'invalid_foiv_id', `${f}.foiv_id must be a 3-digit id of a federal body (001–999)`);
    const date = ffdDate(x.doc_date);
    if (date === null) r.invalid(`${f}.doc_date`, 'invalid_date', `${f}.doc_date must be an existing date as dd.mm.yyyy`);
    if (x.doc_number.trim() === '') r.invalid(`${f}.doc_number`, 'required', `${f}.doc_number must not be empty`);
    checkText(`${f}.doc_number`, x.doc_number, 32, r);
    if (x.value.trim() === '') r.invalid(`${f}.value`, 'required', `${f}.value must not be empty`);
    checkText(`${f}.value`, x.value, 256, r);
    return { foivId: x.foiv_id, docDate: date ?? x.doc_date, docNumber: x.doc_number.trim(), value: x.value.trim() };
  });
}

function agentData(field: string, a: AgentInput, r: Ffd12Report): AgentData {
  return {
    operation: checkText(`${field}.operation`, str(a.operation), 24, r),
    agentPhones: checkPhones(`${field}.phones`, a.phones, r),
    operatorPhones: checkPhones(`${field}.operator_phones`, a.operator_phones, r),
    transferOperatorPhones: checkPhones(`${field}.transfer_operator_phones`, a.transfer_operator_phones, r),
    transferOperatorName: checkText(`${field}.transfer_operator_name`, str(a.transfer_operator_name), 64, r),
    transferOperatorAddress: checkText(`${field}.transfer_operator_address`, str(a.transfer_operator_address), 256, r),
    transferOperatorInn: checkInn(`${field}.transfer_operator_inn`, str(a.transfer_operator_inn), r),
  };
}

/**
 * 2003 when the request names none: a sale or its correction sells the unit (1, or 2 for a
 * measured one), a return takes it back (3 or 4), a purchase leaves its status unchanged (255).
 */
export function defaultPlannedStatus(receiptType: ReceiptType, measured: boolean): PlannedStatus {
  switch (RECEIPT_TYPES[receiptType].operationType) {
    case 1: return measured ? 2 : 1;
    case 2: return measured ? 4 : 3;
    default: return 255;
  }
}

/** The FFD 1.2 extras of one product, or undefined when it carries none. */
export function validateItemExtras(
  p: ProductInput, f: string, ctx: Ffd12Context, item: { measure: Measure; quantity: number; paymentObject: number }, r: Ffd12Report,
): ItemExtras | undefined {
  const fields: [string, unknown][] = [
    [`${f}.marking_code`, p.marking_code], [`${f}.planned_status`, p.planned_status], [`${f}.fractional_quantity`, p.fractional_quantity],
    [`${f}.product_code`, p.product_code], [`${f}.agent_sign`, p.agent_sign], [`${f}.agent`, p.agent], [`${f}.supplier`, p.supplier],
    [`${f}.excise`, p.excise], [`${f}.country_code`, p.country_code], [`${f}.customs_declaration`, p.customs_declaration],
    [`${f}.additional_requisite`, p.additional_requisite], [`${f}.industry_requisites`, p.industry_requisites],
  ];
  if (fields.every(([, v]) => v === undefined || v === null || (Array.isArray(v) && v.length === 0))) {
    if (MARKED_WITH_CODE.has(item.paymentObject) && ctx.ffdVersion !== '105') {
      r.unprocessable(`${f}.marking_code`, 'marking_code_required', `${f}.commodity_type_int ${item.paymentObject} is marked goods sold with their code: ${f}.marking_code is required`);
    }
    return undefined;
  }
  if (refuseOn105(ctx, fields, r)) return undefined;

  let fractional: FractionalQuantity | null = null;
  if (p.fractional_quantity) {
    const { numerator, denominator } = p.fractional_quantity;
    if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 1 || denominator < 2 || numerator >= denominator || denominator > 0xffffffff) {
      r.invalid(`${f}.fractional_quantity`, 'invalid_fraction', `${f}.fractional_quantity must be numerator/denominator with 1 ≤ numerator < denominator`);
    } else {
      fractional = { numerator, denominator };
    }
    // 1291 sells a part of one marked unit: 1023 is 1 and the fraction says how much of it.
    if (item.quantity !== 1_000_000) r.invalid(`${f}.quantity`, 'invalid_quantity', `${f}.quantity must be 1 when fractional_quantity is given`);
    if (!p.marking_code) r.invalid(`${f}.fractional_quantity`, 'not_allowed', `${f}.fractional_quantity is allowed only with a marking_code`);
  }

  let marking: ItemExtras['marking'] = null;
  if (str(p.marking_code) !== null) {
    const parsed = parseMarkingCode(p.marking_code ?? '', 'auto');
    if (isMarkingCodeError(parsed)) {
      r.invalid(`${f}.marking_code`, 'invalid_marking_code', `${f}.marking_code ${MARKING_MESSAGES[parsed.problem]}`);
    } else {
      const measured = fractional !== null || WEIGHED_MEASURES.has(item.measure);
      let status: PlannedStatus = ctx.receiptType === null ? 1 : defaultPlannedStatus(ctx.receiptType, measured);
      if (p.planned_status !== undefined && p.planned_status !== null) {
        if (!isPlannedStatus(p.planned_status)) r.invalid(`${f}.planned_status`, 'invalid_planned_status', `${f}.planned_status must be one of 1, 2, 3, 4, 255 (tag 2003)`);
        else status = p.planned_status;
      }
      // Piece goods (2003 = 1 or 3) are checked without 1023 / 1291.
      if ((status === 1 || status === 3) && fractional !== null) {
        r.invalid(`${f}.planned_status`, 'invalid_planned_status', `${f}.planned_status ${status} is for whole pieces; a fractional quantity is sold with 2 (or returned with 4)`);
      }
      if (!MARKED_WITH_CODE.has(item.paymentObject)) {
        r.unprocessable(`${f}.commodity_type_int`, 'marked_subject_required', `${f}.commodity_type_int must be 33 (marked goods) or 31 (excisable marked goods) for an item with a marking code`);
      }
      marking = { code: parsed.raw, plannedStatus: status };
    }
  } else if (p.planned_status !== undefined && p.planned_status !== null) {
    r.invalid(`${f}.planned_status`, 'not_allowed', `${f}.planned_status is allowed only with a marking_code`);
  }

  let productCode: ItemExtras['productCode'] = null;
  if (p.product_code) {
    const { kind, value } = p.product_code;
    if (marking) r.invalid(`${f}.product_code`, 'conflicting_fields', `${f}.product_code and marking_code must not both be given: a marked item's code is its marking code`);
    else if (!isProductCodeKind(kind) || kind === 'gs1m' || kind === 'kmk') {
      r.invalid(`${f}.product_code.kind`, 'invalid_product_code_kind', `${f}.product_code.kind must be one of ${Object.keys(PRODUCT_CODE_RULES).join(', ')} (marking codes go in marking_code)`);
    } else if (!PRODUCT_CODE_RULES[kind].pattern.test(value)) {
      r.invalid(`${f}.product_code.value`, 'invalid_product_code', `${f}.product_code.value must be ${PRODUCT_CODE_RULES[kind].text} for ${kind}`);
    } else {
      productCode = { kind, value };
    }
  }

  let agentSign: number | null = null;
  if (p.agent_sign !== undefined && p.agent_sign !== null) {
    if (!AGENT_SIGNS.has(p.agent_sign)) r.invalid(`${f}.agent_sign`, 'invalid_agent_sign', `${f}.agent_sign must be one of 1, 2, 4, 8, 16, 32, 64 (tag 1222)`);
    else agentSign = p.agent_sign;
  }
  const agent = p.agent ? agentData(`${f}.agent`, p.agent, r) : null;
  if (agent && agentSign === null) r.invalid(`${f}.agent_sign`, 'required', `${f}.agent_sign is required when agent data is given`);

  let supplier: Supplier | null = null;
  if (p.supplier) {
    const inn = checkInn(`${f}.supplier.inn`, str(p.supplier.inn), r);
    if (inn === null) r.invalid(`${f}.supplier.inn`, 'required', `${f}.supplier.inn is required`);
    supplier = {
      name: checkText(`${f}.supplier.name`, str(p.supplier.name), 256, r),
      phones: checkPhones(`${f}.supplier.phones`, p.supplier.phones, r),
      inn: inn ?? '',
    };
  }
  // 1226 is mandatory on every item an agent sells (FFD 1.2).
  if (agentSign !== null && supplier === null) r.invalid(`${f}.supplier`, 'required', `${f}.supplier with its inn is required when agent_sign is given`);

  let excise: number | null = null;
  if (p.excise !== undefined && p.excise !== null) {
    const e = parseMoney(p.excise);
    if (typeof e === 'string') r.invalid(`${f}.excise`, 'invalid_money', `${f}.excise must be a non-negative amount with at most 2 decimals`);
    else excise = e;
  }
  const countryCode = str(p.country_code);
  if (countryCode !== null && !/^\d{3}$/.test(countryCode)) r.invalid(`${f}.country_code`, 'invalid_country_code', `${f}.country_code must be a 3-digit OKSM code (e.g. 643)`);

  return {
    marking,
    productCode,
    fractional,
    agentSign,
    agent,
    supplier,
    excise,
    countryCode,
    customsDeclaration: checkText(`${f}.customs_declaration`, str(p.customs_declaration), 32, r),
    additionalRequisite: checkText(`${f}.additional_requisite`, str(p.additional_requisite), 64, r),
    industry: industryRequisites(`${f}.industry_requisites`, p.industry_requisites, r),
  };
}

/** The FFD 1.2 extras of the receipt, or undefined when it carries none. */
export function validateReceiptExtras(input: ReceiptInput, ctx: Ffd12Context, today: string, r: Ffd12Report): ReceiptExtras | undefined {
  const fields: [string, unknown][] = [
    ['buyer', input.buyer], ['operational_requisite', input.operational_requisite], ['industry_requisites', input.industry_requisites],
    ['user_requisite', input.user_requisite], ['agent_sign', input.agent_sign],
  ];
  if (fields.every(([, v]) => v === undefined || v === null || (Array.isArray(v) && v.length === 0))) return undefined;
  if (refuseOn105(ctx, fields, r)) return undefined;

  let buyer: BuyerInfo | null = null;
  if (input.buyer) {
    const b = input.buyer;
    const birth = str(b.birth_date);
    if (birth !== null) {
      const d = ffdDate(birth);
      if (d === null) r.invalid('buyer.birth_date', 'invalid_date', 'buyer.birth_date must be an existing date as dd.mm.yyyy');
      else if (`${d.slice(6)}-${d.slice(3, 5)}-${d.slice(0, 2)}` > today) r.invalid('buyer.birth_date', 'date_in_future', 'buyer.birth_date must not be in the future');
    }
    const citizenship = str(b.citizenship);
    if (citizenship !== null && !/^\d{3}$/.test(citizenship)) r.invalid('buyer.citizenship', 'invalid_country_code', 'buyer.citizenship must be a 3-digit OKSM code (e.g. 643)');
    const documentCode = str(b.document_code);
    if (documentCode !== null && !/^\d{2}$/.test(documentCode)) r.invalid('buyer.document_code', 'invalid_document_code', 'buyer.document_code must be the 2-digit code of the identity document (e.g. 21 for a Russian passport)');
    buyer = {
      name: checkText('buyer.name', str(b.name), 256, r),
      inn: checkInn('buyer.inn', str(b.inn), r),
      birthDate: birth,
      citizenship,
      documentCode,
      documentData: checkText('buyer.document_data', str(b.document_data), 64, r),
      address: checkText('buyer.address', str(b.address), 256, r),
    };
    if (Object.values(buyer).every((v) => v === null)) r.invalid('buyer', 'required', 'buyer must carry at least one field');
    // FFD 1.2: a buyer's document data goes with its document code.
    if ((buyer.documentData === null) !== (buyer.documentCode === null)) r.invalid('buyer.document_code', 'required', 'buyer.document_code and buyer.document_data go together');
  }

  let operational: OperationalRequisite | null = null;
  if (input.operational_requisite) {
    const o = input.operational_requisite;
    if (!Number.isInteger(o.id) || o.id < 0 || o.id > 255) r.invalid('operational_requisite.id', 'out_of_range', 'operational_requisite.id must be 0–255 (tag 1271)');
    if (o.data.trim() === '') r.invalid('operational_requisite.data', 'required', 'operational_requisite.data must not be empty');
    checkText('operational_requisite.data', o.data, 64, r);
    const dt = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(o.date_time.trim());
    const valid = dt !== null && Number(dt[4]) < 24 && Number(dt[5]) < 60 && Number(dt[6] ?? 0) < 60 && ffdDate(`${dt[3]}.${dt[2]}.${dt[1]}`) !== null;
    if (!valid) r.invalid('operational_requisite.date_time', 'invalid_date', 'operational_requisite.date_time must be the local time as yyyy-mm-ddThh:mm[:ss]');
    operational = { id: o.id, data: o.data.trim(), dateTime: o.date_time.trim() };
  }

  let userRequisite: UserRequisite | null = null;
  if (input.user_requisite) {
    const u = input.user_requisite;
    if (u.name.trim() === '') r.invalid('user_requisite.name', 'required', 'user_requisite.name must not be empty');
    if (u.value.trim() === '') r.invalid('user_requisite.value', 'required', 'user_requisite.value must not be empty');
    userRequisite = { name: checkText('user_requisite.name', u.name.trim(), 64, r) ?? '', value: checkText('user_requisite.value', u.value.trim(), 256, r) ?? '' };
  }

  let agentSign: number | null = null;
  if (input.agent_sign !== undefined && input.agent_sign !== null) {
    if (!AGENT_SIGNS.has(input.agent_sign)) r.invalid('agent_sign', 'invalid_agent_sign', 'agent_sign must be one of 1, 2, 4, 8, 16, 32, 64 (tag 1057)');
    else agentSign = input.agent_sign;
  }

  return { buyer, operational, industry: industryRequisites('industry_requisites', input.industry_requisites, r), userRequisite, agentSign };
}
