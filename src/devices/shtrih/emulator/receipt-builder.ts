/**
 * The receipt a protocol emulator assembles from FF35/FF46/FF4D/FF67/FF0C, turned into a
 * FiscalReceipt at FF45. The checks here are the ones the register itself makes before the FN sees
 * anything. FFD 1.2 item tags (FF4D) and receipt tags (FF0C) become the receipt's ItemExtras /
 * ReceiptExtras, the inverse of ffd/extras.ts, so the virtual FN writes them as it would for any
 * driver.
 */
import type { OperationType, ReceiptType } from '../../../domain/enums.js';
import { isTaxSystem } from '../../../domain/enums.js';
import type { AgentData, IndustryRequisite, ItemExtras, PlannedStatus, ProductCodeKind, ReceiptExtras } from '../../../domain/ffd12.js';
import { PRODUCT_CODE_TAGS } from '../../../domain/ffd12.js';
import { lineCost } from '../../../domain/quantity.js';
import type { Cashier, CorrectionData, FiscalReceipt, ReceiptItem, ReceiptPayment } from '../../../domain/receipt.js';
import type { RegisterOptions } from '../../driver.js';
import { decodeEntries, tagNumber, tagString } from '../../ffd/tag-list.js';
import type { TagList, TagValue } from '../../ffd/tag-list.js';
import { wallIso } from '../../ffd/wall-time.js';
import type { CloseReceipt, Operation } from '../commands.js';
import { PAYMENT_SLOTS } from '../commands.js';
import { readVln, tlvText } from '../tlv.js';
import type { Tlv } from '../tlv.js';
import { decodeTlvs } from '../tlv.js';
import { vatFromShtrih } from '../vat.js';
import { isMeasure, isPaymentMethod, isPaymentObject } from '../../../domain/enums.js';

/** A checked and accepted marking code bound to an item by FF67. */
export interface MarkingBinding {
  code: string;
  /** 2003 of its check */
  plannedStatus: PlannedStatus;
  /** 2106 the FN answered when it was accepted */
  check: number;
}

/**
 * Registers that take an item's tags before its FF46 (commands.ts operationTagsFirst): the FF4D
 * tags and the FF67 code wait here for the next FF46. `draft` holds them already applied, so a bad
 * tag is refused when it arrives.
 */
export interface PendingItem {
  draft: ReceiptItem;
  tlvs: Tlv[];
  binding: MarkingBinding | null;
}

export interface OpenReceipt {
  operationType: OperationType;
  correction: boolean;
  items: ReceiptItem[];
  tags: Tlv[];
  /** 2106 of each marked item's accepted check, for RegisterOptions.marking. */
  marking: Map<ReceiptItem, number>;
  pending: PendingItem | null;
}

export const newOpenReceipt = (operationType: OperationType, correction: boolean): OpenReceipt =>
  ({ operationType, correction, items: [], tags: [], marking: new Map(), pending: null });

/** The document open on the emulated register, whichever command family opened it. */
export interface DocumentState {
  receipt: OpenReceipt | null;
  /** FF35 came; the next FF46 / 0x80–0x83 / 0x8D opens a correction receipt. */
  correctionPending: boolean;
}

/** A register-level refusal: the Shtrih error byte to answer. */
export class ShtrihRefusal extends Error {
  constructor(readonly byte: number, message: string) {
    super(message);
  }
}

const RECEIPT_TYPE: Record<OperationType, { plain: ReceiptType; correction: ReceiptType }> = {
  1: { plain: 1, correction: 7 },
  2: { plain: 2, correction: 8 },
  3: { plain: 4, correction: 9 },
  4: { plain: 5, correction: 10 },
};

export function itemFromOperation(op: Operation): ReceiptItem {
  const vat = vatFromShtrih(op.taxRate);
  if (vat === null) throw new ShtrihRefusal(0x33, `unknown FF46 tax rate 0x${op.taxRate.toString(16)}`);
  if (!isPaymentMethod(op.paymentMethod)) throw new ShtrihRefusal(0x33, `bad 1214 ${op.paymentMethod}`);
  if (!isPaymentObject(op.paymentObject)) throw new ShtrihRefusal(0x33, `bad 1212 ${op.paymentObject}`);
  if (op.quantity <= 0) throw new ShtrihRefusal(0x33, 'zero quantity');
  return {
    name: op.name,
    price: op.price,
    quantity: op.quantity,
    total: op.sum ?? lineCost(op.price, op.quantity),
    vat,
    paymentMethod: op.paymentMethod,
    paymentObject: op.paymentObject,
    unit: null,
    measure: 0,
    quantityPrec: null,
    taxTypeInt: null,
  };
}

