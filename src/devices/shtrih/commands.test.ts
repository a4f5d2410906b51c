import { describe, expect, it } from 'vitest';
import { DeviceError } from '../driver.js';
import type { ReportedErrorCode } from '../driver.js';
import {
  CMD, decodeClassicClose, decodeClassicCloseAnswer, decodeClassicItem, decodeOpenCheck, encodeClassicClose, encodeClassicCloseAnswer,
  encodeClassicItem, encodeOpenCheck, decodeCloseReceipt, decodeCloseReceiptAnswer, decodeFnStatus, decodeFoundDocument, decodeFullStatus, decodeOperation, decodeShortStatus,
  encodeCloseReceipt, encodeCloseReceiptAnswer, encodeFnStatus, encodeFoundDocument, encodeFullStatus, encodeOperation, encodeReadTable,
} from './commands.js';
import { CODE_TO_SHTRIH, SHTRIH_ERRORS, deviceErrorFromAnswer } from './errors.js';
import { paymentSlots, receiptTags } from './register.js';
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
    const lossy = new Set<ReportedErrorCode>(['device_offline', 'answer_lost', 'shift_already_open', 'sum_mismatch', 'tax_system_not_registered', 'cashier_required']);
    for (const [code, byte] of Object.entries(CODE_TO_SHTRIH) as [ReportedErrorCode, number][]) {
      if (lossy.has(code)) continue;
      expect(SHTRIH_ERRORS[byte]?.code, code).toBe(code);
    }
  });
});
