import { describe, expect, it } from 'vitest';
import { DeviceError } from '../driver.js';
import type { ReportedErrorCode } from '../driver.js';
import {
  CMD, decodeClassicClose, decodeClassicCloseAnswer, decodeClassicItem, decodeOpenCheck, encodeClassicClose, encodeClassicCloseAnswer,
  encodeClassicItem, encodeOpenCheck, decodeCloseReceipt, decodeCloseReceiptAnswer, decodeFnStatus, decodeFoundDocument, decodeFullStatus, decodeOperation, decodeShortStatus,
  encodeCloseReceipt, encodeCloseReceiptAnswer, encodeFnStatus, encodeFoundDocument, encodeFullStatus, encodeOperation, encodeReadTable,
} from './commands.js';
import {
  MARKING_ACTION, decodeMarkingAccept, decodeMarkingAcceptAnswer, decodeMarkingBind, decodeMarkingBindAnswer, decodeMarkingCheck,
  decodeMarkingCheckAnswer, decodeMarkingNotificationStatus, decodeMarkingStatus, encodeMarkingAccept, encodeMarkingBind,
  encodeMarkingBindAnswer, encodeMarkingCheck, encodeMarkingCheckAnswer, encodeMarkingNotificationStatus, encodeMarkingStatus,
  operationTagsFirst,
} from './commands.js';
import { CODE_TO_SHTRIH, SHTRIH_ERRORS, deviceErrorFromAnswer } from './errors.js';
import { encodeAnswer, encodeRequest } from './frame.js';
import { checkResultOf, checkTlv } from './marking.js';
import { itemTags, paymentSlots, receiptExtraTags, receiptTags, registerReceipt } from './register.js';
import type { RegisterDeps } from './register.js';
import type { Session } from './session.js';
import { markingCheckPositive } from '../../domain/ffd12.js';
import type { ItemExtras } from '../../domain/ffd12.js';
import type { FiscalReceipt, ReceiptItem } from '../../domain/receipt.js';
import { microsFromFvln } from './tlv.js';
import { VAT_TO_SHTRIH, vatFromShtrih } from './vat.js';
import { decodeTlvs } from './tlv.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('FF46 operation v2', () => {
  const op = { type: 1, quantity: 1_500_000, price: 10_000, sum: 15_000, taxSum: null, taxRate: 0x01, department: 1, paymentMethod: 4, paymentObject: 1, name: 'Чай' };

  it('password, type, qty ×10^6 (6), price (5), sum (5), tax sum FF×5, rate, dept, 1214, 1212, CP1251 name', () => {
    expect(hexOf(encodeOperation(30, op))).toBe([
      '1e 00 00 00', // password 30
      '01', // 1054 income
      '60 e3 16 00 00 00', // 1.5
      '10 27 00 00 00', // 100.00
      '98 3a 00 00 00', // 150.00
      'ff ff ff ff ff', // VAT: device computes
      '01 01 04 01', // 20 %, department 1, full payment, commodity
      'd7 e0 e9', // "Чай" in CP1251
    ].join(' '));
    expect(decodeOperation(encodeOperation(30, op))).toEqual(op);
  });

  it('FF×5 in the sum field asks the device to compute price × quantity', () => {
    expect(decodeOperation(encodeOperation(30, { ...op, sum: null })).sum).toBeNull();
  });
});

