/**
 * One receipt as a command sequence (domain.md §5.2): [0x88 cancel a stale open receipt]
 * [FF35 begin correction] FF46 per item (+ FF4D item tags) → FF0C receipt tags → FF45 close.
 *
 * Corrections: FF35 opens the receipt as a correction, then the same FF46/FF0C/FF45 as a receipt,
 * with 1173/1174 sent by FF0C. We do not use FF36 (1.05 "make correction": total and sign only),
 * because it cannot carry the payment split, the taxation system or the items our receipts have;
 * for FFD 1.05 the FN still gets 1174 = {1177, 1178, 1179} (§1.6). Whether 1.05 firmware accepts
 * FF46 inside FF35 must be checked on a device (see README.md).
 */
import type { FiscalResult, RegistrationInfo } from '../driver.js';
import { DeviceError } from '../driver.js';
import type { Cashier, FiscalReceipt, ReceiptItem } from '../../domain/receipt.js';
import { buyerContact } from '../../domain/receipt.js';
import { RECEIPT_TYPES } from '../../domain/enums.js';
import type { CloseReceiptAnswer } from './commands.js';
import {
  CMD, MAX_ITEM_NAME, PAYMENT_SLOTS, decodeCloseReceiptAnswer, decodeShortStatus, encodeCloseReceipt, encodeOperation, withTlv,
} from './commands.js';
import { MAX_PAYLOAD } from './frame.js';
import { encodeTlv, tlvByte, tlvStlv, tlvString, tlvU32 } from './tlv.js';
import type { Tlv } from './tlv.js';
import { encodeCp1251 } from './text.js';
import { CLASSIC_VAT, VAT_TO_SHTRIH } from './vat.js';
import { readDocument } from './documents.js';
import { afterCommit } from './session.js';
import type { Session } from './session.js';

export const MODE_RECEIPT_OPEN = 8;
export const MODE_SHIFT_CLOSED = 4;

export interface RegisterDeps {
  session: Session;
  registration: RegistrationInfo;
  allowNewVatCodes: boolean;
  openShift(): Promise<void>;
  /** DriverContext.checkFence: before the first command and before the FN closes the document. */
  checkFence?: () => void;
}

export async function registerReceipt(deps: RegisterDeps, receipt: FiscalReceipt, autoOpenShift: boolean): Promise<FiscalResult> {
  const { session: s, registration } = deps;
  const tags = receiptTags(receipt, registration.ffdVersion);
  checkFits(receipt, tags, deps.allowNewVatCodes);

  deps.checkFence?.();
  const status = decodeShortStatus(await s.call(CMD.shortStatus));
  if ((status.mode & 0x0f) === MODE_RECEIPT_OPEN) {
    // A receipt left open by an earlier attempt that failed mid-way: it has no FD number yet.
    await s.call(CMD.cancelReceipt);
  } else if ((status.mode & 0x0f) === MODE_SHIFT_CLOSED && autoOpenShift) {
    await deps.openShift();
  }

  let answer: CloseReceiptAnswer;
  try {
    if (RECEIPT_TYPES[receipt.receiptType].correction) await s.call(CMD.fnBeginCorrection);
    for (const item of receipt.items) {
      await s.call(CMD.fnOperation, encodeOperation(s.password, {
        type: receipt.operationType,
        quantity: item.quantity,
        price: item.price,
        sum: item.total,
        taxSum: null,
        taxRate: VAT_TO_SHTRIH[item.vat],
        department: 1,
        paymentMethod: item.paymentMethod,
        paymentObject: item.paymentObject,
        name: item.name,
      }));
      for (const t of itemTags(item, registration.ffdVersion)) await s.call(CMD.fnOperationTlv, withTlv(s.password, encodeTlv(t.tag, t.value)));
    }
    for (const t of tags) await s.call(CMD.fnSendTlv, withTlv(s.password, encodeTlv(t.tag, t.value)));
    // The receipt is still open here: a fenced caller leaves it for the next owner's start, which cancels it.
    deps.checkFence?.();
    answer = decodeCloseReceiptAnswer(await s.call(CMD.fnCloseReceipt, encodeCloseReceipt(s.password, {
      payments: paymentSlots(receipt),
      rounding: 0,
      taxSums: [],
      taxSystem: receipt.taxSystem,
      text: '',
    })));
  } catch (err) {
    // The device refused: nothing was fiscalized, but the receipt stays open; cancel it so the
    // next document starts clean. An unreachable device is cleaned up by the next attempt.
    if (err instanceof DeviceError && err.kind === 'rejected') await s.call(CMD.cancelReceipt).catch(() => undefined);
    throw err;
  }

  const { fdNumber, fiscalSign, change } = answer;
  const doc = await afterCommit(`FD ${fdNumber}`, async () => {
    const d = await readDocument(s, fdNumber);
    if (!d) throw new Error(`FD ${fdNumber} not found in the archive`);
    return d;
  });
  return {
    fdNumber,
    fiscalSign: String(fiscalSign),
    shiftNumber: doc.shiftNumber,
    receiptInShift: doc.receiptInShift ?? 0,
    dateTime: doc.dateTime,
    total: doc.totalSum ?? receipt.total,
    change,
    registration,
  };
}

