import { FFD_VERSIONS } from '../../domain/enums.js';
import type { Cashier, FiscalReceipt } from '../../domain/receipt.js';
import { buyerContact } from '../../domain/receipt.js';
import { inn12, itemExtrasTags, receiptExtrasTags } from '../ffd/extras.js';
import { wallSecondsOfIso } from '../ffd/wall-time.js';
import { rejected } from './errors.js';
import type { FnIdentity } from './identity.js';
import { countersTags } from './counters.js';
import type { SumCounters } from './counters.js';
import type { CheckedReceipt } from './receipt-rules.js';
import { TAG } from './tags.js';
import type { TagEntry, TagList } from '../ffd/tag-list.js';
import { itemVat, vatTotals, VAT_TOTALS } from './vat.js';
import type { Vat1199 } from '../../domain/enums.js';

/** Counters and time the FN stamps on a document at close. */
export interface DocumentStamp {
  fdNumber: number;
  /** the register's wall clock, seconds (ffd/wall-time.ts) */
  dateTime: number;
}

export interface UnsentInfo {
  count: number;
  /** wall-clock seconds of the oldest unsent document, null when none */
  firstDate: number | null;
  firstNumber: number | null;
}

export interface FnFlags {
  exhaustion: boolean;
  replaceUrgently: boolean;
  memoryFull: boolean;
  ofdTimeout: boolean;
}

const ffdTag = (id: FnIdentity): TagEntry => [TAG.ffdVersion, FFD_VERSIONS[id.ffdVersion]];

/** 1188, String 8: the virtual register's firmware version. */
export const KKT_VERSION = '1.0';

/** 1188 and 1189: which KKT wrote the document and the highest FFD version it implements. */
const kktVersionTags = (id: FnIdentity): TagEntry[] => [
  [TAG.kktVersion, KKT_VERSION],
  [TAG.kktFfdVersion, FFD_VERSIONS[id.ffdVersion]],
];

/**
 * Who closes a shift report when no cashier was named: automatic mode needs nobody; otherwise the
 * register's own operator, as a real KKT takes it from its operator table.
 */
const REGISTER_OPERATOR: Cashier = { name: 'Администратор', inn: null };
const shiftCashier = (id: FnIdentity, cashier: Cashier | null): Cashier | null =>
  cashier ?? (id.automaticMode ? null : REGISTER_OPERATOR);


/** Tags every report and receipt starts with: who, where, which KKT and FN. */
function header(id: FnIdentity, stamp: DocumentStamp): TagEntry[] {
  return [
    [TAG.user, id.companyName],
    [TAG.userInn, inn12(id.companyInn)],
    [TAG.address, id.operationsAddress],
    [TAG.place, id.operationsPlace],
    [TAG.rnm, id.rnm],
    [TAG.fnSerial, id.fnSerial],
    [TAG.fdNumber, stamp.fdNumber],
    [TAG.dateTime, stamp.dateTime],
  ];
}

function cashierTags(cashier: Cashier | null): TagEntry[] {
  if (!cashier) return [];
  const out: TagEntry[] = [[TAG.operator, cashier.name]];
  if (cashier.inn) out.push([TAG.operatorInn, inn12(cashier.inn)]);
  return out;
}

function unsentTags(unsent: UnsentInfo): TagEntry[] {
  const out: TagEntry[] = [[TAG.unsentCount, unsent.count]];
  if (unsent.firstDate !== null) out.push([TAG.unsentFirstDate, unsent.firstDate]);
  if (unsent.firstNumber !== null) out.push([TAG.unsentFirstNumber, unsent.firstNumber]);
  return out;
}

function flagTags(flags: FnFlags): TagEntry[] {
  return [
    [TAG.fnExhaustionSign, Number(flags.exhaustion)],
    [TAG.fnReplaceUrgentSign, Number(flags.replaceUrgently)],
    [TAG.fnMemoryFullSign, Number(flags.memoryFull)],
    [TAG.ofdTimeoutSign, Number(flags.ofdTimeout)],
  ];
}

/** Report 1, FD 1: the registration with the register's modes (FFD 1.05 / 1.2, report 1). */
export function registrationTags(id: FnIdentity, stamp: DocumentStamp, keyResourceDays: number): TagList {
  const ver = FFD_VERSIONS[id.ffdVersion];
  return [
    ...header(id, stamp),
    ...cashierTags(shiftCashier(id, null)),
    [TAG.kktSerial, id.kktSerial],
    [TAG.taxSystems, id.taxSystems],
    [TAG.autoMode, Number(id.automaticMode)],
    ...(id.automaticMode ? [[TAG.machineNumber, id.machineNumber] as const] : []),
    [TAG.offlineMode, Number(id.offlineMode)],
    [TAG.encryptionSign, Number(id.encryption)],
    [TAG.internetSign, Number(id.internetOnly)],
    [TAG.serviceSign, Number(id.services)],
    [TAG.bsoSign, Number(id.bso)],
    [TAG.printerInMachine, Number(id.printerInMachine)],
    [TAG.ofdName, id.ofdName],
    [TAG.ofdInn, inn12(id.ofdInn)],
    [TAG.fnsSite, id.fnsSite],
    ...kktVersionTags(id),
    [TAG.fnFfdVersion, ver],
    ...(isFfd12(id) ? [[TAG.keyResource, keyResourceDays] as const] : []),
    ffdTag(id),
  ];
}