/** An item for tags that come before their FF46 (cash-core order); FF46 replaces its figures. */
export const draftItem = (): ReceiptItem => ({
  name: '', price: 0, quantity: 0, total: 0, vat: 6, paymentMethod: 4, paymentObject: 1, unit: null, measure: 0, quantityPrec: null, taxTypeInt: null,
});

export const emptyItemExtras = (): ItemExtras => ({
  marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
  countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [],
});

const bad = (message: string): ShtrihRefusal => new ShtrihRefusal(0x33, message);
const numberOf = (tag: number, v: TagValue): number => {
  if (typeof v !== 'number') throw bad(`tag ${tag}: not a number`);
  return v;
};
const textOf = (tag: number, v: TagValue): string => {
  if (typeof v !== 'string') throw bad(`tag ${tag}: not a string`);
  return v;
};
const listOf = (tag: number, v: TagValue): TagList => {
  if (!Array.isArray(v)) throw bad(`tag ${tag}: not an STLV`);
  return v as TagList;
};
const strings = (list: TagList, tag: number): string[] => list.filter(([t]) => t === tag).map(([, v]) => textOf(tag, v));

const kindOfSubTag = (sub: number): ProductCodeKind | null =>
  (Object.entries(PRODUCT_CODE_TAGS).find(([, n]) => n === sub)?.[0] as ProductCodeKind | undefined) ?? null;

function industryOf(list: TagList): IndustryRequisite {
  return { foivId: tagString(list, 1262) ?? '', docDate: tagString(list, 1263) ?? '', docNumber: tagString(list, 1264) ?? '', value: tagString(list, 1265) ?? '' };
}

function agentOf(list: TagList): AgentData {
  return {
    operation: tagString(list, 1044),
    agentPhones: strings(list, 1073),
    operatorPhones: strings(list, 1074),
    transferOperatorPhones: strings(list, 1075),
    transferOperatorName: tagString(list, 1026),
    transferOperatorAddress: tagString(list, 1005),
    transferOperatorInn: tagString(list, 1016)?.trim() ?? null,
  };
}

/**
 * FF4D: a tag bound to an item — 1197 (1.05 unit), 2108 (1.2 measure) and the FFD 1.2 item content.
 * Refused (0x33): tags the register forms itself (1163 of a marking code — FF67 binds those —,
 * 2106, 2107, 2115), a second 1163 on one item (shtrih-m/fr_drv_ng#185) and tags an item does not
 * hold.
 */
export function applyItemTag(item: ReceiptItem, tlv: Tlv): void {
  if (tlv.tag === 1197) {
    item.unit = tlvText(tlv);
    return;
  }
  if (tlv.tag === 2108) {
    const m = tlv.value[0] ?? 0;
    if (!isMeasure(m)) throw bad(`bad 2108 ${m}`);
    item.measure = m;
    return;
  }
  const [entry] = decodeEntries([tlv]);
  if (!entry) throw bad(`tag ${tlv.tag}: empty`);
  const [tag, value] = entry;
  const x = item.ffd12 ?? emptyItemExtras();
  switch (tag) {
    case 1163: {
      const [sub] = listOf(tag, value);
      const kind = sub && listOf(tag, value).length === 1 ? kindOfSubTag(sub[0]) : null;
      if (!sub || kind === null) throw bad('1163 must hold exactly one known product code tag');
      if (kind === 'gs1m' || kind === 'kmk') throw bad('a marking code is bound to its item with FF67, not sent as 1163');
      if (x.productCode || x.marking) throw bad('one 1163 per item');
      x.productCode = { kind, value: textOf(sub[0], sub[1]) };
      break;
    }
    case 1291: {
      const list = listOf(tag, value);
      x.fractional = { numerator: tagNumber(list, 1293) ?? 0, denominator: tagNumber(list, 1294) ?? 0 };
      break;
    }
    // The vendor's library sends 1291 as its parts; the register builds 1291 (and 1292) from them.
    case 1293: x.fractional = { numerator: numberOf(tag, value), denominator: x.fractional?.denominator ?? 0 }; break;
    case 1294: x.fractional = { numerator: x.fractional?.numerator ?? 0, denominator: numberOf(tag, value) }; break;
    case 2102: if (numberOf(tag, value) !== 0) throw bad('2102 must be 0'); break;
    case 1222: x.agentSign = numberOf(tag, value); break;
    case 1223: x.agent = agentOf(listOf(tag, value)); break;
    case 1224: {
      const list = listOf(tag, value);
      x.supplier = { name: tagString(list, 1225), phones: strings(list, 1171), inn: x.supplier?.inn ?? '' };
      break;
    }
    case 1226: x.supplier = { name: x.supplier?.name ?? null, phones: x.supplier?.phones ?? [], inn: textOf(tag, value).trim() }; break;
    case 1229: x.excise = numberOf(tag, value); break;
    case 1230: x.countryCode = textOf(tag, value); break;
    case 1231: x.customsDeclaration = textOf(tag, value); break;
    case 1191: x.additionalRequisite = textOf(tag, value); break;
    case 1260: x.industry.push(industryOf(listOf(tag, value))); break;
    default: throw bad(`tag ${tag} is not an item tag the register takes by FF4D`);
  }
  item.ffd12 = x;
}

