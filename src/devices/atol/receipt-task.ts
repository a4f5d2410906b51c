import {
  MEASURES,
  PAYMENT_METHODS,
  PAYMENT_OBJECTS,
  PAYMENT_TYPES,
  RECEIPT_TYPES,
  TAX_SYSTEMS,
  VAT_RATES,
  isMeasure,
  isPaymentMethod,
  isPaymentObject,
  isPaymentType,
  isReceiptType,
  isTaxSystem,
  isVat1199,
} from '../../domain/enums.js';
import type { FfdVersion, Measure, PaymentMethod, PaymentObject, PaymentType, ReceiptType, TaxSystem, Vat1199 } from '../../domain/enums.js';
import type { FiscalReceipt, ReceiptItem, ReceiptPayment } from '../../domain/receipt.js';
import { buyerContact } from '../../domain/receipt.js';
import { ATOL_ERRORS } from './errors.js';
import { kopecksToRubles, microsToQuantity, quantityToMicros, rublesToKopecks } from './money.js';
import { isObject, isReceiptTaskType } from './protocol.js';
import type { AtolPosition, AtolReceiptTask, JsonObject, ReceiptTaskType } from './protocol.js';

/** Reverse lookup of an `as const` code → name table. */
function reverse<K extends number>(table: Record<K, string>, guard: (n: unknown) => n is K): ReadonlyMap<string, K> {
  const m = new Map<string, K>();
  for (const [code, name] of Object.entries<string>(table)) {
    const n = Number(code);
    if (guard(n)) m.set(name, n);
  }
  return m;
}

const RECEIPT_TYPE_BY_NAME = reverse<ReceiptType>(
  Object.fromEntries(Object.entries(RECEIPT_TYPES).map(([k, v]) => [k, v.name])) as Record<ReceiptType, string>,
  isReceiptType,
);
const TAX_SYSTEM_BY_NAME = reverse<TaxSystem>(TAX_SYSTEMS, isTaxSystem);
const VAT_BY_NAME = reverse<Vat1199>(
  Object.fromEntries(Object.entries(VAT_RATES).map(([k, v]) => [k, v.name])) as Record<Vat1199, string>,
  isVat1199,
);
const PAYMENT_METHOD_BY_NAME = reverse<PaymentMethod>(PAYMENT_METHODS, isPaymentMethod);
const PAYMENT_OBJECT_BY_NAME = reverse<PaymentObject>(PAYMENT_OBJECTS, isPaymentObject);
const MEASURE_BY_NAME = reverse<Measure>(MEASURES, isMeasure);
const PAYMENT_TYPE_BY_NAME = reverse<PaymentType>(
  Object.fromEntries(Object.entries(PAYMENT_TYPES).map(([k, v]) => [k, v.name])) as Record<PaymentType, string>,
  isPaymentType,
);

export const receiptTaskType = (t: ReceiptType): ReceiptTaskType => RECEIPT_TYPES[t].name;

/** 1178 travels as "yyyy.mm.dd" in ATOL JSON; cr-server keeps ISO "yyyy-mm-dd". */
const toAtolDate = (iso: string): string => iso.replaceAll('-', '.');
const fromAtolDate = (atol: string): string => atol.replaceAll('.', '-');

function itemToPosition(item: ReceiptItem, ffd: FfdVersion): AtolPosition {
  const p: AtolPosition = {
    type: 'position',
    name: item.name,
    price: kopecksToRubles(item.price),
    quantity: microsToQuantity(item.quantity),
    amount: kopecksToRubles(item.total),
    // tax.sum omitted: the device computes the VAT itself (LIBFPTR_PARAM_TAX_SUM = 0, §2.4).
    tax: { type: VAT_RATES[item.vat].name },
    paymentMethod: PAYMENT_METHODS[item.paymentMethod],
    paymentObject: PAYMENT_OBJECTS[item.paymentObject],
  };
  // measurementUnit changes meaning with the FFD version: 1.05 prints a free-text unit (1197),
  // 1.2 requires the 2108 enum on every position (ATOL rejects 1.2 positions without it).
  switch (ffd) {
    case '105':
      if (item.unit !== null) p.measurementUnit = item.unit;
      break;
    case '120':
      p.measurementUnit = MEASURES[item.measure];
      break;
  }
  return p;
}

/** FiscalReceipt → the ATOL JSON receipt/correction task (domain.md §4a "Receipt JSON fields"). */
export function receiptToTask(r: FiscalReceipt, ffd: FfdVersion): AtolReceiptTask {
  const task: AtolReceiptTask = {
    type: receiptTaskType(r.receiptType),
    taxationType: TAX_SYSTEMS[r.taxSystem],
    electronically: !r.needPrint,
    items: r.items.map((i) => itemToPosition(i, ffd)),
    payments: r.payments.map((p) => ({ type: PAYMENT_TYPES[p.type].name, sum: kopecksToRubles(p.sum) })),
    total: kopecksToRubles(r.total),
  };
  if (r.cashier) task.operator = r.cashier.inn ? { name: r.cashier.name, vatin: r.cashier.inn } : { name: r.cashier.name };
  const contact = buyerContact(r);
  if (contact !== null) task.clientInfo = { emailOrPhone: contact };
  if (r.correction) {
    task.correctionType = r.correction.type === 1 ? 'instruction' : 'self';
    task.correctionBaseDate = toAtolDate(r.correction.date);
    task.correctionBaseNumber = r.correction.docNumber;
    if (ffd === '105' && r.correction.reason) task.correctionBaseName = r.correction.reason;
  }
  if (r.mistakenReceiptNumber !== null) task.additionalAttribute = r.mistakenReceiptNumber;
  return task;
}

