/**
 * One receipt as a command sequence (domain.md §5.2): [0x88 cancel a stale open receipt]
 * [FF35 begin correction] per item FF46 + FF4D item tags + FF67 marking code → FF0C receipt tags →
 * FF45 close. On registers that take an item's tags first (cash core, ШТРИХ-MOBILE-Ф:
 * `operationTagsFirst` in commands.ts) the receipt is opened with 0x8D and each item goes as
 * FF4D tags → FF67 → FF46, the order the vendor's JavaPOS driver uses for them
 * (FSSalesReceipt.printReceiptItem).
 *
 * Corrections: FF35 opens the receipt as a correction, then the same FF46/FF0C/FF45 as a receipt,
 * with 1173/1174 sent by FF0C. We do not use FF36 (1.05 "make correction": total and sign only),
 * because it cannot carry the payment split, the taxation system or the items our receipts have;
 * for FFD 1.05 the FN still gets 1174 = {1177, 1178, 1179} (§1.6). Whether 1.05 firmware accepts
 * FF46 inside FF35 must be checked on a device (see README.md).
 *
 * FFD 1.2 content (docs/domain.md §1.8): item tags by FF4D, receipt tags by FF0C, tag values from
 * the one mapping every driver uses (ffd/extras.ts). A marked item's code goes by FF67 ("привязка
 * маркированного товара к позиции"), as the vendor's drivers do it for FFD 1.2
 * (javapos_shtrih SMFiscalPrinterImpl.sendItemCode → FSBindMC; fr_drv_ng_examples
 * classic_interface/main.cpp: FNCheckItemBarcode → FNAcceptMarkingCode → FNOperation →
 * FNSendItemBarcode): the register then writes 1163 from the code, 2102 and the 2106 the FN saved
 * when the code was accepted, and the receipt's 2107 itself. The host sends none of them, so
 * RegisterOptions.marking only proves that each marked item's code was checked and accepted.
 */
