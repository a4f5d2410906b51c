import type { Measure } from './enums.js';

/**
 * The FFD 1.2 content of a receipt beyond name, price, quantity, VAT, payment method and subject:
 * marking codes, product codes, agents and suppliers, excise, origin, customs, industry and buyer
 * requisites (docs/domain.md §1.8). Validated by validate-ffd12.ts; written into the FN by every
 * driver. Optional on stored receipts: a receipt without them is an FFD 1.05-style receipt.
 */

/** 2003: the status the seller plans for the marked unit. */
export const PLANNED_STATUSES = {
  1: 'piece sold',
  2: 'measured goods sold',
  3: 'piece returned',
  4: 'measured goods returned',
  255: 'status unchanged',
} as const;
export type PlannedStatus = keyof typeof PLANNED_STATUSES;
export const isPlannedStatus = (n: unknown): n is PlannedStatus => typeof n === 'number' && n in PLANNED_STATUSES;

/** 1163 sub-tags: the kind of product code an item carries. */
export const PRODUCT_CODE_TAGS = {
  undefined: 1300,
  ean8: 1301,
  ean13: 1302,
  itf14: 1303,
  gs1: 1304,
  gs1m: 1305,
  kmk: 1306,
  mi: 1307,
  egais2: 1308,
  egais3: 1309,
  f1: 1320,
  f2: 1321,
  f3: 1322,
  f4: 1323,
  f5: 1324,
  f6: 1325,
} as const;
export type ProductCodeKind = keyof typeof PRODUCT_CODE_TAGS;
export const isProductCodeKind = (s: unknown): s is ProductCodeKind => typeof s === 'string' && Object.hasOwn(PRODUCT_CODE_TAGS, s);

/** A marked unit on a receipt line: the code as scanned goes to the FN's check and into 1163. */
export interface ItemMarking {
  /** The code exactly as scanned (GS = 0x1D kept), what the FN checks (2000). */
  code: string;
  /** 2003 */
  plannedStatus: PlannedStatus;
}

/** 1291: the part of a marked unit sold (a pack of 10 sold by 3: 3/10). */
export interface FractionalQuantity {
  numerator: number;
  denominator: number;
}

/** 1223: data of a paying or bank agent. Phones as +digits. */
export interface AgentData {
  /** 1044 */
  operation: string | null;
  /** 1073 */
  agentPhones: string[];
  /** 1074 */
  operatorPhones: string[];
  /** 1075 */
  transferOperatorPhones: string[];
  /** 1026 */
  transferOperatorName: string | null;
  /** 1005 */
  transferOperatorAddress: string | null;
  /** 1016 */
  transferOperatorInn: string | null;
}

/** 1224 with 1226: the principal (supplier) an agent sells for. */
export interface Supplier {
  /** 1225 */
  name: string | null;
  /** 1171 */
  phones: string[];
  /** 1226, mandatory whenever an agent sign is given */
  inn: string;
}

/** 1260 (item) / 1261 (receipt): a requisite set by a federal executive body. */
export interface IndustryRequisite {
  /** 1262: the body's id, "001".."073" */
  foivId: string;
  /** 1263: date of the founding document, dd.mm.yyyy */
  docDate: string;
  /** 1264 */
  docNumber: string;
  /** 1265, e.g. the permit mode's "UUID=…&Time=…" */
  value: string;
}

/** FFD 1.2 extras of one receipt line. */
export interface ItemExtras {
  marking: ItemMarking | null;
  /** A 1163 code other than a marking code (EAN-13 of unmarked goods, fur, EGAIS…). */
  productCode: { kind: ProductCodeKind; value: string } | null;
  fractional: FractionalQuantity | null;
  /** 1222 bitmask: 1 bank paying agent, 2 bank paying subagent, 4 paying agent, 8 paying subagent, 16 attorney, 32 commission agent, 64 other agent */
  agentSign: number | null;
  agent: AgentData | null;
  supplier: Supplier | null;
  /** 1229, kopecks */
  excise: number | null;
  /** 1230, OKSM 3-digit country code */
  countryCode: string | null;
  /** 1231 */
  customsDeclaration: string | null;
  /** 1191 */
  additionalRequisite: string | null;
  /** 1260 */
  industry: IndustryRequisite[];
}