/** A task the device refuses: becomes a subtask `error` with this ATOL code. */
export class TaskError extends Error {
  constructor(
    readonly atolCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

const bad = (message: string): TaskError => new TaskError(ATOL_ERRORS.INVALID_PARAM, message);

function str(o: JsonObject, key: string, required: true): string;
function str(o: JsonObject, key: string, required: false): string | null;
function str(o: JsonObject, key: string, required: boolean): string | null {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (v === undefined && !required) return null;
  throw bad(`${key}: expected a string`);
}

function num(o: JsonObject, key: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw bad(`${key}: expected a number`);
}

function lookup<K>(table: ReadonlyMap<string, K>, o: JsonObject, key: string): K {
  const name = o[key];
  const v = typeof name === 'string' ? table.get(name) : undefined;
  if (v === undefined) throw bad(`${key}: unknown value ${JSON.stringify(name)}`);
  return v;
}

function positionToItem(o: JsonObject, ffd: FfdVersion): ReceiptItem {
  if (o.type !== 'position') throw bad('items: only "position" elements are supported');
  const tax = o.tax;
  if (!isObject(tax)) throw bad('tax: expected an object');
  const unitText = str(o, 'measurementUnit', false);
  let unit: string | null = null;
  let measure: Measure = 0;
  switch (ffd) {
    case '105':
      unit = unitText;
      break;
    case '120':
      if (unitText !== null) {
        const m = MEASURE_BY_NAME.get(unitText);
        if (m === undefined) throw bad(`measurementUnit: unknown value ${JSON.stringify(unitText)}`);
        measure = m;
      }
      break;
  }
  return {
    name: str(o, 'name', true),
    price: rublesToKopecks(num(o, 'price')),
    quantity: quantityToMicros(num(o, 'quantity')),
    total: rublesToKopecks(num(o, 'amount')),
    vat: lookup(VAT_BY_NAME, tax, 'type'),
    paymentMethod: lookup(PAYMENT_METHOD_BY_NAME, o, 'paymentMethod'),
    paymentObject: lookup(PAYMENT_OBJECT_BY_NAME, o, 'paymentObject'),
    unit,
    measure,
    quantityPrec: null,
    taxTypeInt: null,
  };
}

function paymentOf(o: unknown): ReceiptPayment {
  if (!isObject(o)) throw bad('payments: expected objects');
  // ATOL also accepts the payment type as its number 0..9; cr-server's types are 0..4.
  const t = o.type;
  const type = typeof t === 'number' ? (isPaymentType(t) ? t : undefined) : lookup(PAYMENT_TYPE_BY_NAME, o, 'type');
  if (type === undefined) throw bad(`payments.type: unsupported ${JSON.stringify(t)}`);
  return { type, sum: rublesToKopecks(num(o, 'sum')) };
}

/**
 * The ATOL JSON receipt task → FiscalReceipt, as the device would read it (the emulator's side).
 * Throws TaskError for data the device would refuse before anything reaches the FN.
 */
export function taskToReceipt(task: JsonObject, ffd: FfdVersion): FiscalReceipt {
  const typeName = task.type;
  if (!isReceiptTaskType(typeName)) throw bad(`type: not a receipt task`);
  const receiptType = RECEIPT_TYPE_BY_NAME.get(typeName);
  if (receiptType === undefined) throw bad(`type: unknown ${typeName}`);
  const def = RECEIPT_TYPES[receiptType];
  if (!Array.isArray(task.items) || !Array.isArray(task.payments)) throw bad('items and payments are required');
  const items = task.items.map((i) => {
    if (!isObject(i)) throw bad('items: expected objects');
    return positionToItem(i, ffd);
  });
  const payments = task.payments.map(paymentOf);
  const itemsTotal = items.reduce((a, i) => a + i.total, 0);
  const total = typeof task.total === 'number' ? rublesToKopecks(task.total) : itemsTotal;
  const paid = payments.reduce((a, p) => a + p.sum, 0);
  // Only cash gives change; the device refuses the other excesses itself (NOT_FULLY_PAID / 52).
  const cash = payments.filter((p) => p.type === 0).reduce((a, p) => a + p.sum, 0);
  const change = paid > total ? Math.min(paid - total, cash) : 0;

  const operator = task.operator;
  const client = task.clientInfo;
  const contact = isObject(client) ? str(client, 'emailOrPhone', false) : null;
  let correction: FiscalReceipt['correction'] = null;
  if (def.correction) {
    const base = str(task, 'correctionBaseDate', true);
    correction = {
      type: task.correctionType === 'instruction' ? 1 : 0,
      reason: str(task, 'correctionBaseName', false) ?? '',
      date: fromAtolDate(base),
      docNumber: str(task, 'correctionBaseNumber', false) ?? '',
    };
  }
  return {
    receiptType,
    operationType: def.operationType,
    taxSystem: lookup(TAX_SYSTEM_BY_NAME, task, 'taxationType'),
    items,
    payments,
    total,
    change,
    email: contact !== null && contact.includes('@') ? contact : null,
    phone: contact !== null && !contact.includes('@') ? contact : null,
    correction,
    mistakenReceiptNumber: str(task, 'additionalAttribute', false),
    cashier: isObject(operator) ? { name: str(operator, 'name', true), inn: str(operator, 'vatin', false) } : null,
    needPrint: task.electronically !== true,
  };
}
