/**
 * Command codes and byte layouts (domain.md §5.2), shared by the driver (encode requests, decode
 * answers) and the emulator (the reverse), so both sides read one definition. Every FR command
 * starts with a 4-byte password; FN commands (FF xx) need the system administrator's (30).
 * Layouts marked "emulator layout" are ours where the public material does not fix the fields.
 */
import { AUTO5, concat, cursor, isAuto5, money5, password4, quantity6, u16, u32, u8, uintLE } from './bytes.js';
import { decodeCp1251, encodeCp1251, stripNul } from './text.js';

export const CMD = {
  shortStatus: 0x10,
  fullStatus: 0x11,
  beep: 0x13,
  moneyRegister: 0x1a,
  readTable: 0x1f,
  xReport: 0x40,
  zReport: 0x41,
  /** Classic receipt commands (pre-FN layouts, still answered by ШТРИХ-М-01Ф next to FF46/FF45). */
  sale: 0x80,
  buy: 0x81,
  returnSale: 0x82,
  returnBuy: 0x83,
  storno: 0x84,
  closeCheck: 0x85,
  cancelReceipt: 0x88,
  openCheck: 0x8d,
  closeCheckExtended: 0x8e,
  continuePrint: 0xb0,
  openShift: 0xe0,
  deviceType: 0xfc,
  fnStatus: 0xff01,
  fnValidity: 0xff03,
  fnCancelDocument: 0xff08,
  fnFindDocument: 0xff0a,
  fnSendTlv: 0xff0c,
  fnBeginCorrection: 0xff35,
  fnOfdStatus: 0xff39,
  /** Count of fiscal documents the OFD has not confirmed yet (2 bytes). */
  fnUnconfirmedCount: 0xff3f,
  fnRequestDocumentTlv: 0xff3a,
  fnReadDocumentTlv: 0xff3b,
  fnShiftParams: 0xff40,
  fnBeginOpenShift: 0xff41,
  fnBeginCloseShift: 0xff42,
  fnCloseReceipt: 0xff45,
  fnOperation: 0xff46,
  fnOperationTlv: 0xff4d,
  /** FFD 1.2 marking (FN-M): check a code (FN B1, and B5/B6 with the marking operator, done by the register itself). */
  fnCheckMarking: 0xff61,
  /** Bind a checked and accepted marking code to the item (the register writes 1163, 2102, 2106). */
  fnBindMarking: 0xff67,
  /** Exchange of sale notifications with the marking operator: queue, oldest unconfirmed. */
  fnMarkingNotifications: 0xff68,
  /** Accept (1) or decline (0) the code checked last (FN B2), or clear saved results (2, FN B3). */
  fnAcceptMarking: 0xff69,
  /** The FN's marking state (blocked, code under check, saved results, notification queue). */
  fnMarkingStatus: 0xff70,
} as const;

/**
 * Commands after which the FN may have closed a fiscal document: if the answer is lost, the outcome
 * is unknown (in_doubt), never "offline". FF36/FF0B/FF43 and the classic closes 0x85/0x8E are
 * listed although the driver uses FF45/E0/0x41, so a caller sending them by hand gets the same
 * protection (and the emulator's close faults hit them too).
 */
export const CLOSING_COMMANDS: ReadonlySet<number> = new Set([
  0xff45, 0xff36, 0xff0b, 0xff43, CMD.openShift, CMD.zReport, CMD.closeCheck, CMD.closeCheckExtended,
]);

export const commandName = (command: number): string =>
  command > 0xff ? `FF${(command & 0xff).toString(16).padStart(2, '0').toUpperCase()}` : `0x${command.toString(16).padStart(2, '0').toUpperCase()}`;

/** Device clock fields: 2-digit year as the protocol sends it. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** FF01/FF39/FF0A date-time: Y M D h m, 5 bytes, no seconds. */
export const wallTime5 = (t: WallTime): Uint8Array => new Uint8Array([t.year % 100, t.month, t.day, t.hour, t.minute]);
export function readWallTime5(b: Uint8Array): WallTime {
  return { year: 2000 + (b[0] ?? 0), month: b[1] ?? 1, day: b[2] ?? 1, hour: b[3] ?? 0, minute: b[4] ?? 0, second: 0 };
}

// ---------- 0x10 short status ----------
export interface ShortStatus {
  operator: number;
  flags: number;
  /** Low nibble: mode (§5.2), high nibble: mode status (e.g. receipt type in mode 8). */
  mode: number;
  submode: number;
  operationsInReceipt: number;
}
export function encodeShortStatus(s: ShortStatus): Uint8Array {
  // operator, flags(2), mode, submode, ops lo, battery, power, FM err, EKLZ err, ops hi, reserved(3)
  return concat([u8(s.operator), u16(s.flags), u8(s.mode), u8(s.submode), u8(s.operationsInReceipt & 0xff),
    u8(0xe0), u8(0xc8), u8(0), u8(0), u8(s.operationsInReceipt >> 8), new Uint8Array(3)]);
}
export function decodeShortStatus(b: Uint8Array): ShortStatus {
  const c = cursor(b);
  const operator = c.uint(1);
  const flags = c.uint(2);
  const mode = c.uint(1);
  const submode = c.uint(1);
  const lo = c.uint(1);
  const hi = b.length >= 11 ? (b[10] ?? 0) : 0;
  return { operator, flags, mode, submode, operationsInReceipt: hi * 256 + lo };
}