/** FF45 payment sums: API payment type → slot (cash 1, cashless 2, advance 14, credit 15, other 16). */
export function paymentSlots(receipt: Pick<FiscalReceipt, 'payments'>): number[] {
  const slots = new Array<number>(16).fill(0);
  for (const p of receipt.payments) {
    const slot = { 0: PAYMENT_SLOTS.cash, 1: PAYMENT_SLOTS.electronic, 2: PAYMENT_SLOTS.prepaid, 3: PAYMENT_SLOTS.credit, 4: PAYMENT_SLOTS.other }[p.type];
    slots[slot] = (slots[slot] ?? 0) + p.sum;
  }
  return slots;
}

/** Receipt-level tags sent by FF0C before FF45. */
export function receiptTags(receipt: FiscalReceipt, ffd: RegistrationInfo['ffdVersion']): Tlv[] {
  const out: Tlv[] = [];
  const contact = buyerContact(receipt);
  if (contact) out.push(tlvString(1008, contact));
  if (receipt.cashier) out.push(...cashierTags(receipt.cashier));
  if (receipt.mistakenReceiptNumber) out.push(tlvString(1192, receipt.mistakenReceiptNumber));
  if (receipt.correction) {
    const c = receipt.correction;
    out.push(tlvByte(1173, c.type));
    const [y = 1970, m = 1, d = 1] = c.date.split('-').map(Number);
    const base: Tlv[] = [];
    if (ffd === '105') base.push(tlvString(1177, c.reason));
    // 1178 is a UnixTime of a date: midnight as if UTC, like every FFD time (§1.1).
    base.push(tlvU32(1178, Date.UTC(y, m - 1, d) / 1000));
    if (c.docNumber) base.push(tlvString(1179, c.docNumber));
    out.push(tlvStlv(1174, base));
  }
  return out;
}

/** 1021 cashier and 1203 cashier INN (String 12, space-padded). */
export function cashierTags(cashier: Cashier): Tlv[] {
  const out = [tlvString(1021, cashier.name)];
  if (cashier.inn) out.push(tlvString(1203, cashier.inn.padEnd(12, ' ')));
  return out;
}

/** Item tags bound to the last FF46 by FF4D: 2108 (mandatory in 1.2) or the 1.05 free-text unit 1197. */
export function itemTags(item: ReceiptItem, ffd: RegistrationInfo['ffdVersion']): Tlv[] {
  if (ffd === '120') return [tlvByte(2108, item.measure)];
  return item.unit ? [tlvString(1197, item.unit)] : [];
}

function checkFits(receipt: FiscalReceipt, tags: readonly Tlv[], allowNewVat: boolean): void {
  for (const item of receipt.items) {
    if (!allowNewVat && !CLASSIC_VAT.has(item.vat)) {
      throw new DeviceError('rejected', 'not_supported', `VAT rate 1199=${item.vat} has no confirmed Shtrih FF46 code (set allow_new_vat_codes to send the emulator's)`, { retryable: false });
    }
    if (encodeCp1251(item.name).length > MAX_ITEM_NAME) {
      throw new DeviceError('rejected', 'invalid_document', `item name longer than ${MAX_ITEM_NAME} bytes`, { retryable: false });
    }
  }
  // FF0C payload = 2 command bytes + 4 password bytes + TLV, in one frame of ≤ 255 bytes.
  for (const t of tags) {
    if (t.value.length + 4 + 6 > MAX_PAYLOAD) {
      throw new DeviceError('rejected', 'invalid_document', `tag ${t.tag} is too long for one FF0C frame`, { retryable: false });
    }
  }
}