describe('classic receipt commands (0x8D, 0x80–0x84, 0x85, 0x8E)', () => {
  const line = { quantity: 1_500, price: 10_000, department: 1, taxes: [1, 0, 0, 0], text: 'Чай' };

  it('0x80: password, quantity ×1000 (5), price (5), department, tax 1–4, text 40 → frame LEN 60', () => {
    const data = encodeClassicItem(1, line);
    expect(data.length + 1).toBe(60); // "Команда: 80H. Длина сообщения: 60 байт."
    expect(hexOf(data.subarray(0, 19))).toBe([
      '01 00 00 00', // operator 1
      'dc 05 00 00 00', // 1.500
      '10 27 00 00 00', // 100.00
      '01', // department
      '01 00 00 00', // tax group 1
    ].join(' '));
    expect(hexOf(data.subarray(19, 23))).toBe('d7 e0 e9 00'); // "Чай" CP1251, NUL-padded
    expect(decodeClassicItem(data)).toEqual(line);
  });

  it('48-byte text (ШТРИХ-М-01Ф clients) decodes the same; other widths are malformed', () => {
    const data = encodeClassicItem(1, line, 48);
    expect(data.length + 1).toBe(68);
    expect(decodeClassicItem(data)).toEqual(line);
    expect(() => decodeClassicItem(data.subarray(0, 19 + 41))).toThrow(RangeError);
    expect(() => decodeClassicItem(data.subarray(0, 12))).toThrow(RangeError);
  });

  it('trailing NULs and spaces are not part of the text', () => {
    const data = encodeClassicItem(1, { ...line, text: 'Хлеб  ' });
    expect(decodeClassicItem(data).text).toBe('Хлеб');
  });

  it('0x85: cash + 3 sums (5 each), signed discount (2), tax 1–4, text → LEN 71; 0x8E has 16 sums → LEN 131', () => {
    const close = { payments: [50_000, 20_000, 0, 0], discount: -150, taxes: [0, 0, 0, 0], text: '' };
    const data = encodeClassicClose(1, close);
    expect(data.length + 1).toBe(71);
    expect(hexOf(data.subarray(4, 14))).toBe('50 c3 00 00 00 20 4e 00 00 00');
    expect(hexOf(data.subarray(24, 26))).toBe('6a ff'); // −1.50 % = surcharge
    expect(decodeClassicClose(data, 4)).toEqual(close);
    const extended = encodeClassicClose(1, { ...close, payments: [1, 2] }, 16);
    expect(extended.length + 1).toBe(131);
    expect(decodeClassicClose(extended, 16).payments).toEqual([1, 2, ...new Array<number>(14).fill(0)]);
    expect(() => decodeClassicClose(data, 16)).toThrow(RangeError);
  });

  it('0x85 answer: operator, change (5); 0x8D: password, document type', () => {
    expect(hexOf(encodeClassicCloseAnswer({ operator: 1, change: 500 }))).toBe('01 f4 01 00 00 00');
    expect(decodeClassicCloseAnswer(bytes(1, 0xf4, 1, 0, 0, 0))).toEqual({ operator: 1, change: 500 });
    expect(hexOf(encodeOpenCheck(1, 2))).toBe('01 00 00 00 02');
    expect(decodeOpenCheck(encodeOpenCheck(1, 2))).toBe(2);
    expect(() => decodeOpenCheck(bytes(1, 0, 0, 0))).toThrow(RangeError);
  });
});

describe('FF45 close receipt v2', () => {
  it('16 sums ×5, rounding, 6 tax sums ×5, tax system, text', () => {
    const data = encodeCloseReceipt(30, { payments: [50_000, 20_000], rounding: 0, taxSums: [], taxSystem: 2, text: '' });
    expect(data.length).toBe(4 + 16 * 5 + 1 + 6 * 5 + 1);
    expect(hexOf(data.subarray(4, 14))).toBe('50 c3 00 00 00 20 4e 00 00 00');
    expect(data[4 + 80 + 1 + 30]).toBe(2);
    expect(decodeCloseReceipt(data)).toMatchObject({ payments: [50_000, 20_000, ...new Array<number>(14).fill(0)], taxSystem: 2 });
  });

  it('answer: change (5), FD (4), FP (4)', () => {
    const a = { change: 500, fdNumber: 12, fiscalSign: 2_403_680_979 };
    expect(hexOf(encodeCloseReceiptAnswer(a))).toBe('f4 01 00 00 00 0c 00 00 00 d3 42 45 8f');
    expect(decodeCloseReceiptAnswer(encodeCloseReceiptAnswer(a))).toEqual(a);
  });

  it('payment types go to slots 1 cash, 2 cashless, 14 advance, 15 credit, 16 other', () => {
    const slots = paymentSlots({ payments: [{ type: 0, sum: 1 }, { type: 1, sum: 2 }, { type: 2, sum: 3 }, { type: 3, sum: 4 }, { type: 4, sum: 5 }, { type: 0, sum: 10 }] });
    expect(slots).toEqual([11, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5]);
  });
});