import type { FiscalResult, RegisterOptions, RegistrationInfo } from '../driver.js';
import { DeviceError } from '../driver.js';
import type { Cashier, FiscalReceipt, ReceiptItem } from '../../domain/receipt.js';
import { buyerContact } from '../../domain/receipt.js';
import type { ItemExtras, ReceiptExtras } from '../../domain/ffd12.js';
import { RECEIPT_TYPES } from '../../domain/enums.js';
import { itemExtrasTags, receiptExtrasTags } from '../ffd/extras.js';
import { encodeTlv as encodeTagList } from '../ffd/tag-list.js';
import type { TagEntry, TagList } from '../ffd/tag-list.js';
import type { CloseReceiptAnswer } from './commands.js';
import {
  CMD, MAX_ITEM_NAME, PAYMENT_SLOTS, decodeCloseReceiptAnswer, decodeMarkingStatus, decodeShortStatus, encodeCloseReceipt, encodeMarkingBind,
  encodeMarkingCodeText, encodeOpenCheck, encodeOperation, openCheckTypeOf, withTlv,
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

/** FF0C / FF4D frame: 2 command bytes and the password around one TLV. */
const TLV_ROOM = MAX_PAYLOAD - 2 - 4;
/** FF67 frame: 2 command bytes, password, code length. */
const BIND_ROOM = MAX_PAYLOAD - 2 - 4 - 1;
/** 1023 of one piece: a marked piece good is sold one unit per line. */
const ONE = 1_000_000;

export interface RegisterDeps {
  session: Session;
  registration: RegistrationInfo;
  allowNewVatCodes: boolean;
  /** The register takes an item's FF4D tags and FF67 before its FF46 (commands.ts operationTagsFirst). */
  operationTagsFirst: boolean;
  openShift(): Promise<void>;
  /** DriverContext.checkFence: before the first command and before the FN closes the document. */
  checkFence?: () => void;
}

/** One item as frames: its FF46, the FF4D tags bound to it and the marking code for FF67. */
interface ItemPlan {
  item: ReceiptItem;
  tags: Uint8Array[];
  markingCode: string | null;
}

export async function registerReceipt(deps: RegisterDeps, receipt: FiscalReceipt, options: RegisterOptions): Promise<FiscalResult> {
  const { session: s, registration } = deps;
  const ffd = registration.ffdVersion;
  refuseUnsupported(receipt, ffd);
  const plan = receipt.items.map((item, i): ItemPlan => ({ item, tags: itemTags(item, ffd).map(encodeOne), markingCode: markingCodeOf(item, i, options) }));
  const tags = [...receiptTags(receipt, ffd).map((t) => encodeTlv(t.tag, t.value)), ...receiptExtraTags(receipt, ffd)];
  checkFits(receipt, plan, tags, deps.allowNewVatCodes);

  deps.checkFence?.();
  await checkSavedResults(s, plan.filter((p) => p.markingCode !== null).length);
  const status = decodeShortStatus(await s.call(CMD.shortStatus));
  if ((status.mode & 0x0f) === MODE_RECEIPT_OPEN) {
    // A receipt left open by an earlier attempt that failed mid-way: it has no FD number yet.
    await s.call(CMD.cancelReceipt);
  } else if ((status.mode & 0x0f) === MODE_SHIFT_CLOSED && options.autoOpenShift) {
    await deps.openShift();
  }

  const sendItemTags = async (p: ItemPlan): Promise<void> => {
    for (const t of p.tags) await s.call(CMD.fnOperationTlv, withTlv(s.password, t));
    if (p.markingCode !== null) await s.call(CMD.fnBindMarking, encodeMarkingBind(s.password, p.markingCode));
  };

  let answer: CloseReceiptAnswer;
  try {
    if (RECEIPT_TYPES[receipt.receiptType].correction) await s.call(CMD.fnBeginCorrection);
    // Tags before the first FF46 need an open receipt: the vendor's driver opens it with 0x8D.
    if (deps.operationTagsFirst) await s.call(CMD.openCheck, encodeOpenCheck(s.password, openCheckTypeOf(receipt.operationType)));
    for (const p of plan) {
      if (deps.operationTagsFirst) await sendItemTags(p);
      await s.call(CMD.fnOperation, encodeOperation(s.password, {
        type: receipt.operationType,
        quantity: p.item.quantity,
        price: p.item.price,
        sum: p.item.total,
        taxSum: null,
        taxRate: VAT_TO_SHTRIH[p.item.vat],
        department: 1,
        paymentMethod: p.item.paymentMethod,
        paymentObject: p.item.paymentObject,
        name: p.item.name,
      }));
      if (!deps.operationTagsFirst) await sendItemTags(p);
    }
    for (const t of tags) await s.call(CMD.fnSendTlv, withTlv(s.password, t));
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

/** One tag list entry as the FN's TLV bytes (CP866 strings). */
const encodeOne = (entry: TagEntry): Uint8Array => encodeTagList([entry], { form: 'fn' });

/**
 * Item tags bound to the item by FF4D, in the order sent: 2108 (mandatory in 1.2) or the 1.05
 * free-text unit 1197, then the FFD 1.2 content. A marked item's 1163 / 2102 / 2106 are the
 * register's own (FF67); 1291 goes as its parts 1293 and 1294, the way the vendor's library sends
 * it and the register's checks name it ("до команды FF67h передается {тег 1293}",
 * shtrih-m/fr_drv_ng_examples#39); the register builds 1291 with 1292 itself.
 */
export function itemTags(item: ReceiptItem, ffd: RegistrationInfo['ffdVersion']): TagEntry[] {
  if (ffd !== '120') return item.unit ? [[1197, item.unit]] : [];
  const out: TagEntry[] = [[2108, item.measure]];
  const x = item.ffd12;
  if (!x) return out;
  for (const entry of itemExtrasTags({ ...x, marking: null, productCode: x.marking ? null : x.productCode }, null)) {
    const [tag, value] = entry;
    if (tag === 1291 && Array.isArray(value)) out.push(...(value as TagList).filter(([t]) => t === 1293 || t === 1294));
    else out.push(entry);
  }
  return out;
}

/** FFD 1.2 receipt tags sent by FF0C: 1256, 1270, 1261, 1057, 1084 (2107 is the register's). */
export function receiptExtraTags(receipt: FiscalReceipt, ffd: RegistrationInfo['ffdVersion']): Uint8Array[] {
  if (ffd !== '120' || !receipt.ffd12) return [];
  return receiptExtrasTags(receipt.ffd12, []).map(encodeOne);
}

const hasItemExtras = (x: ItemExtras | undefined): boolean => x !== undefined && (
  x.marking !== null || x.productCode !== null || x.fractional !== null || x.agentSign !== null || x.agent !== null
  || x.supplier !== null || x.excise !== null || x.countryCode !== null || x.customsDeclaration !== null
  || x.additionalRequisite !== null || x.industry.length > 0);
const hasReceiptExtras = (x: ReceiptExtras | undefined): boolean => x !== undefined && (
  x.buyer !== null || x.operational !== null || x.industry.length > 0 || x.userRequisite !== null || x.agentSign !== null);

/** An FN registered for FFD 1.05 gets no FFD 1.2 content: refused before anything is sent. */
function refuseUnsupported(receipt: FiscalReceipt, ffd: RegistrationInfo['ffdVersion']): void {
  if (ffd === '120') return;
  if (receipt.items.some((i) => hasItemExtras(i.ffd12)) || hasReceiptExtras(receipt.ffd12)) {
    throw new DeviceError('rejected', 'not_supported', 'the receipt carries FFD 1.2 content (marking, product codes, agents, industry or buyer requisites) but the FN is registered for FFD 1.05', { retryable: false });
  }
}

const invalid = (message: string): DeviceError => new DeviceError('rejected', 'invalid_document', message, { retryable: false });

/**
 * The code FF67 binds to item `index`, after the register's own rules: its code was checked and
 * accepted (RegisterOptions.marking has its 2106); a piece good (2003 = 1 or 3) is one unit
 * ("для планируемого статуса штучный значение Количество в FF46 не равно 1,000000",
 * shtrih-m/fr_drv_ng#334); a fraction (1293/1294) needs FF67 (shtrih-m/fr_drv_ng#245).
 */
function markingCodeOf(item: ReceiptItem, index: number, options: RegisterOptions): string | null {
  const marking = item.ffd12?.marking ?? null;
  if (!marking) {
    if (item.ffd12?.fractional) throw invalid(`item ${index + 1}: a fractional quantity (1291) needs a marking code`);
    return null;
  }
  if (typeof options.marking?.[index] !== 'number') throw invalid(`item ${index + 1}: its marking code was not checked and accepted before the receipt`);
  if ((marking.plannedStatus === 1 || marking.plannedStatus === 3) && item.quantity !== ONE) {
    throw invalid(`item ${index + 1}: a marked piece good (2003 = ${marking.plannedStatus}) is sold one unit per line`);
  }
  try {
    encodeMarkingCodeText(marking.code);
  } catch (err) {
    throw invalid(`item ${index + 1}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return marking.code;
}

/**
 * Before anything that makes a document (an auto-opened shift is one): the FN must hold at least as
 * many accepted check results as the receipt has marked items (FF70), and marking must not be
 * blocked. The register would refuse the receipt later, at FF67, but after the shift was opened.
 */
async function checkSavedResults(s: Session, marked: number): Promise<void> {
  if (marked === 0) return;
  const status = decodeMarkingStatus(await s.call(CMD.fnMarkingStatus));
  if (status.checkState === 0) throw new DeviceError('rejected', 'marking_blocked', 'FF70: work with marked goods is blocked in the FN', { retryable: true });
  if (status.savedResults < marked) {
    throw invalid(`${marked} marked item(s) but the FN holds ${status.savedResults} accepted check result(s): check and accept each code first`);
  }
}

function checkFits(receipt: FiscalReceipt, plan: readonly ItemPlan[], tags: readonly Uint8Array[], allowNewVat: boolean): void {
  for (const item of receipt.items) {
    if (!allowNewVat && !CLASSIC_VAT.has(item.vat)) {
      throw new DeviceError('rejected', 'not_supported', `VAT rate 1199=${item.vat} has no confirmed Shtrih FF46 code (set allow_new_vat_codes to send the emulator's)`, { retryable: false });
    }
    if (encodeCp1251(item.name).length > MAX_ITEM_NAME) throw invalid(`item name longer than ${MAX_ITEM_NAME} bytes`);
  }
  // One TLV per FF0C / FF4D frame of ≤ 255 bytes; longer tags would need the FF64 buffer, not used here.
  const tooLong = (t: Uint8Array): boolean => t.length > TLV_ROOM;
  const tagOf = (t: Uint8Array): number => (t[0] ?? 0) + 256 * (t[1] ?? 0);
  for (const t of tags) if (tooLong(t)) throw invalid(`tag ${tagOf(t)} is too long for one FF0C frame`);
  plan.forEach((p, i) => {
    for (const t of p.tags) if (tooLong(t)) throw invalid(`item ${i + 1}: tag ${tagOf(t)} is too long for one FF4D frame`);
    if (p.markingCode !== null && p.markingCode.length > BIND_ROOM) throw invalid(`item ${i + 1}: marking code too long for one FF67 frame`);
  });
}