/** 1256: the buyer (client), for receipts that must name one. */
export interface BuyerInfo {
  /** 1227 */
  name: string | null;
  /** 1228 */
  inn: string | null;
  /** 1243, dd.mm.yyyy */
  birthDate: string | null;
  /** 1244, OKSM 3-digit */
  citizenship: string | null;
  /** 1245, identity document code (2 digits) */
  documentCode: string | null;
  /** 1246 */
  documentData: string | null;
  /** 1254 */
  address: string | null;
}

/** 1270 */
export interface OperationalRequisite {
  /** 1271, 0–255 */
  id: number;
  /** 1272 */
  data: string;
  /** 1273, the register's local time, ISO yyyy-mm-ddThh:mm[:ss] */
  dateTime: string;
}

/** 1084 */
export interface UserRequisite {
  /** 1085 */
  name: string;
  /** 1086 */
  value: string;
}

/** FFD 1.2 extras of a receipt. */
export interface ReceiptExtras {
  buyer: BuyerInfo | null;
  operational: OperationalRequisite | null;
  /** 1261 */
  industry: IndustryRequisite[];
  userRequisite: UserRequisite | null;
  /** Agent sign and supplier of every line, when the whole receipt is an agent's (1057 / 1224 at receipt level). */
  agentSign: number | null;
}

/**
 * The outcome of the FN's marking-code check (FN-M B1/B5/B6, then accept B2), as every driver
 * reports it. `itemCheckResult` is tag 2106 of the item: bit 0 checked by the FN, bit 1 the FN's
 * check positive, bit 2 the marking operator answered, bit 3 it confirmed the planned status,
 * bit 4 formed in autonomous mode (no answer).
 */
export interface MarkingCheckResult {
  /** 2100 as the FN recognised it */
  codeType: number;
  fn: { checked: boolean; valid: boolean; reason: 'checked' | 'type_not_checkable' | 'no_keys' | 'no_gs1' | 'other' };
  operator:
    | { answered: true; requestCode: 0 | 1 | 2; codeValid: boolean; statusCorrect: boolean; itemStatus: 1 | 2 | 3 | null }
    | { answered: false; reason: 'unreachable' | 'timeout' | 'not_asked' };
  itemCheckResult: number;
}

export const MARKING_BITS = {
  fnChecked: 1,
  fnValid: 2,
  operatorChecked: 4,
  operatorStatusCorrect: 8,
  autonomous: 16,
} as const;

/** A check is positive when neither the FN nor the marking operator found the code or its status wrong. */
export function markingCheckPositive(r: MarkingCheckResult): boolean {
  const fnOk = !r.fn.checked || r.fn.valid;
  const opOk = !r.operator.answered || (r.operator.requestCode === 0 && r.operator.codeValid && r.operator.statusCorrect && r.operator.itemStatus !== 3);
  return fnOk && opOk;
}

/**
 * What a service group does with a marking check's answer (the group's `marking_policy`):
 * `strict` refuses a negative answer and an unreachable marking operator; `offline_allowed`
 * refuses a negative answer and sells in autonomous mode (2106 bit 4) when the operator cannot be
 * reached, as the marking rules allow; `record_only` sells whatever the answer and records it.
 */
export const MARKING_POLICIES = ['strict', 'offline_allowed', 'record_only'] as const;
export type MarkingPolicy = (typeof MARKING_POLICIES)[number];
export const isMarkingPolicy = (s: unknown): s is MarkingPolicy => typeof s === 'string' && (MARKING_POLICIES as readonly string[]).includes(s);

/** What the FN needs to check one marking code (B1: 2000, 2003, and 2108/1023/1291 for measured goods). */
export interface MarkingCheckRequest {
  /** 2000: the code as scanned, GS (0x1D) kept */
  code: string;
  /** 2003 */
  plannedStatus: PlannedStatus;
  /** 2108 */
  measure: Measure;
  /** 1023 in millionths: only for measured goods (2003 = 2 or 4), null for piece goods */
  quantity: number | null;
  /** 1291 */
  fractional: FractionalQuantity | null;
  /** true: check in the FN only, ask no marking operator (autonomous mode) */
  offline: boolean;
}

