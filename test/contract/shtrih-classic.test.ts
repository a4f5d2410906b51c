/**
 * The classic receipt commands (0x8D open, 0x80–0x83 lines, 0x84 storno, 0x85 / 0x8E close, 0x88
 * cancel) of the Shtrih-M emulator, over TCP as a third-party client sends them, on the virtual
 * register with a fake clock. The FN effects are read back the way a client reads them: FF01,
 * FF40, FF0A and FF3A/FF3B (TLV), 0x10 modes and 0x1A money registers after an X report.
 * Layouts: src/devices/shtrih/commands.ts; error bytes: emulator/classic.ts.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { fakeClock } from '../../src/devices/fiscal-core/testing.js';
import { concat, password4, readUintLE, u16, u8 } from '../../src/devices/shtrih/bytes.js';
import {
  CMD, DOC_TYPES, decodeClassicCloseAnswer, decodeFnStatus, decodeFoundDocument, decodeShiftParams, decodeShortStatus,
  decodeTlvDocumentInfo, encodeClassicClose, encodeClassicItem, encodeFdRequest, encodeOpenCheck,
} from '../../src/devices/shtrih/commands.js';
import type { ClassicItem, ClassicTextWidth } from '../../src/devices/shtrih/commands.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { createShtrihLink } from '../../src/devices/shtrih/link.js';
import type { Answer } from '../../src/devices/shtrih/link.js';
import { encodeCp1251 } from '../../src/devices/shtrih/text.js';
import { decodeTlvs, microsFromFvln, readVln, tlvText } from '../../src/devices/shtrih/tlv.js';
import type { Tlv } from '../../src/devices/shtrih/tlv.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Cashier 1 sends the receipt commands; FN commands need the system administrator (30). */
const CASHIER = 1;
const ADMIN = 30;
const HOUR = 3_600_000;
const NO_DATA = 0x08;

async function classicRegister(options: { requireOpenCheck?: boolean } = {}) {
  const clock = fakeClock();
  const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: '120' }, { deviceId: 1, dataDir: null, logger, clock });
  await register.open();
  cleanups.push(() => register.close());
  const emulator = createShtrihEmulator({ driver: register, port: 0, logger, ...options });
  const port = await emulator.listen();
  cleanups.push(() => emulator.close());
  const link = createShtrihLink({ host: '127.0.0.1', port, timeoutMs: 2000, retries: 2 });
  cleanups.push(() => link.close());
  const call = (command: number, data: Uint8Array): Promise<Answer> => link.call(command, data);
  /** Answer's error byte; the data must be the operator (1) for a success. */
  const err = async (command: number, data: Uint8Array): Promise<number> => (await call(command, data)).error;
  return { clock, register, call, err };
}
type Emu = Awaited<ReturnType<typeof classicRegister>>;

const line = (text: string, quantity: number, price: number, over: Partial<ClassicItem> = {}, width: ClassicTextWidth = 40): Uint8Array =>
  encodeClassicItem(CASHIER, { quantity, price, department: 1, taxes: [1, 0, 0, 0], text, ...over }, width);
const close = (payments: number[], width: ClassicTextWidth = 40, extended = false): Uint8Array =>
  encodeClassicClose(CASHIER, { payments, discount: 0, taxes: [0, 0, 0, 0], text: 'Спасибо' }, extended ? 16 : 4, width);
const openCheck = (type: number): Uint8Array => encodeOpenCheck(CASHIER, type);

async function lastFd(e: Emu): Promise<number> {
  return decodeFnStatus((await e.call(CMD.fnStatus, password4(ADMIN))).data).lastFd;
}
async function mode(e: Emu): Promise<number> {
  return decodeShortStatus((await e.call(CMD.shortStatus, password4(CASHIER))).data).mode;
}
async function openShift(e: Emu): Promise<void> {
  expect(await e.err(CMD.openShift, password4(ADMIN))).toBe(0);
}

interface ReadBack { docType: number; operationType: number | null; total: number | null; tlvTotal: number; items: { name: string; quantity: number; sum: number; vat: number }[] }

