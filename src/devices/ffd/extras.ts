import type { AgentData, IndustryRequisite, ItemExtras, ReceiptExtras } from '../../domain/ffd12.js';
import { MARKING_BITS, PRODUCT_CODE_TAGS } from '../../domain/ffd12.js';
import { isMarkingCodeError, parseMarkingCode } from '../../domain/marking-code.js';
import type { TagEntry, TagList } from './tag-list.js';
import { wallSecondsOfIso } from './wall-time.js';

/**
 * FFD 1.2 item and receipt content as FFD tags (docs/domain.md §1.8): one place for every driver
 * that writes TLV (the virtual FN, the Shtrih-M driver's FF4D / FF0C), so a field means the same
 * tag everywhere. Values as tag lists hold them: money in kopecks, dates as strings where FFD
 * makes them strings (1243, 1263), wall-clock seconds for UnixTime (1273).
 */

/** INN tags are String 12: a 10-digit INN carries two trailing spaces, as the FN stores it. */
export const inn12 = (inn: string): string => inn.padEnd(12, ' ');

/** 2106 says a check found the code or its status wrong (the FN's, bits 0–1, or the operator's, bits 2–3). */
export function markingNegative(itemCheckResult: number): boolean {
  const fnNegative = (itemCheckResult & MARKING_BITS.fnChecked) !== 0 && (itemCheckResult & MARKING_BITS.fnValid) === 0;
  const operatorNegative = (itemCheckResult & MARKING_BITS.operatorChecked) !== 0 && (itemCheckResult & MARKING_BITS.operatorStatusCorrect) === 0;
  return fnNegative || operatorNegative;
}

/** 1163 of a marked unit: 1305 (GS1 code, without its crypto tail) or 1306 (short code), else 1300. */
export function markingProductCode(code: string): TagEntry {
  const parsed = parseMarkingCode(code, 'raw');
  if (isMarkingCodeError(parsed)) return [1163, [[PRODUCT_CODE_TAGS.undefined, code.slice(0, 32)]]];
  return [1163, [[PRODUCT_CODE_TAGS[parsed.kind], parsed.productCode]]];
}

const industryTags = (r: IndustryRequisite): TagList => [[1262, r.foivId], [1263, r.docDate], [1264, r.docNumber], [1265, r.value]];

function agentTags(a: AgentData): TagList {
  const out: TagEntry[] = [];
  if (a.operation !== null) out.push([1044, a.operation]);
  for (const p of a.agentPhones) out.push([1073, p]);
  for (const p of a.operatorPhones) out.push([1074, p]);
  for (const p of a.transferOperatorPhones) out.push([1075, p]);
  if (a.transferOperatorName !== null) out.push([1026, a.transferOperatorName]);
  if (a.transferOperatorAddress !== null) out.push([1005, a.transferOperatorAddress]);
  if (a.transferOperatorInn !== null) out.push([1016, inn12(a.transferOperatorInn)]);
  return out;
}

/**
 * The FFD 1.2 tags of one item, after its 1.05 ones. `check` is the 2106 of its accepted marking
 * check (RegisterOptions.marking); a marked item carries 1163, 2102 = 0 (the only mode FFD allows)
 * and 2106.
 */
export function itemExtrasTags(x: ItemExtras, check: number | null): TagEntry[] {
  const out: TagEntry[] = [];
  if (x.marking) {
    out.push(markingProductCode(x.marking.code), [2102, 0]);
    if (check !== null) out.push([2106, check]);
  } else if (x.productCode) {
    out.push([1163, [[PRODUCT_CODE_TAGS[x.productCode.kind], x.productCode.value]]]);
  }
  if (x.fractional) {
    const { numerator, denominator } = x.fractional;
    out.push([1291, [[1292, `${numerator}/${denominator}`], [1293, numerator], [1294, denominator]]]);
  }
  if (x.agentSign !== null) out.push([1222, x.agentSign]);
  if (x.agent) out.push([1223, agentTags(x.agent)]);
  if (x.supplier) {
    const s: TagEntry[] = x.supplier.phones.map((p): TagEntry => [1171, p]);
    if (x.supplier.name !== null) s.push([1225, x.supplier.name]);
    if (s.length > 0) out.push([1224, s]);
    out.push([1226, inn12(x.supplier.inn)]);
  }
  if (x.excise !== null) out.push([1229, x.excise]);
  if (x.countryCode !== null) out.push([1230, x.countryCode]);
  if (x.customsDeclaration !== null) out.push([1231, x.customsDeclaration]);
  if (x.additionalRequisite !== null) out.push([1191, x.additionalRequisite]);
  for (const r of x.industry) out.push([1260, industryTags(r)]);
  return out;
}

/** The FFD 1.2 tags of the receipt itself; 2107 when any item carries a marking check. */
export function receiptExtrasTags(x: ReceiptExtras | undefined, checks: readonly (number | null)[]): TagEntry[] {
  const out: TagEntry[] = [];
  const made = checks.filter((c): c is number => c !== null);
  // 2107: 1 when a marked item's check by the FN or the marking operator came out negative.
  if (made.length > 0) out.push([2107, made.some(markingNegative) ? 1 : 0]);
  if (!x) return out;
  if (x.buyer) {
    const b = x.buyer;
    const fields: [number, string | null][] = [
      [1227, b.name], [1228, b.inn === null ? null : inn12(b.inn)], [1243, b.birthDate], [1244, b.citizenship],
      [1245, b.documentCode], [1246, b.documentData], [1254, b.address],
    ];
    const present = fields.filter((f): f is [number, string] => f[1] !== null);
    if (present.length > 0) out.push([1256, present]);
  }
  if (x.operational) {
    const o = x.operational;
    out.push([1270, [[1271, o.id], [1272, o.data], [1273, wallSecondsOfIso(o.dateTime, 0) ?? 0]]]);
  }
  for (const r of x.industry) out.push([1261, industryTags(r)]);
  // 1057: every item of the receipt is sold by an agent of this kind.
  if (x.agentSign !== null) out.push([1057, x.agentSign]);
  if (x.userRequisite) out.push([1084, [[1085, x.userRequisite.name], [1086, x.userRequisite.value]]]);
  return out;
}
