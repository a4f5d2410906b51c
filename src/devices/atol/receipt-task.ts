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
import { DeviceError } from '../driver.js';
import { ATOL_ERRORS } from './errors.js';
import { kopecksToRubles, microsToQuantity, quantityToMicros, rublesToKopecks } from './money.js';
import { isObject, isReceiptTaskType } from './protocol.js';
import type { AtolClientInfo, AtolPosition, AtolReceiptItem, AtolReceiptTask, JsonObject, ReceiptTaskType } from './protocol.js';
import {
  clientInfoOf,
  hasItemExtras,
  hasReceiptExtras,
  industryInfoOf,
  operationInfoOf,
  positionExtras,
  readPositionExtras,
  readReceiptExtras,
} from './receipt-extras.js';
import { TaskError, bad } from './task-error.js';

export { TaskError } from './task-error.js';

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

function itemToPosition(item: ReceiptItem, ffd: FfdVersion, check: number | null, receiptAgentSign: number | null): AtolPosition {
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
      return { ...p, ...positionExtras(item.ffd12, check, receiptAgentSign) };
  }
  return p;
}

/**
 * FiscalReceipt → the ATOL JSON receipt/correction task (domain.md §4a "Receipt JSON fields").
 * `marking`: 2106 of each item's accepted check (RegisterOptions.marking), sent as the position's
 * `imcParams.itemInfoCheckResult`. FFD 1.2 content on an FFD 1.05 register is refused
 * ('not_supported'): the API refuses it earlier, so reaching here is a bug, not a receipt to cut down.
 */
export function receiptToTask(r: FiscalReceipt, ffd: FfdVersion, marking: readonly (number | null)[] = []): AtolReceiptTask {
  if (ffd === '105' && (hasReceiptExtras(r.ffd12) || r.items.some((i) => hasItemExtras(i.ffd12)))) {
    throw new DeviceError('rejected', 'not_supported', 'FFD 1.2 content (marking, agents, industry or buyer requisites) on an FFD 1.05 register');
  }
  const x = ffd === '120' ? r.ffd12 : undefined;
  const items: AtolReceiptItem[] = r.items.map((i, n) => itemToPosition(i, ffd, marking[n] ?? null, x?.agentSign ?? null));
  // 1084 and 1192 are `items[]` elements of their own (items.executeUserAttribute / executeAdditionalAttribute).
  if (x?.userRequisite) items.push({ type: 'userAttribute', name: x.userRequisite.name, value: x.userRequisite.value });
  if (r.mistakenReceiptNumber !== null) items.push({ type: 'additionalAttribute', value: r.mistakenReceiptNumber });
  const task: AtolReceiptTask = {
    type: receiptTaskType(r.receiptType),
    taxationType: TAX_SYSTEMS[r.taxSystem],
    electronically: !r.needPrint,
    items,
    payments: r.payments.map((p) => ({ type: PAYMENT_TYPES[p.type].name, sum: kopecksToRubles(p.sum) })),
    total: kopecksToRubles(r.total),
  };
  if (r.cashier) task.operator = r.cashier.inn ? { name: r.cashier.name, vatin: r.cashier.inn } : { name: r.cashier.name };
  const contact = buyerContact(r);
  const client: AtolClientInfo = { ...(contact !== null ? { emailOrPhone: contact } : {}), ...(x?.buyer ? clientInfoOf(x.buyer) : {}) };
  if (Object.keys(client).length > 0) task.clientInfo = client;
  if (x?.operational) task.operationInfo = operationInfoOf(x.operational);
  if (x && x.industry.length > 0) task.industryInfo = industryInfoOf(x.industry);
  if (r.correction) {
    task.correctionType = r.correction.type === 1 ? 'instruction' : 'self';
    task.correctionBaseDate = toAtolDate(r.correction.date);
    task.correctionBaseNumber = r.correction.docNumber;
    if (ffd === '105' && r.correction.reason) task.correctionBaseName = r.correction.reason;
  }
  return task;
}

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