// ---------- 0x11 full status ----------
export interface FullStatus {
  firmware: string;
  documentNumber: number;
  mode: number;
  submode: number;
  dateTime: WallTime;
  serial: number;
  lastClosedShift: number;
  /** The user's INN (tag 1018) as digits; the answer carries it as a 6-byte little-endian integer. */
  inn: string;
  /** The operator whose password came with the request. */
  operator: number;
}
export function encodeFullStatus(s: FullStatus): Uint8Array {
  const [major = '1', minor = '0'] = s.firmware.split('.');
  const t = s.dateTime;
  return concat([
    u8(s.operator),
    new Uint8Array([major.charCodeAt(0), minor.charCodeAt(0)]), u16(1), new Uint8Array([1, 1, 24]), // firmware, build, date DD MM YY
    u8(1), u16(s.documentNumber & 0xffff), u16(0), u8(s.mode), u8(s.submode), u8(0),
    new Uint8Array([0x31, 0x30]), u16(1), new Uint8Array([1, 1, 24]), // FP firmware, build, date
    new Uint8Array([t.day, t.month, t.year % 100]), new Uint8Array([t.hour, t.minute, t.second]),
    // … last closed shift, free fiscal-memory records (2), re-registrations done (1) and left (1), INN (6).
    u8(0), u32(s.serial % 2 ** 32), u16(s.lastClosedShift), u16(0), u8(1), u8(29), uintLE(/^\d{10}(\d{2})?$/.test(s.inn) ? Number(s.inn) : 0, 6),
  ]);
}
export function decodeFullStatus(b: Uint8Array): FullStatus {
  const c = cursor(b);
  const operator = c.uint(1);
  const fw = c.bytes(2);
  c.bytes(2 + 3 + 1);
  const documentNumber = c.uint(2);
  c.uint(2);
  const mode = c.uint(1);
  const submode = c.uint(1);
  c.bytes(1 + 2 + 2 + 3);
  const date = c.bytes(3);
  const time = c.bytes(3);
  c.uint(1);
  const serial = c.uint(4);
  const lastClosedShift = c.uint(2);
  c.bytes(2 + 1 + 1);
  // A 10-digit (organisation) INN is a number below 10^10: zero-pad only a 12-digit one's leading zeros.
  const innNumber = c.uint(6);
  const inn = innNumber === 0 ? '' : innNumber >= 1e10 ? String(innNumber).padStart(12, '0') : String(innNumber).padStart(10, '0');
  return {
    firmware: `${String.fromCharCode(fw[0] ?? 0x31)}.${String.fromCharCode(fw[1] ?? 0x30)}`,
    documentNumber, mode, submode,
    dateTime: { year: 2000 + (date[2] ?? 0), month: date[1] ?? 1, day: date[0] ?? 1, hour: time[0] ?? 0, minute: time[1] ?? 0, second: time[2] ?? 0 },
    serial, lastClosedShift, inn, operator,
  };
}

// ---------- 0x1F read table ----------
export const encodeReadTable = (password: number, table: number, row: number, field: number): Uint8Array =>
  concat([password4(password), u8(table), u16(row), u8(field)]);
export function decodeReadTable(b: Uint8Array): { table: number; row: number; field: number } {
  const c = cursor(b, 4);
  return { table: c.uint(1), row: c.uint(2), field: c.uint(1) };
}

/**
 * Table 18 "fiscal storage" (emulator layout, modelled on the device table; field numbers must be
 * checked with 0x2E on real firmware). Strings are CP1251, NUL-padded to the field width.
 */
export const REG_TABLE = 18;
export const REG_FIELDS = {
  registratorSerial: { field: 1, width: 20 },
  companyInn: { field: 2, width: 12 },
  registrationNumber: { field: 3, width: 20 },
  taxSystems: { field: 4, width: 1 },
  companyName: { field: 7, width: 256 },
  operationsAddress: { field: 9, width: 256 },
  ofdName: { field: 10, width: 256 },
  ofdInn: { field: 12, width: 12 },
  operationsPlace: { field: 14, width: 256 },
  /** 1209 value: 2 = FFD 1.05, 4 = FFD 1.2 */
  ffdVersion: { field: 17, width: 1 },
} as const;
export type RegField = keyof typeof REG_FIELDS;

