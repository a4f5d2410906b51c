/**
 * The classic receipt commands of the emulated register: 0x8D open check, 0x80–0x83 sale / buy /
 * sale return / buy return, 0x84 storno, 0x85 close check and 0x8E extended close. ШТРИХ-М-01Ф
 * firmware still answers them next to FF46/FF45; they fill the same open receipt (DocumentState)
 * and close the same kind of fiscal receipt in the FN, so 0x88, 0x10 and FF0A/FF3A/FF3B see no
 * difference between the two paths.
 *
 * Layouts: commands.ts (vendor description as reproduced in shtrihmfr/kkt.py and the vendor's
 * JavaPOS driver). Error bytes: the vendor's FR error table (shtrihmfr/protocol.py, BUGS).
 */
import type { Vat1199 } from '../../../domain/enums.js';
import { lineCost } from '../../../domain/quantity.js';
import type { ReceiptItem } from '../../../domain/receipt.js';
import type { FiscalDriver } from '../../driver.js';
import {
  CLASSIC_QUANTITY_SCALE, CMD, OPEN_CHECK_TYPES, classicCloseSums, decodeClassicClose, decodeClassicItem, decodeOpenCheck,
  encodeClassicCloseAnswer,
} from '../commands.js';
import type { ClassicItem } from '../commands.js';
import { CODE_TO_SHTRIH } from '../errors.js';
import type { Outcome } from './outcome.js';
import { ok, refuse } from './outcome.js';
import { ShtrihRefusal, buildReceipt, newOpenReceipt, registerOptionsOf } from './receipt-builder.js';
import type { DocumentState, OpenReceipt } from './receipt-builder.js';

/** FR error bytes of the vendor table that the classic commands answer. */
export const CLASSIC_ERRORS = {
  /** Frame too short, or a text field neither 40 nor 48 bytes (same byte as any short command here). */
  badFormat: 0x01,
  /** "Сумма чека по секции меньше суммы сторно": no registered line to take the storno from. */
  stornoExceeds: 0x2d,
  badParameters: 0x33,
  /** "Операция невозможна в открытом чеке данного типа": e.g. 0x82 in an open sale receipt. */
  wrongReceiptType: 0x49,
  /** "Открыт чек – операция невозможна": 0x8D while a document is open. */
  receiptOpen: 0x4a,
  /** "Чек закрыт – операция невозможна": 0x84/0x85/0x8E without an open receipt. */
  receiptClosed: 0x55,
} as const;

/** Item command → tag 1054 of the receipt it belongs to. */
const ITEM_OPERATION: Readonly<Record<number, OpenReceipt['operationType']>> = {
  [CMD.sale]: 1,
  [CMD.returnSale]: 2,
  [CMD.buy]: 3,
  [CMD.returnBuy]: 4,
};

export const CLASSIC_COMMANDS: ReadonlySet<number> = new Set([
  CMD.openCheck, CMD.sale, CMD.buy, CMD.returnSale, CMD.returnBuy, CMD.storno, CMD.closeCheck, CMD.closeCheckExtended,
]);

/**
 * Classic tax group (a row of the device's tax table) → tag 1199. The protocol only says
 * "0 – none, 1…4 – tax group"; rows in the 01Ф factory order: 1 = 20 %, 2 = 10 %, 3 = 0 %,
 * 4 = no VAT, 5 = 20/120, 6 = 10/110 (README "Choices the public material does not settle").
 */
export const CLASSIC_TAX_GROUP_VAT: Readonly<Record<number, Vat1199>> = { 1: 1, 2: 2, 3: 5, 4: 6, 5: 3, 6: 4 };
/** No tax byte set: the position is "without VAT". */
const NO_VAT: Vat1199 = 6;
const MAX_DEPARTMENT = 16;

export interface ClassicOptions {
  driver: FiscalDriver;
  doc: DocumentState;
  /** Refuse 0x80–0x83 unless 0x8D opened the receipt (default: the first item opens it, as classic firmware does). */
  requireOpenCheck: boolean;
  /** After a close: the FN has used the receipt's accepted marking codes. */
  onReceiptClosed?: () => void;
}

/** The tax groups of one line: at most one distinct group may be set (one 1199 per item). */
function vatOfTaxes(taxes: readonly number[]): Vat1199 {
  const groups = [...new Set(taxes.filter((t) => t !== 0))];
  if (groups.length === 0) return NO_VAT;
  const vat = groups.length === 1 ? CLASSIC_TAX_GROUP_VAT[groups[0] ?? 0] : undefined;
  if (vat === undefined) throw new ShtrihRefusal(CLASSIC_ERRORS.badParameters, `tax groups ${groups.join(',')}`);
  return vat;
}

/** Quantity ×1000 → millionths; cost = price × quantity rounded half-up to kopecks, in integers (lineCost). */
function itemOf(line: ClassicItem): ReceiptItem {
  if (line.quantity === 0) throw new ShtrihRefusal(CLASSIC_ERRORS.badParameters, 'zero quantity');
  if (line.department > MAX_DEPARTMENT) throw new ShtrihRefusal(CLASSIC_ERRORS.badParameters, `department ${line.department}`);
  // An FFD item needs its name (1030); the register has nothing else to put there.
  if (line.text === '') throw new ShtrihRefusal(CLASSIC_ERRORS.badParameters, 'empty item text');
  const quantity = line.quantity * (1_000_000 / CLASSIC_QUANTITY_SCALE);
  const total = lineCost(line.price, quantity);
  if (!Number.isSafeInteger(total)) throw new ShtrihRefusal(CLASSIC_ERRORS.badParameters, 'line sum out of range');
  return {
    name: line.text,
    price: line.price,
    quantity,
    total,
    vat: vatOfTaxes(line.taxes),
    // The classic layout has no 1214/1212 (firmware takes them from its settings): full payment, commodity.
    paymentMethod: 4,
    paymentObject: 1,
    unit: null,
    measure: 0,
    quantityPrec: null,
    taxTypeInt: null,
  };
}