/**
 * FF67: the code goes to `item`; one code per item, and not on an item that already has a 1163.
 * `open` records the check for the receipt (null: a draft waiting for its FF46).
 */
export function bindMarking(open: OpenReceipt | null, item: ReceiptItem, binding: MarkingBinding): void {
  const x = item.ffd12 ?? emptyItemExtras();
  if (x.marking || x.productCode) throw bad('one 1163 per item: the item already has a product or marking code');
  x.marking = { code: binding.code, plannedStatus: binding.plannedStatus };
  item.ffd12 = x;
  open?.marking.set(item, binding.check);
}

/** FF46 on a register that takes tags first: the waiting tags and code go to the new item. */
export function takePending(open: OpenReceipt, item: ReceiptItem): void {
  const p = open.pending;
  if (!p) return;
  open.pending = null;
  for (const t of p.tlvs) applyItemTag(item, t);
  if (p.binding) bindMarking(open, item, p.binding);
}

/** Receipt tags the register takes by FF0C inside a receipt (anything else answers 0x33). */
export const RECEIPT_TLV_TAGS: ReadonlySet<number> = new Set([
  1008, 1021, 1203, 1192, 1173, 1174, 1055,
  // FFD 1.2 (ffd/extras.ts receiptExtrasTags): buyer, operational, industry, agent sign, user requisite.
  1256, 1270, 1261, 1057, 1084,
]);

/** The FFD 1.2 receipt content among the FF0C tags, or undefined when there is none. */
export function receiptExtrasOf(tags: readonly Tlv[]): ReceiptExtras | undefined {
  const x: ReceiptExtras = { buyer: null, operational: null, industry: [], userRequisite: null, agentSign: null };
  let any = false;
  for (const [tag, value] of decodeEntries(tags.filter((t) => [1256, 1270, 1261, 1057, 1084].includes(t.tag)))) {
    any = true;
    switch (tag) {
      case 1256: {
        const l = listOf(tag, value);
        x.buyer = {
          name: tagString(l, 1227), inn: tagString(l, 1228)?.trim() ?? null, birthDate: tagString(l, 1243), citizenship: tagString(l, 1244),
          documentCode: tagString(l, 1245), documentData: tagString(l, 1246), address: tagString(l, 1254),
        };
        break;
      }
      case 1270: {
        const l = listOf(tag, value);
        // 1273 is the register's wall clock written as if UTC (ffd/wall-time.ts).
        x.operational = { id: tagNumber(l, 1271) ?? 0, data: tagString(l, 1272) ?? '', dateTime: wallIso(tagNumber(l, 1273) ?? 0) };
        break;
      }
      case 1261: x.industry.push(industryOf(listOf(tag, value))); break;
      case 1057: x.agentSign = numberOf(tag, value); break;
      case 1084: {
        const l = listOf(tag, value);
        x.userRequisite = { name: tagString(l, 1085) ?? '', value: tagString(l, 1086) ?? '' };
        break;
      }
    }
  }
  return any ? x : undefined;
}