export const encodeTableString = (text: string, width: number): Uint8Array => {
  const raw = encodeCp1251(text);
  // Wide fields are answered at their used length: one frame carries at most 253 data bytes.
  return width > 64 ? raw.subarray(0, 200) : concat([raw.subarray(0, width), new Uint8Array(Math.max(0, width - raw.length))]);
};
export const decodeTableString = (b: Uint8Array): string => decodeCp1251(stripNul(b)).trim();

// ---------- FF01 FN status ----------
export interface FnStatus {
  /** bits: 0 configured, 1 fiscal mode open, 2 fiscal mode closed, 3 transfer to OFD finished */
  phase: number;
  /** 0 none, 2 open shift, 4 receipt, 8 close shift, 0x14 correction … (§5.2) */
  currentDocument: number;
  documentData: number;
  shiftOpen: boolean;
  /** bits: 0 urgent replacement, 1 resource ends in 30 days, 2 memory 90 %, 3 OFD timeout */
  warnings: number;
  dateTime: WallTime;
  fnSerial: string;
  lastFd: number;
}
export function encodeFnStatus(s: FnStatus): Uint8Array {
  const serial = new Uint8Array(16).fill(0x20);
  serial.set(encodeCp1251(s.fnSerial).subarray(0, 16));
  return concat([u8(s.phase), u8(s.currentDocument), u8(s.documentData), u8(s.shiftOpen ? 1 : 0), u8(s.warnings),
    wallTime5(s.dateTime), serial, u32(s.lastFd)]);
}
export function decodeFnStatus(b: Uint8Array): FnStatus {
  const c = cursor(b);
  return {
    phase: c.uint(1), currentDocument: c.uint(1), documentData: c.uint(1), shiftOpen: c.uint(1) === 1, warnings: c.uint(1),
    dateTime: readWallTime5(c.bytes(5)), fnSerial: decodeCp1251(c.bytes(16)).trim(), lastFd: c.uint(4),
  };
}

// ---------- FF03 FN validity ----------
export interface FnValidity { year: number; month: number; day: number; remainingRegistrations: number; doneRegistrations: number }
export const encodeFnValidity = (v: FnValidity): Uint8Array =>
  new Uint8Array([v.year % 100, v.month, v.day, v.remainingRegistrations, v.doneRegistrations]);
export function decodeFnValidity(b: Uint8Array): FnValidity {
  const c = cursor(b);
  return { year: 2000 + c.uint(1), month: c.uint(1), day: c.uint(1), remainingRegistrations: c.uint(1), doneRegistrations: c.uint(1) };
}

// ---------- FF39 OFD exchange status ----------
export interface OfdStatus { status: number; readState: number; count: number; firstDocument: number; firstDateTime: WallTime | null }
export function encodeOfdStatus(s: OfdStatus): Uint8Array {
  const t = s.firstDateTime ? wallTime5(s.firstDateTime) : new Uint8Array(5);
  return concat([u8(s.status), u8(s.readState), u16(s.count), u32(s.firstDocument), t]);
}
export function decodeOfdStatus(b: Uint8Array): OfdStatus {
  const c = cursor(b);
  const status = c.uint(1);
  const readState = c.uint(1);
  const count = c.uint(2);
  const firstDocument = c.uint(4);
  const t = c.bytes(5);
  return { status, readState, count, firstDocument, firstDateTime: count > 0 && t[1] !== 0 ? readWallTime5(t) : null };
}

// ---------- FF40 current shift parameters ----------
export interface ShiftParams { open: boolean; shiftNumber: number; receiptNumber: number }
export const encodeShiftParams = (s: ShiftParams): Uint8Array => concat([u8(s.open ? 1 : 0), u16(s.shiftNumber), u16(s.receiptNumber)]);
export function decodeShiftParams(b: Uint8Array): ShiftParams {
  const c = cursor(b);
  return { open: c.uint(1) === 1, shiftNumber: c.uint(2), receiptNumber: c.uint(2) };
}

// ---------- FF0A find fiscal document ----------
/** FF0A/FF3A document types are the FFD container codes (§1.1). */
export const DOC_TYPES = { registration: 1, openShift: 2, receipt: 3, closeShift: 5, stateReport: 21, correction: 31 } as const;
export type DocTypeName = keyof typeof DOC_TYPES;
export const docTypeName = (code: number): DocTypeName | null =>
  (Object.entries(DOC_TYPES).find(([, v]) => v === code)?.[0] as DocTypeName | undefined) ?? null;

export interface FoundDocument {
  docType: number;
  ofdAck: boolean;
  dateTime: WallTime;
  fdNumber: number;
  fiscalSign: number;
  /** receipts and corrections */
  operationType: number | null;
  total: number | null;
  /** shift reports */
  shiftNumber: number | null;
}
export const encodeFdRequest = (password: number, fd: number): Uint8Array => concat([password4(password), u32(fd)]);
export const decodeFdRequest = (b: Uint8Array): number => cursor(b, 4).uint(4);