describe('status answers', () => {
  it('0x10: operator, flags (2), mode, submode, operations lo … hi', () => {
    const answer = bytes(30, 0x00, 0x00, 0x28, 0x00, 0x03, 0xe0, 0xc8, 0, 0, 0x01, 0, 0, 0);
    expect(decodeShortStatus(answer)).toEqual({ operator: 30, flags: 0, mode: 0x28, submode: 0, operationsInReceipt: 259 });
  });

  it('0x11: date DD MM YY and time HH MM SS at offsets 24 and 27 of the answer', () => {
    const s = { firmware: '1.0', documentNumber: 7, mode: 2, submode: 0, dateTime: { year: 2026, month: 10, day: 22, hour: 14, minute: 43, second: 50 }, serial: 123, lastClosedShift: 4, inn: '770123456703', operator: 30 };
    const b = encodeFullStatus(s);
    expect(b.length).toBe(46);
    expect(hexOf(b.subarray(23, 29))).toBe('16 0a 1a 0e 2b 32');
    expect(decodeFullStatus(b)).toEqual(s);
  });

  it('0x11: the INN in the last 6 bytes, little-endian, for 12- and 10-digit INNs', () => {
    const base = { firmware: '1.0', documentNumber: 1, mode: 2, submode: 0, dateTime: { year: 2026, month: 12, day: 1, hour: 0, minute: 0, second: 0 }, serial: 1, lastClosedShift: 0, operator: 30 };
    // 770123456703 = 0xB3_4EEF_60BF (little-endian bf 60 ef 4e b3 00)
    const twelve = encodeFullStatus({ ...base, inn: '770123456703' });
    expect(hexOf(twelve.subarray(40, 46))).toBe('bf 60 ef 4e b3 00');
    expect(decodeFullStatus(encodeFullStatus({ ...base, inn: '7825706086' })).inn).toBe('7825706086');
    expect(decodeFullStatus(encodeFullStatus({ ...base, inn: '0274062111' })).inn).toBe('0274062111');
    expect(decodeFullStatus(encodeFullStatus({ ...base, inn: '012345678912' })).inn).toBe('012345678912');
  });

  it('FF01: phase, document, data, shift, warnings, date-time (5), FN serial (16), last FD (4)', () => {
    const s = { phase: 3, currentDocument: 4, documentData: 1, shiftOpen: true, warnings: 8, dateTime: { year: 2026, month: 10, day: 22, hour: 14, minute: 43, second: 0 }, fnSerial: '9999078900012345', lastFd: 42 };
    const b = encodeFnStatus(s);
    expect(b.length).toBe(30);
    expect(hexOf(b.subarray(0, 10))).toBe('03 04 01 01 08 1a 0a 16 0e 2b');
    expect(hexOf(b.subarray(25))).toBe('35 2a 00 00 00');
    expect(decodeFnStatus(b)).toEqual(s);
  });

  it('FF0A: type, OFD ack, date-time, FD, FP, then 1054 + sum for receipts', () => {
    const d = { docType: 3, ofdAck: false, dateTime: { year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 0 }, fdNumber: 5, fiscalSign: 6, operationType: 2, total: 700, shiftNumber: null };
    expect(hexOf(encodeFoundDocument(d))).toBe('03 00 1a 01 02 03 04 05 00 00 00 06 00 00 00 02 bc 02 00 00 00');
    expect(decodeFoundDocument(encodeFoundDocument(d))).toEqual(d);
  });

  it('0x1F read table: password, table, row (2), field', () => {
    expect(hexOf(encodeReadTable(30, 18, 1, 3))).toBe('1e 00 00 00 12 01 00 03');
  });
});

describe('FF0C receipt tags', () => {
  it('buyer contact, cashier with space-padded INN, 1.05 correction base', () => {
    const tags = receiptTags({
      receiptType: 7, operationType: 1, taxSystem: 1, items: [], payments: [], total: 0, change: 0,
      email: 'a@b.ru', phone: null, mistakenReceiptNumber: null, needPrint: true,
      cashier: { name: 'Кассир', inn: '7701234560' },
      correction: { type: 1, reason: 'Предписание', date: '2026-10-20', docNumber: '15' },
    }, '105');
    expect(tags.map((t) => t.tag)).toEqual([1008, 1021, 1203, 1173, 1174]);
    expect(tags[2]?.value.length).toBe(12);
    const base = decodeTlvs(tags[4]?.value ?? bytes());
    expect(base.map((t) => t.tag)).toEqual([1177, 1178, 1179]);
    expect(base[1]?.value).toEqual(bytes(0x00, 0xaf, 0xd6, 0x6a)); // 2026-10-20T00:00Z = 1792454400 = 0x6AD6AF00
  });
});