export function openShiftTags(id: FnIdentity, stamp: DocumentStamp, shiftNumber: number, cashier: Cashier | null): TagList {
  return [...header(id, stamp), [TAG.shiftNumber, shiftNumber], ...cashierTags(shiftCashier(id, cashier)), ...kktVersionTags(id), ffdTag(id)];
}

export interface ShiftCounts {
  /** 1111: FDs in the shift, the close report included */
  fdCount: number;
  /** 1118: receipts and correction receipts in the shift */
  receiptCount: number;
}

/** What FFD 1.2 reports add: the sum counters (1194 shift, 1157 FN) and the FP key resource (1213). */
export interface SumReports {
  shift: SumCounters;
  fn: SumCounters;
  /** 1213: days of the FP key resource left */
  keyResourceDays: number;
}

const isFfd12 = (id: FnIdentity): boolean => id.ffdVersion === '120';

/** The FN-M's marking figures for the close-shift and state reports (FFD 1.2). */
export interface MarkingReport {
  /** 2104: sale notifications the marking operator has not confirmed */
  unconfirmed: number;
  /** 2112 bitmask: answers (bit 1) or notification receipts (bit 2) with incorrect codes this shift */
  invalidCodes: number;
  /** 2113 bitmask: negative results for requests (bit 0) or notifications (bit 1) this shift */
  invalidRequests: number;
}

function markingReportTags(id: FnIdentity, m: MarkingReport | null, closeShift: boolean): TagEntry[] {
  if (!isFfd12(id) || m === null) return [];
  const out: TagEntry[] = [[TAG.unconfirmedNotifications, m.unconfirmed]];
  if (closeShift) out.push([TAG.invalidCodesSign, m.invalidCodes], [TAG.invalidRequestsSign, m.invalidRequests]);
  return out;
}

export function closeShiftTags(
  id: FnIdentity, stamp: DocumentStamp, shiftNumber: number, cashier: Cashier | null,
  counts: ShiftCounts, unsent: UnsentInfo, flags: FnFlags, sums: SumReports, marking: MarkingReport | null,
): TagList {
  return [
    ...header(id, stamp),
    [TAG.shiftNumber, shiftNumber],
    ...cashierTags(shiftCashier(id, cashier)),
    [TAG.shiftFdCount, counts.fdCount],
    [TAG.shiftReceiptCount, counts.receiptCount],
    ...unsentTags(unsent),
    ...flagTags(flags),
    ...kktVersionTags(id),
    ...(isFfd12(id) ? [[TAG.shiftSums, countersTags(sums.shift)], [TAG.fnSums, countersTags(sums.fn)], [TAG.keyResource, sums.keyResourceDays]] as TagEntry[] : []),
    ...markingReportTags(id, marking, true),
    ffdTag(id),
  ];
}

/**
 * Report 6, the report on closing the FN («Отчёт о закрытии фискального накопителя», FNS JSON
 * `closeArchive`): the FN's last fiscal document. Its tags are those of the OFD's schema of it
 * (yandex/ofd `schemas/1.05/closeArchive.schema.json`, Kontur OFD API «CloseArchive»): 1048 user,
 * 1018 its INN, 1009 / 1187 where, 1037 RNM, 1041 FN, 1040 / 1012 / 1077, 1021 (1203) who closed
 * it, 1038 the last shift's number, 1157 the FN's sum counters (FFD 1.2 only: the 1.05 FN has none
 * here) and 1209. The KKT version tags (1188, 1189) are not in that schema and not written.
 */
export function closeArchiveTags(id: FnIdentity, stamp: DocumentStamp, shiftNumber: number, cashier: Cashier | null, sums: SumReports): TagList {
  return [
    ...header(id, stamp),
    [TAG.shiftNumber, shiftNumber],
    ...cashierTags(shiftCashier(id, cashier)),
    ...(isFfd12(id) ? [[TAG.fnSums, countersTags(sums.fn)]] as TagEntry[] : []),
    ffdTag(id),
  ];
}

/** Report 21, the current state of settlements. */
export function stateReportTags(
  id: FnIdentity, stamp: DocumentStamp, shiftNumber: number, unsent: UnsentInfo, flags: FnFlags, sums: SumReports, marking: MarkingReport | null,
): TagList {
  return [
    ...header(id, stamp), [TAG.shiftNumber, shiftNumber], ...unsentTags(unsent), ...flagTags(flags),
    ...(isFfd12(id) ? [[TAG.fnSums, countersTags(sums.fn)], [TAG.keyResource, sums.keyResourceDays]] as TagEntry[] : []),
    ...markingReportTags(id, marking, false),
    ffdTag(id),
  ];
}