export function encodeFoundDocument(d: FoundDocument): Uint8Array {
  const head = [u8(d.docType), u8(d.ofdAck ? 1 : 0), wallTime5(d.dateTime), u32(d.fdNumber), u32(d.fiscalSign)];
  if (d.docType === DOC_TYPES.receipt || d.docType === DOC_TYPES.correction) head.push(u8(d.operationType ?? 0), money5(d.total ?? 0));
  if (d.docType === DOC_TYPES.openShift || d.docType === DOC_TYPES.closeShift) head.push(u16(d.shiftNumber ?? 0));
  return concat(head);
}
export function decodeFoundDocument(b: Uint8Array): FoundDocument {
  const c = cursor(b);
  const docType = c.uint(1);
  const ofdAck = c.uint(1) === 1;
  const dateTime = readWallTime5(c.bytes(5));
  const fdNumber = c.uint(4);
  const fiscalSign = c.uint(4);
  const isReceipt = docType === DOC_TYPES.receipt || docType === DOC_TYPES.correction;
  const isShift = docType === DOC_TYPES.openShift || docType === DOC_TYPES.closeShift;
  return {
    docType, ofdAck, dateTime, fdNumber, fiscalSign,
    operationType: isReceipt && c.remaining >= 1 ? c.uint(1) : null,
    total: isReceipt && c.remaining >= 5 ? c.uint(5) : null,
    shiftNumber: isShift && c.remaining >= 2 ? c.uint(2) : null,
  };
}

// ---------- FF3A request a document as TLV, FF3B read it ----------
export const encodeTlvDocumentInfo = (docType: number, length: number): Uint8Array => concat([u16(docType), u16(length)]);
export function decodeTlvDocumentInfo(b: Uint8Array): { docType: number; length: number } {
  const c = cursor(b);
  return { docType: c.uint(2), length: c.uint(2) };
}

// ---------- FF46 operation v2 ----------
export interface Operation {
  /** 1 income, 2 income return, 3 expense, 4 expense return (= tag 1054) */
  type: number;
  /** millionths */
  quantity: number;
  price: number;
  /** null: FF×5, the device computes price × quantity */
  sum: number | null;
  /** null: FF×5, the device computes the VAT */
  taxSum: number | null;
  taxRate: number;
  department: number;
  paymentMethod: number;
  paymentObject: number;
  name: string;
}
export const MAX_ITEM_NAME = 128;
export function encodeOperation(password: number, op: Operation): Uint8Array {
  return concat([password4(password), u8(op.type), quantity6(op.quantity), money5(op.price),
    op.sum === null ? AUTO5 : money5(op.sum), op.taxSum === null ? AUTO5 : money5(op.taxSum),
    u8(op.taxRate), u8(op.department), u8(op.paymentMethod), u8(op.paymentObject),
    encodeCp1251(op.name).subarray(0, MAX_ITEM_NAME)]);
}
export function decodeOperation(b: Uint8Array): Operation {
  const c = cursor(b, 4);
  const type = c.uint(1);
  const quantity = c.uint(6);
  const price = c.uint(5);
  const sumB = c.bytes(5);
  const taxB = c.bytes(5);
  return {
    type, quantity, price,
    sum: isAuto5(sumB) ? null : cursor(sumB).uint(5),
    taxSum: isAuto5(taxB) ? null : cursor(taxB).uint(5),
    taxRate: c.uint(1), department: c.uint(1), paymentMethod: c.uint(1), paymentObject: c.uint(1),
    name: decodeCp1251(stripNul(c.rest())),
  };
}

// ---------- FF45 close receipt v2 ----------
/**
 * 16 payment sums: 1 cash, 2 cashless, 3–13 other cashless kinds, 14 prepayment (advance, 1215),
 * 15 post-payment (credit, 1216), 16 counter-provision (1217).
 */
export const PAYMENT_SLOTS = { cash: 0, electronic: 1, prepaid: 13, credit: 14, other: 15 } as const;
export interface CloseReceipt {
  payments: number[];
  rounding: number;
  taxSums: number[];
  taxSystem: number;
  text: string;
}
export function encodeCloseReceipt(password: number, r: CloseReceipt): Uint8Array {
  const sums = Array.from({ length: 16 }, (_, i) => money5(r.payments[i] ?? 0));
  const taxes = Array.from({ length: 6 }, (_, i) => money5(r.taxSums[i] ?? 0));
  return concat([password4(password), ...sums, u8(r.rounding), ...taxes, u8(r.taxSystem), encodeCp1251(r.text).subarray(0, 64)]);
}
export function decodeCloseReceipt(b: Uint8Array): CloseReceipt {
  const c = cursor(b, 4);
  const payments = Array.from({ length: 16 }, () => c.uint(5));
  const rounding = c.uint(1);
  const taxSums = Array.from({ length: 6 }, () => c.uint(5));
  const taxSystem = c.uint(1);
  return { payments, rounding, taxSums, taxSystem, text: decodeCp1251(stripNul(c.rest())) };
}
export interface CloseReceiptAnswer { change: number; fdNumber: number; fiscalSign: number }
export const encodeCloseReceiptAnswer = (a: CloseReceiptAnswer): Uint8Array => concat([money5(a.change), u32(a.fdNumber), u32(a.fiscalSign)]);
export function decodeCloseReceiptAnswer(b: Uint8Array): CloseReceiptAnswer {
  const c = cursor(b);
  return { change: c.uint(5), fdNumber: c.uint(4), fiscalSign: c.uint(4) };
}