describe('VAT byte', () => {
  it('is a bitmask for the classic rates', () => {
    expect([1, 2, 5, 6, 3, 4].map((v) => VAT_TO_SHTRIH[v as 1 | 2 | 3 | 4 | 5 | 6])).toEqual([1, 2, 4, 8, 16, 32]);
    expect(vatFromShtrih(0x08)).toBe(6);
    expect(vatFromShtrih(0x03)).toBeNull();
  });
});

describe('error bytes', () => {
  it('keep the device byte next to the stable code', () => {
    const e = deviceErrorFromAnswer(CMD.fnCloseReceipt, 0x45);
    expect(e).toBeInstanceOf(DeviceError);
    expect(e).toMatchObject({ kind: 'rejected', code: 'insufficient_payment', deviceCode: '0x45', retryable: false });
    expect(deviceErrorFromAnswer(CMD.fnOperation, 0x3d)).toMatchObject({ code: 'shift_closed', retryable: true });
    expect(deviceErrorFromAnswer(CMD.openShift, 0x73)).toMatchObject({ code: 'shift_already_open' });
    expect(deviceErrorFromAnswer(CMD.xReport, 0xfe)).toMatchObject({ code: 'device_error', deviceCode: '0xFE' });
  });

  it('every stable code the emulator answers maps back to itself (except the documented lossy ones)', () => {
    // fn_archive_closed: FN 02h is any wrong FN state, read back as device_error (errors.ts).
    const lossy = new Set<ReportedErrorCode>(['device_offline', 'answer_lost', 'shift_already_open', 'sum_mismatch', 'tax_system_not_registered', 'cashier_required', 'fn_archive_closed']);
    for (const [code, byte] of Object.entries(CODE_TO_SHTRIH) as [ReportedErrorCode, number][]) {
      if (lossy.has(code)) continue;
      expect(SHTRIH_ERRORS[byte]?.code, code).toBe(code);
    }
  });
});