export interface ReceiptStamp extends DocumentStamp {
  shiftNumber: number;
  receiptInShift: number;
}

/**
 * Receipt (3) or correction receipt (31), everything but 1077. `marking`: 2106 of each item's
 * accepted marking check, by item index (RegisterOptions.marking).
 */
export function receiptTags(id: FnIdentity, stamp: ReceiptStamp, r: FiscalReceipt, checked: CheckedReceipt, marking: readonly (number | null)[] = []): TagList {
  const tags: TagEntry[] = [
    ...header(id, stamp),
    [TAG.shiftNumber, stamp.shiftNumber],
    [TAG.receiptInShift, stamp.receiptInShift],
    [TAG.operationType, checked.operationType],
    [TAG.taxSystem, r.taxSystem],
    ...cashierTags(r.cashier),
  ];
  // 1036 is mandatory in the receipts of a register in automatic mode.
  if (id.automaticMode) tags.push([TAG.machineNumber, id.machineNumber]);
  const contact = buyerContact(r);
  if (contact !== null) tags.push([TAG.buyerContact, contact]);
  if (checked.correction) tags.push(...correctionTags(id, r));
  r.items.forEach((item, i) => tags.push([TAG.item, itemTags(id, item, marking[i] ?? null)]));
  tags.push(
    [TAG.total, checked.total],
    [TAG.cash, checked.sums.cash],
    [TAG.electronic, checked.sums.electronic],
    [TAG.prepaid, checked.sums.prepaid],
    [TAG.credit, checked.sums.credit],
    [TAG.provision, checked.sums.other],
  );
  tags.push(...receiptVatTags(r.items.map((i) => ({ sum: i.total, vat: i.vat }))));
  if (r.mistakenReceiptNumber) tags.push([TAG.receiptProperty, r.mistakenReceiptNumber]);
  if (isFfd12(id)) tags.push(...receiptExtrasTags(r.ffd12, marking));
  tags.push([TAG.fnsSite, id.fnsSite], ffdTag(id));
  return tags;
}

function itemTags(id: FnIdentity, item: FiscalReceipt['items'][number], check: number | null): TagList {
  const tags: TagEntry[] = [
    [TAG.itemName, item.name],
    [TAG.price, item.price],
    [TAG.quantity, item.quantity],
    [TAG.itemSum, item.total],
    [TAG.vatRate, item.vat],
  ];
  const vat = itemVat(item.total, item.vat);
  if (vat !== null) tags.push([TAG.itemVat, vat]);
  tags.push([TAG.paymentObject, item.paymentObject], [TAG.paymentMethod, item.paymentMethod]);
  switch (id.ffdVersion) {
    case '105':
      // 1197 is free text in 1.05 and optional.
      if (item.unit) tags.push([TAG.unit, item.unit]);
      break;
    case '120':
      // 1.2 drops 1197 and makes the 2108 measure mandatory on every item.
      tags.push([TAG.measure, item.measure]);
      if (item.ffd12) tags.push(...itemExtrasTags(item.ffd12, check));
      break;
  }
  return tags;
}

/**
 * Receipt-level VAT: the rates with a tag of their own (1102–1107) use it; the 2025–2026 rates have
 * none and go into 1115, one 1119 line (1199 rate, 1120 sum) per rate, as FNS-exported receipts
 * show them (`amountsReceiptNds.amountsNds`, docs/domain.md §1.2).
 */
function receiptVatTags(items: readonly { sum: number; vat: Vat1199 }[]): TagEntry[] {
  const out: TagEntry[] = [];
  const lines: TagEntry[] = [];
  for (const [rate, sum] of vatTotals(items)) {
    const tag = VAT_TOTALS[rate].tag;
    if (tag !== null) out.push([tag, sum]);
    else lines.push([TAG.receiptVatLine, [[TAG.vatRate, rate], [TAG.receiptVatLineSum, sum]]]);
  }
  if (lines.length > 0) out.push([TAG.receiptVat, lines]);
  return out;
}

function correctionTags(id: FnIdentity, r: FiscalReceipt): TagEntry[] {
  const c = r.correction;
  if (c === null) throw rejected('invalid_document', 'a correction receipt needs 1173/1174');
  // 1178 is the local midnight of the day, on the register's wall clock.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(c.date) ? wallSecondsOfIso(c.date, 0) : null;
  if (date === null) throw rejected('invalid_document', `1178 date "${c.date}"`);
  let base: TagEntry[];
  switch (id.ffdVersion) {
    case '105':
      base = [[TAG.correctionName, c.reason], [TAG.correctionDate, date], [TAG.correctionNumber, c.docNumber]];
      break;
    case '120':
      base = [[TAG.correctionDate, date]];
      if (c.type === 1) base.push([TAG.correctionNumber, c.docNumber]);
      break;
  }
  return [[TAG.correctionType, c.type], [TAG.correctionBase, base]];
}