// ---------- FC device type ----------
export interface DeviceType { type: number; subtype: number; protocol: number; subprotocol: number; model: number; language: number; name: string }
export const encodeDeviceType = (d: DeviceType): Uint8Array =>
  concat([u8(d.type), u8(d.subtype), u8(d.protocol), u8(d.subprotocol), u8(d.model), u8(d.language), encodeCp1251(d.name)]);
export function decodeDeviceType(b: Uint8Array): DeviceType {
  const c = cursor(b);
  return { type: c.uint(1), subtype: c.uint(1), protocol: c.uint(1), subprotocol: c.uint(1), model: c.uint(1), language: c.uint(1), name: decodeCp1251(stripNul(c.rest())) };
}

/** Password-only request (0x10, 0x40, 0x88, E0, FF01 …). */
export const passwordOnly = (password: number): Uint8Array => password4(password);
/** Password + TLV bytes (FF0C, FF4D). */
export const withTlv = (password: number, tlv: Uint8Array): Uint8Array => concat([password4(password), tlv]);
export const uint = uintLE;

// ---------- classic receipt commands: 0x8D open, 0x80–0x84 items / storno, 0x85 / 0x8E close ----------
/*
 * Layouts as the vendor's protocol description gives them, reproduced in the docstrings of
 * rosix-ru/shtrihm-fr and djbaldey/shtrihm-fr (shtrihmfr/kkt.py: x80–x85, x8D, x8E) and in the
 * vendor's own JavaPOS driver (shtrih-m/javapos_shtrih, command/EndFiscalReceipt.java). The text
 * field is 40 bytes in the description; ШТРИХ-М-01Ф/02Ф clients send 48 (oleg-golovanov/pyshtrih,
 * device.py: DEFAULT_MAX_LENGTH = 48 for ShtrihM01F), so the frame length tells which.
 */
export const CLASSIC_TEXT_WIDTHS: readonly number[] = [40, 48];
export type ClassicTextWidth = 40 | 48;
/** Classic quantity: 5 bytes, thousandths (1.5 pcs = 1500). */
export const CLASSIC_QUANTITY_SCALE = 1000;
/** 0x8D document type byte → tag 1054: 0 sale, 1 buy, 2 sale return, 3 buy return. */
export const OPEN_CHECK_TYPES: readonly (1 | 2 | 3 | 4)[] = [1, 3, 2, 4];

const isClassicWidth = (n: number): n is ClassicTextWidth => CLASSIC_TEXT_WIDTHS.includes(n);

/** CP1251, NUL-padded to the field width; the value ends at the first trailing NUL or space. */
export function encodeClassicText(text: string, width: ClassicTextWidth): Uint8Array {
  const raw = encodeCp1251(text).subarray(0, width);
  return concat([raw, new Uint8Array(width - raw.length)]);
}
export function decodeClassicText(b: Uint8Array): string {
  return decodeCp1251(stripNul(b)).replace(/[\s\0]+$/, '');
}
function classicTextWidth(b: Uint8Array): ClassicTextWidth {
  if (!isClassicWidth(b.length)) throw new RangeError(`classic text field of ${b.length} bytes (40 or 48 expected)`);
  return b.length;
}

export const encodeOpenCheck = (password: number, documentType: number): Uint8Array => concat([password4(password), u8(documentType)]);
/** 0x8D: password (4), document type (1). */
export function decodeOpenCheck(b: Uint8Array): number {
  if (b.length !== 5) throw new RangeError(`0x8D carries 5 data bytes, got ${b.length}`);
  return b[4] ?? 0;
}

export interface ClassicItem {
  /** thousandths */
  quantity: number;
  /** kopecks */
  price: number;
  department: number;
  /** Tax 1–4: 0 none, else a tax group (row of the device's tax table). */
  taxes: number[];
  text: string;
}
/** 0x80–0x84: password (4), quantity (5, ×1000), price (5), department (1), tax 1–4 (1 each), text (40/48). */
export function encodeClassicItem(password: number, item: ClassicItem, width: ClassicTextWidth = 40): Uint8Array {
  const taxes = Array.from({ length: 4 }, (_, i) => item.taxes[i] ?? 0);
  return concat([password4(password), uintLE(item.quantity, 5), money5(item.price), u8(item.department), new Uint8Array(taxes),
    encodeClassicText(item.text, width)]);
}
export function decodeClassicItem(b: Uint8Array): ClassicItem {
  const c = cursor(b, 4);
  const quantity = c.uint(5);
  const price = c.uint(5);
  const department = c.uint(1);
  const taxes = Array.from(c.bytes(4));
  const rest = c.rest();
  classicTextWidth(rest);
  return { quantity, price, department, taxes, text: decodeClassicText(rest) };
}