/** FF0A for the header, FF3A + FF3B (until "no data") for the TLV, as a client reads a document. */
async function readBack(e: Emu, fd: number): Promise<ReadBack> {
  const found = await e.call(CMD.fnFindDocument, encodeFdRequest(ADMIN, fd));
  expect(found.error).toBe(0);
  const head = decodeFoundDocument(found.data);
  const info = await e.call(CMD.fnRequestDocumentTlv, encodeFdRequest(ADMIN, fd));
  expect(info.error).toBe(0);
  const { length } = decodeTlvDocumentInfo(info.data);
  const pieces: Uint8Array[] = [];
  for (;;) {
    const piece = await e.call(CMD.fnReadDocumentTlv, password4(ADMIN));
    if (piece.error === NO_DATA) break;
    expect(piece.error).toBe(0);
    pieces.push(piece.data);
  }
  const bytes = concat(pieces);
  expect(bytes.length).toBe(length);
  const tlvs = decodeTlvs(bytes);
  const find = (list: Tlv[], tag: number): Tlv => {
    const t = list.find((x) => x.tag === tag);
    if (!t) throw new Error(`no tag ${tag}`);
    return t;
  };
  const items = tlvs.filter((t) => t.tag === 1059).map((t) => {
    const fields = decodeTlvs(t.value);
    return {
      name: tlvText(find(fields, 1030)),
      quantity: microsFromFvln(find(fields, 1023).value),
      sum: readVln(find(fields, 1043).value),
      vat: find(fields, 1199).value[0] ?? 0,
    };
  });
  return { docType: head.docType, operationType: head.operationType, total: head.total, tlvTotal: readVln(find(tlvs, 1020).value), items };
}

