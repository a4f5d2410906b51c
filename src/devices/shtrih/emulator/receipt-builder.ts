/**
 * The receipt a protocol emulator assembles from FF35/FF46/FF4D/FF0C, turned into a FiscalReceipt
 * at FF45. The checks here are the ones the register itself makes before the FN sees anything.
 */
import type { OperationType, ReceiptType } from '../../../domain/enums.js';
import { isTaxSystem } from '../../../domain/enums.js';
import { lineCost } from '../../../domain/quantity.js';
import type { Cashier, CorrectionData, FiscalReceipt, ReceiptItem, ReceiptPayment } from '../../../domain/receipt.js';
import type { CloseReceipt, Operation } from '../commands.js';
import { PAYMENT_SLOTS } from '../commands.js';
import { readVln, tlvText } from '../tlv.js';
import type { Tlv } from '../tlv.js';
import { decodeTlvs } from '../tlv.js';
import { vatFromShtrih } from '../vat.js';
import { isMeasure, isPaymentMethod, isPaymentObject } from '../../../domain/enums.js';

export interface OpenReceipt {
  operationType: OperationType;
  correction: boolean;
  items: ReceiptItem[];
  tags: Tlv[];
}

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

/** FF4D: tags bound to the last item (1197 unit in 1.05, 2108 measure in 1.2). */
export function applyItemTag(item: ReceiptItem, tlv: Tlv): void {
  if (tlv.tag === 1197) item.unit = tlvText(tlv);
  else if (tlv.tag === 2108) {
    const m = tlv.value[0] ?? 0;
    if (!isMeasure(m)) throw new ShtrihRefusal(0x33, `bad 2108 ${m}`);
    item.measure = m;
  }
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

  const contact = text(open.tags, 1008);
  const correction = open.correction || open.tags.some((t) => t.tag === 1173);
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
  };
}