export interface ClassicClose {
  /** 0x85: cash + payment types 2–4; 0x8E: cash + types 2–16. Kopecks. */
  payments: number[];
  /** Receipt discount (> 0) or surcharge (< 0) in hundredths of a percent, −9999…9999. */
  discount: number;
  taxes: number[];
  text: string;
}
/** Payment sums of a classic close: 4 in 0x85, 16 in 0x8E ("закрытие чека расширенное"). */
export const classicCloseSums = (command: number): 4 | 16 => (command === CMD.closeCheckExtended ? 16 : 4);

/** 0x85 / 0x8E: password (4), sums (4 or 16 × 5), discount (2, signed), tax 1–4, text (40/48). */
export function encodeClassicClose(password: number, close: ClassicClose, sums: 4 | 16 = 4, width: ClassicTextWidth = 40): Uint8Array {
  const payments = Array.from({ length: sums }, (_, i) => money5(close.payments[i] ?? 0));
  const taxes = Array.from({ length: 4 }, (_, i) => close.taxes[i] ?? 0);
  return concat([password4(password), ...payments, u16(close.discount < 0 ? close.discount + 0x10000 : close.discount),
    new Uint8Array(taxes), encodeClassicText(close.text, width)]);
}
export function decodeClassicClose(b: Uint8Array, sums: 4 | 16): ClassicClose {
  const c = cursor(b, 4);
  const payments = Array.from({ length: sums }, () => c.uint(5));
  const raw = c.uint(2);
  const taxes = Array.from(c.bytes(4));
  const rest = c.rest();
  classicTextWidth(rest);
  return { payments, discount: raw >= 0x8000 ? raw - 0x10000 : raw, taxes, text: decodeClassicText(rest) };
}

/** 0x85 / 0x8E answer: operator (1), change (5). */
export interface ClassicCloseAnswer { operator: number; change: number }
export const encodeClassicCloseAnswer = (a: ClassicCloseAnswer): Uint8Array => concat([u8(a.operator), money5(a.change)]);
export function decodeClassicCloseAnswer(b: Uint8Array): ClassicCloseAnswer {
  const c = cursor(b);
  return { operator: c.uint(1), change: c.uint(5) };
}

// ---------- FFD 1.2 marking: FF61 check, FF69 accept / decline / clear, FF67 bind, FF70 and FF68 status ----------
/*
 * Layouts as the vendor's own JavaPOS driver gives them in the protocol text of its command classes
 * (shtrih-m/javapos_shtrih, Source/Core/src/com/shtrih/fiscalprinter/command/FSCheckMC.java,
 * FSAcceptMC.java, FSBindMC.java, FSReadMCStatus.java, FSReadMCNotificationStatus.java), checked
 * against real frames in the vendor's issue threads: shtrih-m/fr_drv_ng#145 (an FF61 answer with the
 * marking operator's reply), #165 (an FF61 answer without it), shtrih-m/fr_drv_ng_examples#39 (an
 * FF61 request with 2108/1023 TLV).
 */

/** The code as scanned: printable ASCII and GS (0x1D), one byte per character (tag 2000). */
export function encodeMarkingCodeText(code: string): Uint8Array {
  const out = new Uint8Array(code.length);
  for (let i = 0; i < code.length; i++) {
    const ch = code.charCodeAt(i);
    if (ch !== 0x1d && (ch < 0x20 || ch > 0x7e)) throw new RangeError(`marking code character 0x${ch.toString(16)} at ${i} is not printable ASCII or GS`);
    out[i] = ch;
  }
  return out;
}
export const decodeMarkingCodeText = (b: Uint8Array): string => String.fromCharCode(...b);

/** FF61 request: the code and, for measured goods, 2108 / 1023 / 1291 as a TLV list. */
export interface MarkingCheckRequestFrame {
  /** 2003 */
  plannedStatus: number;
  /** 2102: processing mode, always 0 in FFD 1.2 */
  mode: number;
  code: string;
  tlv: Uint8Array;
}
/** FF61: password (4), 2003 (1), 2102 (1), code length (1), TLV length (1), code, TLV. */
export function encodeMarkingCheck(password: number, r: MarkingCheckRequestFrame): Uint8Array {
  const code = encodeMarkingCodeText(r.code);
  return concat([password4(password), u8(r.plannedStatus), u8(r.mode), u8(code.length), u8(r.tlv.length), code, r.tlv]);
}
export function decodeMarkingCheck(b: Uint8Array): MarkingCheckRequestFrame {
  const c = cursor(b, 4);
  const plannedStatus = c.uint(1);
  const mode = c.uint(1);
  const codeLength = c.uint(1);
  const tlvLength = c.uint(1);
  const code = decodeMarkingCodeText(c.bytes(codeLength));
  const tlv = c.bytes(tlvLength).slice();
  if (c.remaining !== 0) throw new RangeError(`FF61 carries ${c.remaining} bytes after its TLV`);
  return { plannedStatus, mode, code, tlv };
}