describe('shtrih emulator: classic receipt commands over TCP', () => {
  it('sale 0x8D → 0x80 ×2 → 0x85 with change: one receipt in the FN, readable back through FF0A/FF3A/FF3B', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);

    expect((await e.call(CMD.openCheck, openCheck(0))).data).toEqual(u8(CASHIER));
    expect(await mode(e)).toBe(0x08); // mode 8, status nibble 0: sale receipt open
    // 1.5 × 0.33 = 0.495 → 0.50 (half-up, integer arithmetic); 2 × 100.00 at 10 %.
    expect(await e.err(CMD.sale, line('Чай', 1_500, 33))).toBe(0);
    expect(await e.err(CMD.sale, line('Кофе', 2_000, 10_000, { taxes: [2, 0, 0, 0] }))).toBe(0);
    expect(decodeShortStatus((await e.call(CMD.shortStatus, password4(CASHIER))).data).operationsInReceipt).toBe(2);

    const closed = await e.call(CMD.closeCheck, close([25_000]));
    expect(closed.error).toBe(0);
    expect(decodeClassicCloseAnswer(closed.data)).toEqual({ operator: CASHIER, change: 25_000 - 20_050 });

    expect(await lastFd(e)).toBe(before + 1);
    expect(await mode(e)).toBe(2);
    const shift = decodeShiftParams((await e.call(CMD.fnShiftParams, password4(ADMIN))).data);
    expect(shift).toMatchObject({ open: true, receiptNumber: 1 });
    const doc = await readBack(e, before + 1);
    expect(doc).toMatchObject({ docType: DOC_TYPES.receipt, operationType: 1, total: 20_050, tlvTotal: 20_050 });
    expect(doc.items).toEqual([
      { name: 'Чай', quantity: 1_500_000, sum: 50, vat: 1 },
      { name: 'Кофе', quantity: 2_000_000, sum: 20_000, vat: 2 },
    ]);
    const stored = await e.register.document(before + 1);
    expect(stored).toMatchObject({ kind: 'receipt', totalSum: 20_050, receiptInShift: 1 });
  });

  it('the first 0x80 opens a sale receipt by itself; 0x8E (16 sums) closes with cash and card', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    expect(await e.err(CMD.sale, line('Хлеб', 1_000, 4_500))).toBe(0);
    const payments = new Array<number>(16).fill(0);
    payments[0] = 5_000; // cash
    payments[1] = 1_000; // payment type 2: cashless (1081)
    const closed = await e.call(CMD.closeCheckExtended, close(payments, 40, true));
    expect(closed.error).toBe(0);
    expect(decodeClassicCloseAnswer(closed.data).change).toBe(1_500);
    expect(await lastFd(e)).toBe(before + 1);
    const json = (await e.register.document(before + 1))?.json as { receipt: { cashTotalSum: number; ecashTotalSum: number } };
    expect(json.receipt).toMatchObject({ cashTotalSum: 3_500, ecashTotalSum: 1_000 });
  });

  it('return 0x82 and storno 0x84, then X (0x40) totals by money register and Z (0x41) closes the shift in the FN', async () => {
    const e = await classicRegister();
    await openShift(e);
    const opened = await lastFd(e);

    // Sale: 3 × 10.00, storno 1 of them, another line storned whole.
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0);
    expect(await e.err(CMD.sale, line('Молоко', 3_000, 1_000))).toBe(0);
    expect(await e.err(CMD.sale, line('Сыр', 1_000, 50_000, { department: 2 }))).toBe(0);
    expect(await e.err(CMD.storno, line('Молоко', 1_000, 1_000))).toBe(0);
    expect(await e.err(CMD.storno, line('Сыр', 1_000, 50_000, { department: 2 }))).toBe(0);
    // Nothing left to storn at that price / department: vendor 0x2D.
    expect(await e.err(CMD.storno, line('Сыр', 1_000, 50_000, { department: 2 }))).toBe(0x2d);
    expect(await e.err(CMD.storno, line('Молоко', 5_000, 1_000))).toBe(0x2d);
    expect(await e.err(CMD.closeCheck, close([2_000]))).toBe(0);
    const sale = await readBack(e, opened + 1);
    expect(sale.items).toEqual([{ name: 'Молоко', quantity: 2_000_000, sum: 2_000, vat: 1 }]);

    // Sale return: 0x8D type 2, 0x82.
    expect(await e.err(CMD.openCheck, openCheck(2))).toBe(0);
    expect(await mode(e)).toBe(0x28); // mode 8, status nibble 2: sale return
    expect(await e.err(CMD.returnSale, line('Молоко', 1_000, 1_000))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([1_000]))).toBe(0);
    const ret = await readBack(e, opened + 2);
    expect(ret).toMatchObject({ operationType: 2, total: 1_000 });

    expect(await e.err(CMD.xReport, password4(ADMIN))).toBe(0);
    const money = async (n: number): Promise<number> => {
      const a = await e.call(CMD.moneyRegister, concat([password4(ADMIN), u8(n)]));
      return readUintLE(a.data, 1, 6);
    };
    expect([await money(193), await money(195)]).toEqual([2_000, 1_000]);
    expect(await lastFd(e)).toBe(opened + 2); // the X report is not a fiscal document

    expect(await e.err(CMD.zReport, password4(ADMIN))).toBe(0);
    expect(await lastFd(e)).toBe(opened + 3);
    expect((await e.register.document(opened + 3))?.kind).toBe('closeShift');
    expect(decodeShiftParams((await e.call(CMD.fnShiftParams, password4(ADMIN))).data).open).toBe(false);
    expect(await mode(e)).toBe(4);
    expect((await e.register.status()).shift.state).toBe('closed');
  });

  it('buy 0x81 and buy return 0x83 map to 1054 = 3 and 4', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    expect(await e.err(CMD.buy, line('Металлолом', 10_000, 700))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([7_000]))).toBe(0);
    expect(await e.err(CMD.openCheck, openCheck(3))).toBe(0);
    expect(await e.err(CMD.returnBuy, line('Металлолом', 1_000, 700))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([700]))).toBe(0);
    expect((await readBack(e, before + 1)).operationType).toBe(3);
    expect((await readBack(e, before + 2)).operationType).toBe(4);
  });

  it('0x88 cancels a classic receipt: nothing reaches the FN, the next one numbers on', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0);
    expect(await e.err(CMD.cancelReceipt, password4(CASHIER))).toBe(0);
    expect(await mode(e)).toBe(2);
    expect(await lastFd(e)).toBe(before);
    expect(await e.err(CMD.cancelReceipt, password4(CASHIER))).toBe(0x55);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 200))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([200]))).toBe(0);
    expect(await lastFd(e)).toBe(before + 1);
    expect((await readBack(e, before + 1)).total).toBe(200);
  });

  it('payments below the total: 0x45, the receipt stays open and closes once paid', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 10_000))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([9_999]))).toBe(0x45);
    expect(await e.err(CMD.closeCheck, close([0, 20_000]))).toBe(0x4d); // cashless above the total
    expect(await lastFd(e)).toBe(before);
    expect(await mode(e)).toBe(0x08);
    expect(await e.err(CMD.closeCheck, close([10_000]))).toBe(0);
    expect(await lastFd(e)).toBe(before + 1);
  });

  it('closed shift: 0x8D and 0x80 answer 0x3D and open nothing (no automatic shift, as FF46)', async () => {
    const e = await classicRegister();
    const before = await lastFd(e);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0x3d);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0x3d);
    expect(await mode(e)).toBe(4);
    expect(await lastFd(e)).toBe(before);
  });

  it('shift over 24 h (fake clock): 0x4E to opening and to closing, 0x88 and Z still work', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0);
    e.clock.advance(24 * HOUR + 60_000);
    expect(await e.err(CMD.closeCheck, close([100]))).toBe(0x4e);
    expect(await e.err(CMD.cancelReceipt, password4(CASHIER))).toBe(0);
    expect(await mode(e)).toBe(3);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0x4e);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0x4e);
    expect(await lastFd(e)).toBe(before);
    expect(await e.err(CMD.zReport, password4(ADMIN))).toBe(0);
    expect(await mode(e)).toBe(4);
  });

  it('wrong mode: 0x8D twice 0x4A, a return line in a sale receipt 0x49, storno / close without a receipt 0x55, X with a receipt open 0x4A', async () => {
    const e = await classicRegister();
    await openShift(e);
    expect(await e.err(CMD.storno, line('Товар', 1_000, 100))).toBe(0x55);
    expect(await e.err(CMD.closeCheck, close([100]))).toBe(0x55);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0x4a);
    expect(await e.err(CMD.returnSale, line('Товар', 1_000, 100))).toBe(0x49);
    expect(await e.err(CMD.xReport, password4(ADMIN))).toBe(0x4a);
    expect(await e.err(CMD.zReport, password4(ADMIN))).toBe(0x4a);
    expect(await e.err(CMD.closeCheck, close([0]))).toBe(0x8e); // empty receipt: zero total
    expect(await e.err(CMD.openCheck, openCheck(4))).toBe(0x33);
  });

  it('firmware that needs 0x8D first answers 0x55 to a bare 0x80', async () => {
    const e = await classicRegister({ requireOpenCheck: true });
    await openShift(e);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0x55);
    expect(await e.err(CMD.openCheck, openCheck(0))).toBe(0);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([100]))).toBe(0);
  });

  it('text fields of 40 and 48 bytes (the frame length tells), CP1251, trailing NULs and spaces trimmed', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    const long = 'Шоколад молочный с цельным фундуком, 90 г';
    expect(long.length).toBeGreaterThan(40);
    expect(await e.err(CMD.sale, line('Вода   ', 1_000, 5_000))).toBe(0);
    expect(await e.err(CMD.sale, line(long, 1_000, 12_000, {}, 48))).toBe(0);
    expect(await e.err(CMD.closeCheck, close([17_000], 48))).toBe(0);
    expect((await readBack(e, before + 1)).items.map((i) => i.name)).toEqual(['Вода', long]);

    // Any other text width is a malformed command; so is a frame cut short.
    const text45 = concat([line('Товар', 1_000, 100).subarray(0, 19), encodeCp1251('x'.repeat(45))]);
    expect(await e.err(CMD.sale, text45)).toBe(0x01);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100).subarray(0, 12))).toBe(0x01);
    expect(await e.err(CMD.openCheck, concat([password4(CASHIER), u16(0)]))).toBe(0x01);
    expect(await e.err(CMD.closeCheck, close([100]).subarray(0, 30))).toBe(0x01);
    // Bad values: zero quantity, two different tax groups, department above 16, empty text.
    expect(await e.err(CMD.sale, line('Товар', 0, 100))).toBe(0x33);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100, { taxes: [1, 2, 0, 0] }))).toBe(0x33);
    expect(await e.err(CMD.sale, line('Товар', 1_000, 100, { department: 17 }))).toBe(0x33);
    expect(await e.err(CMD.sale, line('', 1_000, 100))).toBe(0x33);
    expect(await mode(e)).toBe(2); // refused lines open no receipt
  });

  it('tax bytes: group 1–4 → 20 %, 10 %, 0 %, no VAT; all zero → no VAT (1199)', async () => {
    const e = await classicRegister();
    await openShift(e);
    const before = await lastFd(e);
    for (const group of [1, 2, 3, 4, 0]) {
      expect(await e.err(CMD.sale, line(`Группа ${group}`, 1_000, 100, { taxes: [0, group, group, 0] }))).toBe(0);
    }
    expect(await e.err(CMD.closeCheck, close([500]))).toBe(0);
    expect((await readBack(e, before + 1)).items.map((i) => i.vat)).toEqual([1, 2, 5, 6, 6]);
  });
});