export function createClassicCommands(o: ClassicOptions): { execute(command: number, data: Uint8Array, operator: Uint8Array): Promise<Outcome> } {
  const { doc, driver } = o;
  /** Department of each registered line, for storno matching (the FFD item has no department). */
  const departments = new WeakMap<ReceiptItem, number>();

  /** Opening a receipt needs an open shift that is not past 24 h: the same rule as FF46. */
  async function shiftRefusal(): Promise<Outcome | null> {
    const st = await driver.status();
    if (st.shift.state === 'closed') return refuse(CODE_TO_SHTRIH.shift_closed);
    if (st.shift.state === 'expired') return refuse(CODE_TO_SHTRIH.shift_expired);
    return null;
  }

  /** After FF35 the receipt opened here is the correction receipt, as with FF46. */
  function open(operationType: OpenReceipt['operationType']): OpenReceipt {
    const receipt: OpenReceipt = newOpenReceipt(operationType, doc.correctionPending);
    doc.receipt = receipt;
    doc.correctionPending = false;
    return receipt;
  }

  async function openCheck(data: Uint8Array, operator: Uint8Array): Promise<Outcome> {
    const type = decodeOpenCheck(data);
    const operationType = OPEN_CHECK_TYPES[type];
    if (operationType === undefined) return refuse(CLASSIC_ERRORS.badParameters);
    if (doc.receipt) return refuse(CLASSIC_ERRORS.receiptOpen);
    const refusal = await shiftRefusal();
    if (refusal) return refusal;
    open(operationType);
    return ok(operator);
  }

  async function registerLine(command: number, data: Uint8Array, operator: Uint8Array): Promise<Outcome> {
    const operationType = ITEM_OPERATION[command];
    if (operationType === undefined) return refuse(CLASSIC_ERRORS.badParameters);
    const line = decodeClassicItem(data);
    // Checked before anything opens, so a refused line leaves no receipt behind.
    const item = itemOf(line);
    let receipt = doc.receipt;
    if (!receipt) {
      if (o.requireOpenCheck) return refuse(CLASSIC_ERRORS.receiptClosed);
      const refusal = await shiftRefusal();
      if (refusal) return refusal;
      receipt = open(operationType);
    } else if (receipt.operationType !== operationType) {
      return refuse(CLASSIC_ERRORS.wrongReceiptType);
    }
    receipt.items.push(item);
    departments.set(item, line.department);
    return ok(operator);
  }

  /**
   * 0x84: takes quantity back from the latest line with the same price, tax group and department
   * (the text is only printed); a line storned to zero leaves the receipt.
   */
  function storno(data: Uint8Array, operator: Uint8Array): Outcome {
    const line = decodeClassicItem(data);
    const receipt = doc.receipt;
    if (!receipt) return refuse(CLASSIC_ERRORS.receiptClosed);
    if (line.quantity === 0) return refuse(CLASSIC_ERRORS.badParameters);
    const quantity = line.quantity * (1_000_000 / CLASSIC_QUANTITY_SCALE);
    const vat = vatOfTaxes(line.taxes);
    const at = receipt.items.findLastIndex((i) =>
      i.price === line.price && i.vat === vat && departments.get(i) === line.department && i.quantity >= quantity);
    const item = receipt.items[at];
    if (!item) return refuse(CLASSIC_ERRORS.stornoExceeds);
    const left = item.quantity - quantity;
    if (left === 0) receipt.items.splice(at, 1);
    else {
      item.quantity = left;
      item.total = lineCost(item.price, left);
    }
    return ok(operator);
  }

  /** 0x85 / 0x8E: the receipt goes to the FN; the answer carries the change. */
  async function close(command: number, data: Uint8Array, operator: Uint8Array): Promise<Outcome> {
    const c = decodeClassicClose(data, classicCloseSums(command));
    const receipt = doc.receipt;
    if (!receipt) return refuse(CLASSIC_ERRORS.receiptClosed);
    // A receipt-wide percentage would have to be spread over the items' 1043 sums; not modelled.
    if (c.discount !== 0) return refuse(CLASSIC_ERRORS.badParameters);
    const r = buildReceipt(receipt, { payments: c.payments, rounding: 0, taxSums: [], taxSystem: await taxSystemOf(receipt), text: c.text });
    // Same as FF45: no shift is opened behind the host's back (0x3D), a 24 h shift is 0x4E.
    const result = await driver.register(r, registerOptionsOf(receipt));
    doc.receipt = null;
    o.onReceiptClosed?.();
    return ok(encodeClassicCloseAnswer({ operator: operator[0] ?? 0, change: result.change }));
  }

  /** The classic close has no 1055 byte: a 1055 sent by FF0C wins, else the lowest registered system. */
  async function taxSystemOf(receipt: OpenReceipt): Promise<number> {
    const tag = receipt.tags.findLast((t) => t.tag === 1055);
    if (tag && tag.value.length === 1) return tag.value[0] ?? 0;
    const registered = (await driver.registrationInfo()).taxSystems;
    return registered & -registered;
  }

  return {
    async execute(command, data, operator) {
      switch (command) {
        case CMD.openCheck: return openCheck(data, operator);
        case CMD.storno: return storno(data, operator);
        case CMD.closeCheck:
        case CMD.closeCheckExtended: return close(command, data, operator);
        default: return registerLine(command, data, operator);
      }
    },
  };
}