/** Byte 1 of the FF61 online part: what came of the exchange with the marking operator. */
export const MARKING_ONLINE = {
  /** An answer arrived and the FN accepted it (B6); the TLV is the answer's tags. */
  answered: 0x00,
  /** The FN refused the answer (signature, request number, FN number …); byte 2 says why. */
  answerRejected: 0x20,
  /** No answer in time (fr_drv_ng_examples classic_interface/main.cpp, explainOnlineCheckCode). */
  timeout: 0xff,
} as const;

/** FF61 answer. */
export interface MarkingCheckAnswer {
  /** 2004: bit 0 the FN checked the code's crypto tail, bit 1 the check was positive */
  fnCheck: number;
  /** Why the FN did not check: 0 checked, 1 type not checkable, 2 no key, 3 no AI 91/92, 4 other */
  fnReason: number;
  /** 2100 as the FN recognised it */
  codeType: number;
  /** null: the register asked no marking operator (autonomous mode, or no marking server set up). */
  online: {
    /** MARKING_ONLINE */
    result: number;
    /** The item's check result in 2106 bits after the answer (with `answerRejected`: the reason code). */
    status: number;
    /** The answer's tags (2105, 2109, 2005, 2114 …) */
    tlv: Uint8Array;
  } | null;
}
/**
 * Answer: 2004 (1), reason (1), 2100 (1), length N of what follows (1), then — when N > 0 — the
 * online result (1), the check status (1) and the answer's TLV (N − 2). fr_drv_ng#145 shows
 * N = 0x14 = 2 + 18 bytes of TLV (2114, 2105, 2005).
 */
export function encodeMarkingCheckAnswer(a: MarkingCheckAnswer): Uint8Array {
  const online = a.online ? concat([u8(a.online.result), u8(a.online.status), a.online.tlv]) : new Uint8Array(0);
  return concat([u8(a.fnCheck), u8(a.fnReason), u8(a.codeType), u8(online.length), online]);
}
export function decodeMarkingCheckAnswer(b: Uint8Array): MarkingCheckAnswer {
  const c = cursor(b);
  const fnCheck = c.uint(1);
  const fnReason = c.uint(1);
  const codeType = c.uint(1);
  const length = c.remaining > 0 ? c.uint(1) : 0;
  if (length === 0) return { fnCheck, fnReason, codeType, online: null };
  const part = c.bytes(Math.min(length, c.remaining));
  return { fnCheck, fnReason, codeType, online: { result: part[0] ?? 0, status: part[1] ?? 0, tlv: part.slice(2) } };
}

/** FF69 decision byte. */
export const MARKING_ACTION = { decline: 0, accept: 1, clear: 2 } as const;
/** FF69: password (4), action (1). */
export const encodeMarkingAccept = (password: number, action: number): Uint8Array => concat([password4(password), u8(action)]);
export function decodeMarkingAccept(b: Uint8Array): number {
  if (b.length !== 5) throw new RangeError(`FF69 carries 5 data bytes, got ${b.length}`);
  return b[4] ?? 0;
}
/** FF69 answer: the item's 2106 as the FN will write it (one byte; also sent after a clear). */
export const encodeMarkingAcceptAnswer = (itemCheckResult: number): Uint8Array => u8(itemCheckResult);
export const decodeMarkingAcceptAnswer = (b: Uint8Array): number | null => (b.length > 0 ? (b[0] ?? 0) : null);

/** FF67: password (4), code length (1), code; an optional trailing 0xFF marks volume-sorted goods (ОСУ), unused here. */
export function encodeMarkingBind(password: number, code: string): Uint8Array {
  const bytes = encodeMarkingCodeText(code);
  return concat([password4(password), u8(bytes.length), bytes]);
}
export function decodeMarkingBind(b: Uint8Array): { code: string; volumeSorted: boolean } {
  const c = cursor(b, 4);
  const code = decodeMarkingCodeText(c.bytes(c.uint(1)));
  const volumeSorted = c.remaining > 0 && c.uint(1) === 0xff;
  if (c.remaining !== 0) throw new RangeError('FF67 carries bytes after the code');
  return { code, volumeSorted };
}
/** FF67 answer: recognised code type (2), Data Matrix type (1), then the code's check result as FF61 gives it. */
export interface MarkingBindAnswer {
  productCodeType: number;
  /** 0 check code of 88, 1 symmetric, 2 tobacco, 3 check code of 44, 0xFF GS1 without marking (FSBindMC.java) */
  dataMatrixType: number;
  check: MarkingCheckAnswer | null;
}
export const encodeMarkingBindAnswer = (a: MarkingBindAnswer): Uint8Array =>
  concat([u16(a.productCodeType), u8(a.dataMatrixType), a.check ? encodeMarkingCheckAnswer(a.check) : new Uint8Array(0)]);