/** The checks of the marked items, in item order (RegisterOptions.marking), when the receipt has any. */
export function registerOptionsOf(open: OpenReceipt): RegisterOptions {
  if (open.marking.size === 0) return { autoOpenShift: false };
  return { autoOpenShift: false, marking: open.items.map((i) => open.marking.get(i) ?? null) };
}

/** Item content FF45 cannot leave half-sent: a fraction needs both parts, a supplier its INN. */
function checkItemExtras(items: readonly ReceiptItem[]): void {
  items.forEach((item, i) => {
    const x = item.ffd12;
    if (!x) return;
    if (x.fractional && (x.fractional.numerator <= 0 || x.fractional.denominator <= 0)) throw bad(`item ${i + 1}: 1291 needs 1293 and 1294`);
    if (x.supplier && x.supplier.inn === '') throw bad(`item ${i + 1}: 1224 needs 1226`);
  });
}

const text = (tags: readonly Tlv[], tag: number): string | null => {
  const t = tags.find((x) => x.tag === tag);
  return t ? tlvText(t) : null;
};

export function cashierFromTags(tags: readonly Tlv[]): Cashier | null {
  const name = text(tags, 1021);
  return name === null ? null : { name, inn: text(tags, 1203)?.trim() || null };
}

function correctionFromTags(tags: readonly Tlv[]): CorrectionData {
  const type = tags.find((t) => t.tag === 1173)?.value[0] === 1 ? 1 : 0;
  const baseTag = tags.find((t) => t.tag === 1174);
  const base = baseTag ? decodeTlvs(baseTag.value) : [];
  const dateTag = base.find((t) => t.tag === 1178);
  const date = dateTag ? new Date(readVln(dateTag.value) * 1000).toISOString().slice(0, 10) : '1970-01-01';
  return { type, reason: text(base, 1177) ?? '', date, docNumber: text(base, 1179) ?? '' };
}

export function buildReceipt(open: OpenReceipt, close: CloseReceipt): FiscalReceipt {
  if (!isTaxSystem(close.taxSystem)) throw new ShtrihRefusal(0x33, `bad tax system bits ${close.taxSystem}`);
  const total = open.items.reduce((a, i) => a + i.total, 0);
  const slot = (i: number): number => close.payments[i] ?? 0;
  const cash = slot(PAYMENT_SLOTS.cash);
  const prepaid = slot(PAYMENT_SLOTS.prepaid);
  const credit = slot(PAYMENT_SLOTS.credit);
  const other = slot(PAYMENT_SLOTS.other);
  // Slots 2–13 are the cashless kinds; all feed 1081.
  let electronic = 0;
  for (let i = PAYMENT_SLOTS.electronic; i < PAYMENT_SLOTS.prepaid; i++) electronic += slot(i);
  const nonCash = electronic + prepaid + credit + other;
  if (total === 0) throw new ShtrihRefusal(0x8e, 'zero receipt total');
  if (nonCash > total) throw new ShtrihRefusal(0x4d, 'cashless payments exceed the total');
  if (cash + nonCash < total) throw new ShtrihRefusal(0x45, 'payments less than the total');

  const payments: ReceiptPayment[] = [];
  const add = (type: ReceiptPayment['type'], sum: number): void => {
    if (sum > 0) payments.push({ type, sum });
  };
  add(0, cash);
  add(1, electronic);
  add(2, prepaid);
  add(3, credit);
  add(4, other);

  checkItemExtras(open.items);
  const contact = text(open.tags, 1008);
  const correction = open.correction || open.tags.some((t) => t.tag === 1173);
  const extras = receiptExtrasOf(open.tags);
  return {
    receiptType: correction ? RECEIPT_TYPE[open.operationType].correction : RECEIPT_TYPE[open.operationType].plain,
    operationType: open.operationType,
    taxSystem: close.taxSystem,
    items: open.items,
    payments,
    total,
    change: cash + nonCash - total,
    email: contact?.includes('@') ? contact : null,
    phone: contact && !contact.includes('@') ? contact : null,
    correction: correction ? correctionFromTags(open.tags) : null,
    mistakenReceiptNumber: text(open.tags, 1192),
    cashier: cashierFromTags(open.tags),
    // The protocol path has no "do not print" flag of its own; the register prints every receipt.
    needPrint: true,
    ...(extras ? { ffd12: extras } : {}),
  };
}