function positionToItem(o: JsonObject, ffd: FfdVersion, returned: boolean): { item: ReceiptItem; check: number | null; marked: boolean } {
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
  const item: ReceiptItem = {
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
  const { extras, check } = readPositionExtras(o, ffd, { returned, measured: measure !== 0 });
  if (extras) item.ffd12 = extras;
  return { item, check, marked: extras?.marking != null };
}

function paymentOf(o: unknown): ReceiptPayment {
  if (!isObject(o)) throw bad('payments: expected objects');
  // ATOL also accepts the payment type as its number 0..9; cr-server's types are 0..4.
  const t = o.type;
  const type = typeof t === 'number' ? (isPaymentType(t) ? t : undefined) : lookup(PAYMENT_TYPE_BY_NAME, o, 'type');
  if (type === undefined) throw bad(`payments.type: unsupported ${JSON.stringify(t)}`);
  return { type, sum: rublesToKopecks(num(o, 'sum')) };
}

/** A receipt as the emulated device registers it: the receipt and the 2106 of each marked item. */
export interface TaskRegistration {
  receipt: FiscalReceipt;
  /** RegisterOptions.marking: absent when no position carries `imcParams` */
  marking?: (number | null)[];
}

/**
 * The ATOL JSON receipt task → FiscalReceipt and the items' marking checks, as the device would
 * read it (the emulator's side). Throws TaskError for data the device would refuse before anything
 * reaches the FN. Print-only elements must already be gone: only positions, `userAttribute` (1084)
 * and `additionalAttribute` (1192) elements are read.
 */
export function taskToRegistration(task: JsonObject, ffd: FfdVersion): TaskRegistration {
  const typeName = task.type;
  if (!isReceiptTaskType(typeName)) throw bad(`type: not a receipt task`);
  const receiptType = RECEIPT_TYPE_BY_NAME.get(typeName);
  if (receiptType === undefined) throw bad(`type: unknown ${typeName}`);
  const def = RECEIPT_TYPES[receiptType];
  if (!Array.isArray(task.items) || !Array.isArray(task.payments)) throw bad('items and payments are required');
  // sellReturn (2) and buy (3): a marked unit comes back to the seller's side (2003 = 3 / 4).
  const returned = def.operationType === 2 || def.operationType === 3;
  const positions: ReturnType<typeof positionToItem>[] = [];
  const userAttributes: JsonObject[] = [];
  const additional: string[] = [];
  for (const i of task.items) {
    if (!isObject(i)) throw bad('items: expected objects');
    switch (i.type) {
      case 'position':
        positions.push(positionToItem(i, ffd, returned));
        break;
      case 'userAttribute':
        userAttributes.push(i);
        break;
      case 'additionalAttribute':
        additional.push(str(i, 'value', true));
        break;
      default:
        throw bad(`items: element type ${JSON.stringify(i.type)} cannot be registered`);
    }
  }
  // 1192 is one tag of the receipt; a second element would overwrite the first.
  if (additional.length > 1) throw new TaskError(ATOL_ERRORS.NOT_SUPPORTED, 'more than one additionalAttribute (1192)');
  const items = positions.map((p) => p.item);
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
  const receipt: FiscalReceipt = {
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
    mistakenReceiptNumber: additional[0] ?? null,
    cashier: isObject(operator) ? { name: str(operator, 'name', true), inn: str(operator, 'vatin', false) } : null,
    needPrint: task.electronically !== true,
  };
  const extras = readReceiptExtras(task, ffd, userAttributes);
  if (extras) receipt.ffd12 = extras;
  if (!positions.some((p) => p.marked)) return { receipt };
  return { receipt, marking: positions.map((p) => (p.marked ? p.check : null)) };
}

/** The receipt of `taskToRegistration`. */
export const taskToReceipt = (task: JsonObject, ffd: FfdVersion): FiscalReceipt => taskToRegistration(task, ffd).receipt;