export function decodeMarkingBindAnswer(b: Uint8Array): MarkingBindAnswer {
  const c = cursor(b);
  const productCodeType = c.uint(2);
  const dataMatrixType = c.uint(1);
  return { productCodeType, dataMatrixType, check: c.remaining >= 3 ? decodeMarkingCheckAnswer(c.rest()) : null };
}

/** FF70 answer: the FN's marking state. */
export interface MarkingStatusAnswer {
  /** 0 marking work blocked, 1 no code under check, 2 code passed (B1), 3 request formed (B5), 4 answer passed (B6) */
  checkState: number;
  /** 0 no sale notification being formed, 1 one is being formed */
  notificationState: number;
  /** Commands allowed now: bit 0 B1, 1 B2, 2 B3, 3 B5, 4 B6, 5–7 B7 with sub-codes 1–3 */
  allowedCommands: number;
  /** Check results saved by B2 with code 1 (accepted) */
  savedResults: number;
  /** Codes in the notification being formed */
  codesInNotification: number;
  /** Notification storage: 0 < 50 %, 1 50–80 %, 2 80–90 %, 3 > 90 % */
  storageWarning: number;
  /** Notifications not confirmed or not yet read out */
  queuedNotifications: number;
}
export const encodeMarkingStatus = (s: MarkingStatusAnswer): Uint8Array =>
  concat([u8(s.checkState), u8(s.notificationState), u8(s.allowedCommands), u8(s.savedResults), u8(s.codesInNotification), u8(s.storageWarning), u16(s.queuedNotifications)]);
export function decodeMarkingStatus(b: Uint8Array): MarkingStatusAnswer {
  const c = cursor(b);
  return {
    checkState: c.uint(1), notificationState: c.uint(1), allowedCommands: c.uint(1), savedResults: c.uint(1),
    codesInNotification: c.uint(1), storageWarning: c.uint(1), queuedNotifications: c.uint(2),
  };
}

/** FF68 answer: the exchange of sale notifications with the marking operator. */
export interface MarkingNotificationStatus {
  /** 0 no exchange, 1 reading a notification started, 2 waiting for the receipt (84) of one */
  exchangeState: number;
  /** Notifications not confirmed yet (0 when every one has its receipt) */
  queued: number;
  /** Number of the notification to send, or the one whose receipt is awaited */
  currentNumber: number;
  /** Its date and time; null when the queue is empty */
  currentDateTime: WallTime | null;
  /** How full the notification storage is, % */
  storageUsedPercent: number;
}
/** Date D M Y and time h m, as FSReadMCNotificationStatus.java reads them (readDateDMY, readTimeHM). */
export function encodeMarkingNotificationStatus(s: MarkingNotificationStatus): Uint8Array {
  const t = s.currentDateTime;
  const when = t ? new Uint8Array([t.day, t.month, t.year % 100, t.hour, t.minute]) : new Uint8Array(5);
  return concat([u8(s.exchangeState), u16(s.queued), u32(s.currentNumber), when, u8(s.storageUsedPercent)]);
}
export function decodeMarkingNotificationStatus(b: Uint8Array): MarkingNotificationStatus {
  const c = cursor(b);
  const exchangeState = c.uint(1);
  const queued = c.uint(2);
  const currentNumber = c.uint(4);
  const w = c.bytes(5);
  const storageUsedPercent = c.remaining > 0 ? c.uint(1) : 0;
  const currentDateTime = w[1] === 0 ? null : { year: 2000 + (w[2] ?? 0), month: w[1] ?? 1, day: w[0] ?? 1, hour: w[3] ?? 0, minute: w[4] ?? 0, second: 0 };
  return { exchangeState, queued, currentNumber, currentDateTime, storageUsedPercent };
}

/**
 * Registers built on the cash core (0xFC model codes 16, 20, 21, 45, 46) and ШТРИХ-MOBILE-Ф (19)
 * take an item's FF4D tags and FF67 code BEFORE its FF46; the other desktop models after it. The
 * vendor's JavaPOS driver decides so (SMFiscalPrinterImpl.getCapOperationTagsFirst,
 * DeviceMetrics.isCashCore, FSSalesReceipt.printReceiptItem), and the vendor's C++ example says
 * the same (fr_drv_ng_examples classic_interface/main.cpp: "на cashcore нужно ДО операции").
 */
const TAGS_FIRST_MODELS: ReadonlySet<number> = new Set([16, 19, 20, 21, 45, 46]);
export const operationTagsFirst = (model: number): boolean => TAGS_FIRST_MODELS.has(model);

/** 0x8D document type for a 1054 operation type (inverse of OPEN_CHECK_TYPES). */
export const openCheckTypeOf = (operationType: number): number => OPEN_CHECK_TYPES.indexOf(operationType as 1 | 2 | 3 | 4);