/** Hex text of a vendor log line → bytes. */
const fromHex = (text: string): Uint8Array => new Uint8Array(text.trim().split(/\s+/).map((h) => Number.parseInt(h, 16)));
const ascii = (text: string): string => Array.from(text, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');

describe('FF61 check marking code (javapos_shtrih FSCheckMC.java: password, 2003, 2102, code length, TLV length, code, TLV)', () => {
  it('matches the request of shtrih-m/fr_drv_ng_examples#39: a tobacco pack with 2108 = 0 and 1023 = 1.000000', () => {
    // "КОМАНДА ККТ FF61h запрос длиной 52: FF61 1E 00 00 00 01 00 1D 0D 30 34 … 3C 08 01 00 00 FF 03 04 00 06 40 42 0F."
    const logged = fromHex(`ff 61 1e 00 00 00 01 00 1d 0d ${ascii('04631325925035yFL5nJXnulldGVz')} 3c 08 01 00 00 ff 03 04 00 06 40 42 0f`);
    expect(logged.length).toBe(52);
    const frame = { plannedStatus: 1, mode: 0, code: '04631325925035yFL5nJXnulldGVz', tlv: fromHex('3c 08 01 00 00 ff 03 04 00 06 40 42 0f') };
    expect(hexOf(encodeMarkingCheck(30, frame))).toBe(hexOf(logged.subarray(2)));
    expect(decodeMarkingCheck(logged.subarray(2))).toEqual(frame);
  });

  it('matches the whole frame of shtrih-m/fr_drv_ng#165 (no TLV), STX LEN … LRC included', () => {
    // "02 29 FF 61 1E 00 00 00 01 00 1F 00 30 31 30 34 … 1D 39 33 47 6B 33 30 85"
    const code = '0104600653105990215' + '2CUnq\x1d93Gk30';
    const logged = fromHex(`02 29 ff 61 1e 00 00 00 01 00 1f 00 ${ascii(code)} 85`);
    expect(hexOf(encodeRequest(0xff61, encodeMarkingCheck(30, { plannedStatus: 1, mode: 0, code, tlv: new Uint8Array(0) })))).toBe(hexOf(logged));
  });

  it('refuses a piece good with a quantity before sending it (the register answers 0x0033009C, fr_drv_ng_examples#39)', () => {
    const request = { code: '04631325925035yFL5nJXnulldGVz', plannedStatus: 1 as const, measure: 0 as const, quantity: 1_000_000, fractional: null, offline: false };
    expect(() => checkTlv(request)).toThrow(expect.objectContaining({ kind: 'rejected', code: 'invalid_document' }) as Error);
    expect(checkTlv({ ...request, quantity: null })).toEqual(new Uint8Array(0));
  });

  it('measured goods carry 2108, 1023 (FVLN, the same value as the vendor\'s 06 40 42 0F) and 1291 {1293, 1294}', () => {
    const tlv = checkTlv({ code: 'x', plannedStatus: 2, measure: 0, quantity: 1_000_000, fractional: { numerator: 1, denominator: 3 }, offline: false });
    const tags = decodeTlvs(tlv);
    expect(tags.map((t) => t.tag)).toEqual([2108, 1023, 1291]);
    expect(microsFromFvln(tags[1]?.value ?? bytes())).toBe(microsFromFvln(fromHex('06 40 42 0f')));
    expect(decodeTlvs(tags[2]?.value ?? bytes()).map((t) => [t.tag, t.value[0]])).toEqual([[1293, 1], [1294, 3]]);
  });

  it('reads the answer of shtrih-m/fr_drv_ng#145: FN did not check (type 1), the operator answered 2005 = 5', () => {
    // "<- 02 1B FF 61 00 00 01 01 14 00 05 42 08 04 00 80 07 15 61 39 08 01 00 00 D5 07 01 00 05 CF"
    const logged = fromHex('02 1b ff 61 00 00 01 01 14 00 05 42 08 04 00 80 07 15 61 39 08 01 00 00 d5 07 01 00 05 cf');
    const data = logged.subarray(5, -1);
    expect(hexOf(encodeAnswer(0xff61, 0, data))).toBe(hexOf(logged)); // LEN and LRC agree with our framing
    const a = decodeMarkingCheckAnswer(data);
    expect(a).toMatchObject({ fnCheck: 0, fnReason: 1, codeType: 1, online: { result: 0, status: 5 } });
    expect(decodeTlvs(a.online?.tlv ?? bytes()).map((t) => t.tag)).toEqual([2114, 2105, 2005]);
    expect(hexOf(encodeMarkingCheckAnswer(a))).toBe(hexOf(data));
    const r = checkResultOf(a, false);
    expect(r).toEqual({
      codeType: 1,
      fn: { checked: false, valid: false, reason: 'type_not_checkable' },
      operator: { answered: true, requestCode: 0, codeValid: false, statusCorrect: false, itemStatus: null },
      itemCheckResult: 5,
    });
    expect(markingCheckPositive(r)).toBe(false);
  });

  it('reads the answer of shtrih-m/fr_drv_ng#165: no online part, so no operator answer (autonomous, 2106 bit 4)', () => {
    // "ответил FF 61 00 00 01 05 00"
    const a = decodeMarkingCheckAnswer(fromHex('00 01 05 00'));
    expect(a).toEqual({ fnCheck: 0, fnReason: 1, codeType: 5, online: null });
    expect(checkResultOf(a, false).operator).toEqual({ answered: false, reason: 'unreachable' });
    expect(checkResultOf(a, true).operator).toEqual({ answered: false, reason: 'not_asked' });
    expect(checkResultOf(a, false).itemCheckResult).toBe(16);
  });

  it('0xFF in the online part is a timeout; 0x20 an answer the FN refused (fr_drv_ng_examples main.cpp explainOnlineCheckCode)', () => {
    expect(checkResultOf({ fnCheck: 3, fnReason: 0, codeType: 4, online: { result: 0xff, status: 0, tlv: bytes() } }, false))
      .toMatchObject({ operator: { answered: false, reason: 'timeout' }, itemCheckResult: 3 | 16 });
    expect(checkResultOf({ fnCheck: 3, fnReason: 0, codeType: 4, online: { result: 0x20, status: 1, tlv: bytes() } }, false))
      .toMatchObject({ operator: { answered: false, reason: 'unreachable' } });
  });
});

describe('FF69 accept / decline / clear (javapos_shtrih FSAcceptMC.java)', () => {
  it('password and one decision byte; the answer is the item\'s 2106', () => {
    expect(hexOf(encodeMarkingAccept(30, MARKING_ACTION.accept))).toBe('1e 00 00 00 01');
    expect(hexOf(encodeMarkingAccept(30, MARKING_ACTION.decline))).toBe('1e 00 00 00 00');
    // "FF69h с параметром 2" clears the buffer (shtrih-m/fr_drv_ng#139, FSAcceptMC.ActionClearBuffer).
    expect(decodeMarkingAccept(encodeMarkingAccept(30, MARKING_ACTION.clear))).toBe(2);
    expect(decodeMarkingAcceptAnswer(bytes(0x0f))).toBe(15);
    expect(decodeMarkingAcceptAnswer(bytes())).toBeNull();
  });
});

describe('FF67 bind marking code to the item (javapos_shtrih FSBindMC.java)', () => {
  it('password, code length, code: the data of the frame in shtrih-m/fr_drv_ng#102', () => {
    // "-> 8F 28 00 18 00 FF 67 1E 00 00 00 1F 30 31 30 32 … 48 32 26 AD" (protocol v2 header and CRC around it)
    const code = '010290000101456421gOZdDD:ZVshH2';
    expect(hexOf(encodeMarkingBind(30, code))).toBe(`1e 00 00 00 1f ${ascii(code)}`);
    expect(decodeMarkingBind(encodeMarkingBind(30, code))).toEqual({ code, volumeSorted: false });
    // "FF67 1E000000 00": an empty code (shtrih-m/fr_drv_ng#249)
    expect(decodeMarkingBind(fromHex('1e 00 00 00 00'))).toEqual({ code: '', volumeSorted: false });
  });

  it('answer: code type (2), Data Matrix type (1), then the check result as FF61 gives it', () => {
    const a = { productCodeType: 0x444d, dataMatrixType: 3, check: { fnCheck: 3, fnReason: 0, codeType: 4, online: null } };
    expect(hexOf(encodeMarkingBindAnswer(a))).toBe('4d 44 03 03 00 04 00');
    expect(decodeMarkingBindAnswer(encodeMarkingBindAnswer(a))).toEqual(a);
    expect(decodeMarkingBindAnswer(bytes(0, 0, 0))).toEqual({ productCodeType: 0, dataMatrixType: 0, check: null });
  });
});

describe('FF70 marking status (javapos_shtrih FSReadMCStatus.java)', () => {
  it('state, notification state, allowed commands, saved results, codes in notification, storage, queue (2)', () => {
    // The figures the vendor's test driver printed in shtrih-m/fr_drv_ng#185: state 1, not forming,
    // flags 37, 2 saved results, 0 in notification, storage < 50 %, 10 notifications queued.
    const s = { checkState: 1, notificationState: 0, allowedCommands: 37, savedResults: 2, codesInNotification: 0, storageWarning: 0, queuedNotifications: 10 };
    expect(hexOf(encodeMarkingStatus(s))).toBe('01 00 25 02 00 00 0a 00');
    expect(decodeMarkingStatus(encodeMarkingStatus(s))).toEqual(s);
  });
});

describe('FF68 notification exchange (javapos_shtrih FSReadMCNotificationStatus.java)', () => {
  it('state, queue (2), number (4), date D M Y, time h m, storage %', () => {
    const s = { exchangeState: 2, queued: 3, currentNumber: 7, currentDateTime: { year: 2026, month: 10, day: 22, hour: 14, minute: 43, second: 0 }, storageUsedPercent: 1 };
    expect(hexOf(encodeMarkingNotificationStatus(s))).toBe('02 03 00 07 00 00 00 16 0a 1a 0e 2b 01');
    expect(decodeMarkingNotificationStatus(encodeMarkingNotificationStatus(s))).toEqual(s);
    expect(decodeMarkingNotificationStatus(encodeMarkingNotificationStatus({ ...s, queued: 0, currentNumber: 0, currentDateTime: null })).currentDateTime).toBeNull();
  });
});

describe('item tag order by model (javapos_shtrih getCapOperationTagsFirst, DeviceMetrics.isCashCore)', () => {
  it('cash-core models and ШТРИХ-MOBILE-Ф take the tags before FF46', () => {
    expect([16, 19, 20, 21, 45, 46].every(operationTagsFirst)).toBe(true);
    expect([0, 1, 6, 19 + 100].some(operationTagsFirst)).toBe(false);
  });
});

describe('FFD 1.2 content of a receipt', () => {
  const extras = (x: Partial<ItemExtras>): ItemExtras => ({
    marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
    countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [], ...x,
  });
  const item = (x?: ItemExtras, quantity = 1_000_000): ReceiptItem => ({
    name: 'Товар', price: 10_000, quantity, total: 10_000, vat: 1, paymentMethod: 4, paymentObject: 33, unit: null, measure: 0,
    quantityPrec: null, taxTypeInt: null, ...(x ? { ffd12: x } : {}),
  });
  const receipt = (items: ReceiptItem[], ffd12?: FiscalReceipt['ffd12']): FiscalReceipt => ({
    receiptType: 1, operationType: 1, taxSystem: 1, items, payments: [{ type: 0, sum: 10_000 }], total: 10_000, change: 0,
    email: null, phone: null, correction: null, mistakenReceiptNumber: null, cashier: null, needPrint: true, ...(ffd12 ? { ffd12 } : {}),
  });
  const code = `0104011548030707` + `21FWX00GG65908U\x1d91EE06\x1d92ty6nIoq1w2xrmcVLmKc3+cnhZxS/kgAnq7Bf5FH0CRQ=`;

  it('item tags: 2108 first; a marked item sends no 1163/2102/2106 (FF67 does); 1291 as 1293 + 1294', () => {
    const x = extras({
      marking: { code, plannedStatus: 2 }, fractional: { numerator: 1, denominator: 3 }, agentSign: 32,
      supplier: { name: 'ООО Поставщик', phones: ['+79990000000'], inn: '7701234560' }, industry: [{ foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'UUID=1&Time=2' }],
    });
    expect(itemTags(item(x), '120').map(([t]) => t)).toEqual([2108, 1293, 1294, 1222, 1224, 1226, 1260]);
    expect(itemTags(item(extras({ productCode: { kind: 'ean13', value: '4606203090785' } })), '120').map(([t]) => t)).toEqual([2108, 1163]);
    expect(itemTags({ ...item(), unit: 'шт' }, '105')).toEqual([[1197, 'шт']]);
  });

  it('receipt tags: buyer, industry, operational, user requisite; never 2107 (the register forms it)', () => {
    const r = receipt([item()], {
      buyer: { name: 'Иванов', inn: '500100732259', birthDate: null, citizenship: null, documentCode: null, documentData: null, address: null },
      operational: { id: 1, data: 'op', dateTime: '2026-10-22T14:43:00' }, industry: [{ foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'x' }],
      userRequisite: { name: 'n', value: 'v' }, agentSign: null,
    });
    const tags = receiptExtraTags(r, '120').map((t) => (t[0] ?? 0) + 256 * (t[1] ?? 0));
    expect(tags).toEqual([1256, 1270, 1261, 1084]);
    expect(receiptExtraTags(r, '105')).toEqual([]);
  });

  /** A session that fails the test if anything is sent: the refusals come before the first frame. */
  const silent: Session = {
    password: 30, time: { offsetMinutes: 180 }, iso: () => '',
    link: { connect: async () => undefined, close: async () => undefined, call: async () => Promise.reject(new Error('nothing may be sent')) },
    call: async () => Promise.reject(new Error('nothing may be sent')),
    try: async () => Promise.reject(new Error('nothing may be sent')),
  };
  const deps = (ffd: '105' | '120'): RegisterDeps => ({
    session: silent, allowNewVatCodes: false, operationTagsFirst: false, openShift: async () => undefined,
    registration: {
      registrationNumber: '', registratorSerial: '', fnSerial: '', ffdVersion: ffd, ofdName: '', ofdInn: '', companyName: '', companyInn: '',
      operationsAddress: '', operationsPlace: '', taxSystems: 1, model: '',
    },
  });

  it('FFD 1.05: FFD 1.2 content is refused as not_supported before anything is sent', async () => {
    await expect(registerReceipt(deps('105'), receipt([item(extras({ countryCode: '643' }))]), { autoOpenShift: false }))
      .rejects.toMatchObject({ kind: 'rejected', code: 'not_supported' });
  });

  it('a marked item needs its accepted check; a marked piece good is one unit; a fraction needs a marking code', async () => {
    const marked = item(extras({ marking: { code, plannedStatus: 1 } }));
    await expect(registerReceipt(deps('120'), receipt([marked]), { autoOpenShift: false })).rejects.toMatchObject({ code: 'invalid_document' });
    await expect(registerReceipt(deps('120'), receipt([item(extras({ marking: { code, plannedStatus: 1 } }), 2_000_000)]), { autoOpenShift: false, marking: [15] }))
      .rejects.toMatchObject({ code: 'invalid_document' });
    await expect(registerReceipt(deps('120'), receipt([item(extras({ fractional: { numerator: 1, denominator: 2 } }))]), { autoOpenShift: false }))
      .rejects.toMatchObject({ code: 'invalid_document' });
  });
});
