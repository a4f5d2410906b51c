/**
 * FFD 1.2 content and marking codes through the Shtrih-M driver over TCP: driver → protocol
 * emulator → virtual register (FN-M). Receipts with marked, weighed, fractional and agent items are
 * registered and read back from the FN archive (FF3A/FF3B hand out the FN's own bytes), in both item
 * orders the vendor's drivers use: tags after FF46 (desktop models) and before it (cash core).
 * The frame-level part checks FF61/FF69/FF70 byte by byte against the layouts of the vendor's
 * JavaPOS driver (shtrih-m/javapos_shtrih, Source/Core/src/com/shtrih/fiscalprinter/command/
 * FSCheckMC.java, FSAcceptMC.java, FSReadMCStatus.java).
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, FiscalDriver, MarkingCheckRequest } from '../../src/devices/driver.js';
import { systemClock } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import type { EmulatorConfig } from '../../src/devices/emulator/config.js';
import { decodeTlv, tagLists, tagNumber, tagString, tagValue } from '../../src/devices/ffd/tag-list.js';
import type { TagList } from '../../src/devices/ffd/tag-list.js';
import { CMD, commandName, encodeMarkingAccept, encodeMarkingCheck } from '../../src/devices/shtrih/commands.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { ACK, STX, encodeRequest } from '../../src/devices/shtrih/frame.js';
import { shtrihDriver } from '../../src/devices/shtrih/index.js';
import type { ItemExtras, ReceiptExtras } from '../../src/domain/ffd12.js';
import type { FiscalReceipt, ReceiptItem } from '../../src/domain/receipt.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const GS = '\x1d';
// Real-format codes (sources in src/domain/marking-code.test.ts): shoes with 91 + 92 of 44
// (shtrih-m/fr_drv_ng#165), draft beer with 93 (shtrih-m/fr_drv_ng#282), dairy with 93 (Yandex
// Market partner API example).
const SHOE = `010401154803070721FWX00GG65908U${GS}91EE06${GS}92ty6nIoq1w2xrmcVLmKc3+cnhZxS/kgAnq7Bf5FH0CRQ=`;
const BEER = `0104680046264732215l>VEUc${GS}93Is54`;
const DAIRY = `01030410947874432155Qbag!${GS}93Zjqw`;

interface Bench {
  driver: FiscalDriver;
  register: ReturnType<typeof createEmulatorDriver>;
  port: number;
  commands: string[];
}

async function bench(o: { modelCode?: number; config?: Partial<EmulatorConfig>; clock?: Clock } = {}): Promise<Bench> {
  const clock = o.clock ?? systemClock;
  const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: '120', ofd_ack_delay_ms: 600_000, ...o.config }, { deviceId: 1, dataDir: null, logger, clock });
  await register.open();
  cleanups.push(() => register.close());
  const commands: string[] = [];
  const emulator = createShtrihEmulator({
    driver: register, port: 0, logger, ...(o.modelCode === undefined ? {} : { modelCode: o.modelCode }),
    hooks: { afterCommand: (c) => void commands.push(commandName(c)) },
  });
  const port = await emulator.listen();
  cleanups.push(() => emulator.close());
  const driver = shtrihDriver.create({ ...shtrihDriver.defaults(), port, timeout_ms: 5000, retries: 2 }, { deviceId: 1, dataDir: null, logger, clock });
  await driver.open();
  cleanups.push(() => driver.close());
  return { driver, register, port, commands };
}

const extras = (x: Partial<ItemExtras>): ItemExtras => ({
  marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
  countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [], ...x,
});

function item(name: string, price: number, quantity: number, x: Partial<ItemExtras> | null, measure: ReceiptItem['measure'] = 0): ReceiptItem {
  const total = Math.round((price * quantity) / 1_000_000);
  return {
    name, price, quantity, total, vat: 1, paymentMethod: 4, paymentObject: x?.marking ? 33 : 1, unit: null, measure,
    quantityPrec: null, taxTypeInt: null, ...(x ? { ffd12: extras(x) } : {}),
  };
}

function receipt(items: ReceiptItem[], ffd12?: ReceiptExtras): FiscalReceipt {
  const total = items.reduce((a, i) => a + i.total, 0);
  return {
    receiptType: 1, operationType: 1, taxSystem: 1, items, payments: [{ type: 1, sum: total }], total, change: 0,
    email: 'buyer@example.com', phone: null, correction: null, mistakenReceiptNumber: null,
    cashier: { name: 'Кассир Петрова', inn: null }, needPrint: false, ...(ffd12 ? { ffd12 } : {}),
  };
}

const piece = (code: string): MarkingCheckRequest => ({ code, plannedStatus: 1, measure: 0, quantity: null, fractional: null, offline: false });

/** The receipt's TLV as the FN stores it, read back through FF3A/FF3B; also checks the driver got the FN's own bytes. */
async function readBack(b: Bench, fd: number): Promise<{ top: TagList; items: TagList[] }> {
  const doc = await b.driver.document(fd);
  const own = await b.register.document(fd);
  expect(doc?.rawTlv).toBeTruthy();
  expect(doc?.rawTlv).toBe(own?.rawTlv);
  const top = decodeTlv(Buffer.from(doc?.rawTlv ?? '', 'base64').subarray(4));
  return { top, items: tagLists(top, 1059) };
}

for (const modelCode of [0, 45]) {
  const order = modelCode === 0 ? 'desktop order: FF46, then FF4D tags and FF67' : 'cash-core order: 0x8D, FF4D tags and FF67, then FF46';
  describe(`Shtrih FFD 1.2 receipts over TCP (${order})`, () => {
    it('a marked piece good and a weighed marked good: checked, accepted, registered and read back with 1163/2102/2106/2107', async () => {
      const b = await bench({ modelCode });
      await b.driver.openShift(null);
      await b.driver.clearMarkingCodes();
      const shoeCheck = await b.driver.checkMarkingCode(piece(SHOE));
      expect(shoeCheck).toMatchObject({ codeType: 4, fn: { checked: true, valid: true, reason: 'checked' }, operator: { answered: true, requestCode: 0, codeValid: true, statusCorrect: true, itemStatus: 1 } });
      const shoe2106 = await b.driver.acceptMarkingCode(true);
      expect(shoe2106).toBe(15);
      const beerCheck = await b.driver.checkMarkingCode({ code: BEER, plannedStatus: 2, measure: 41, quantity: 500_000, fractional: null, offline: false });
      expect(beerCheck.codeType).toBe(5);
      const beer2106 = await b.driver.acceptMarkingCode(true);
      expect(beer2106).toBe(beerCheck.itemCheckResult);

      b.commands.length = 0;
      const result = await b.driver.register(receipt([
        item('Ботинки мужские', 599_000, 1_000_000, { marking: { code: SHOE, plannedStatus: 1 } }),
        item('Пиво разливное', 24_000, 500_000, { marking: { code: BEER, plannedStatus: 2 } }, 41),
      ]), { autoOpenShift: false, marking: [shoe2106, beer2106] });
      expect(result.total).toBe(599_000 + 12_000);
      const sent = b.commands.filter((c) => ['0x8D', 'FF46', 'FF4D', 'FF67'].includes(c));
      expect(sent).toEqual(modelCode === 0
        ? ['FF46', 'FF4D', 'FF67', 'FF46', 'FF4D', 'FF67']
        : ['0x8D', 'FF4D', 'FF67', 'FF46', 'FF4D', 'FF67', 'FF46']);

      const { top, items } = await readBack(b, result.fdNumber);
      const [shoe, beer] = items;
      expect(tagValue(shoe ?? [], 1163)).toEqual([[1305, '010401154803070721FWX00GG65908U']]);
      expect([tagNumber(shoe ?? [], 2102), tagNumber(shoe ?? [], 2106), tagNumber(shoe ?? [], 2108)]).toEqual([0, 15, 0]);
      expect(tagValue(beer ?? [], 1163)).toEqual([[1305, '0104680046264732215l>VEUc']]);
      expect([tagNumber(beer ?? [], 1023), tagNumber(beer ?? [], 2108), tagNumber(beer ?? [], 2106)]).toEqual([500_000, 41, beer2106]);
      expect(tagNumber(top, 2107)).toBe(0);
      const json = (await b.driver.document(result.fdNumber))?.json as { receipt: { items: Record<string, unknown>[]; checkingLabeledProdResult: number } };
      expect(json.receipt.items[0]).toMatchObject({ productCodeNew: { gs1m: { rawProductCode: '010401154803070721FWX00GG65908U', gtin: '04011548030707' } }, labelCodeProcesMode: 0, checkingProdInformationResult: 15 });
      expect(json.receipt.checkingLabeledProdResult).toBe(0);

      // One sale notification waits for the operator's receipt; FF70/FF68 report it as the FN does.
      const state = await b.driver.markingState();
      const own = await b.register.markingState();
      expect(state).toMatchObject({ blocked: false, unconfirmedNotifications: 1 });
      expect(state.unconfirmedNotifications).toBe(own.unconfirmedNotifications);
      expect(state.oldestUnconfirmedAt?.slice(0, 16)).toBe(own.oldestUnconfirmedAt?.slice(0, 16)); // FF68 carries minutes
    });

    it('a fractional marked good (1/3 of a pack): 1291 checked and written', async () => {
      const b = await bench({ modelCode });
      await b.driver.openShift(null);
      await b.driver.clearMarkingCodes();
      await b.driver.checkMarkingCode({ code: DAIRY, plannedStatus: 2, measure: 0, quantity: 1_000_000, fractional: { numerator: 1, denominator: 3 }, offline: false });
      const check = await b.driver.acceptMarkingCode(true);
      const result = await b.driver.register(receipt([
        item('Творог, 1/3 упаковки', 5_000, 1_000_000, { marking: { code: DAIRY, plannedStatus: 2 }, fractional: { numerator: 1, denominator: 3 } }),
      ]), { autoOpenShift: false, marking: [check] });
      const { items } = await readBack(b, result.fdNumber);
      const fraction = tagValue(items[0] ?? [], 1291) as TagList;
      expect([tagString(fraction, 1292), tagNumber(fraction, 1293), tagNumber(fraction, 1294)]).toEqual(['1/3', 1, 3]);
      expect(tagValue(items[0] ?? [], 1163)).toEqual([[1305, '01030410947874432155Qbag!']]);
    });

    it('an agent sale with supplier data, a buyer INN and industry requisites: every tag read back', async () => {
      const b = await bench({ modelCode });
      await b.driver.openShift(null);
      const industry = { foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'UUID=3fa85f64-5717-4562-b3fc-2c963f66afa6&Time=1700000000000' };
      const result = await b.driver.register(receipt([
        item('Услуга принципала', 150_000, 1_000_000, {
          productCode: { kind: 'ean13', value: '4606203090785' },
          agentSign: 4,
          agent: { operation: 'Оплата', agentPhones: ['+79991234567'], operatorPhones: ['+74950000000'], transferOperatorPhones: [], transferOperatorName: null, transferOperatorAddress: null, transferOperatorInn: null },
          supplier: { name: 'ООО "Принципал"', phones: ['+74951112233'], inn: '7707083893' },
          countryCode: '643',
          customsDeclaration: '10702070/010120/0000001',
          additionalRequisite: 'доп. реквизит',
          industry: [industry],
        }),
      ], {
        buyer: { name: 'Иванов Иван', inn: '500100732259', birthDate: null, citizenship: null, documentCode: null, documentData: null, address: null },
        operational: { id: 7, data: 'заказ 42', dateTime: '2026-10-22T14:43:00' },
        industry: [{ ...industry, foivId: '048', value: 'mode=horeca' }],
        userRequisite: { name: 'Промокод', value: 'A1' },
        agentSign: null,
      }), { autoOpenShift: false });

      const { top, items } = await readBack(b, result.fdNumber);
      const it = items[0] ?? [];
      expect(tagValue(it, 1163)).toEqual([[1302, '4606203090785']]);
      expect(tagNumber(it, 1222)).toBe(4);
      expect(tagValue(it, 1223)).toEqual([[1044, 'Оплата'], [1073, '+79991234567'], [1074, '+74950000000']]);
      expect(tagValue(it, 1224)).toEqual([[1171, '+74951112233'], [1225, 'ООО "Принципал"']]);
      expect(tagString(it, 1226)).toBe('7707083893  ');
      expect([tagString(it, 1230), tagString(it, 1231), tagString(it, 1191)]).toEqual(['643', '10702070/010120/0000001', 'доп. реквизит']);
      expect(tagLists(it, 1260)).toEqual([[[1262, '030'], [1263, '21.11.2023'], [1264, '1944'], [1265, industry.value]]]);
      expect(tagNumber(it, 2106)).toBeNull();
      expect(tagValue(top, 1256)).toEqual([[1227, 'Иванов Иван'], [1228, '500100732259']]);
      const op = tagValue(top, 1270) as TagList;
      expect([tagNumber(op, 1271), tagString(op, 1272), tagNumber(op, 1273)]).toEqual([7, 'заказ 42', Date.UTC(2026, 9, 22, 14, 43) / 1000]);
      expect(tagLists(top, 1261)).toEqual([[[1262, '048'], [1263, '21.11.2023'], [1264, '1944'], [1265, 'mode=horeca']]]);
      expect(tagValue(top, 1084)).toEqual([[1085, 'Промокод'], [1086, 'A1']]);
      expect(tagNumber(top, 2107)).toBeNull();
    });
  });
}

describe('Shtrih marking: refusals and states', () => {
  it('a code the FN has not accepted: refused before the shift is auto-opened (FF70), or by the register at FF67 (0x33); nothing is fiscalized', async () => {
    const b = await bench();
    const r = receipt([item('Ботинки', 599_000, 1_000_000, { marking: { code: SHOE, plannedStatus: 1 } })]);
    const before = await b.driver.lastFdNumber();
    // No accepted check given: refused before anything is sent.
    await expect(b.driver.register(r, { autoOpenShift: true })).rejects.toMatchObject({ kind: 'rejected', code: 'invalid_document', deviceCode: null });
    // A check given but the FN holds no accepted result (FF70): refused before the shift opens.
    b.commands.length = 0;
    await expect(b.driver.register(r, { autoOpenShift: true, marking: [15] })).rejects.toMatchObject({ kind: 'rejected', code: 'invalid_document', deviceCode: null });
    expect(b.commands).toEqual(['FF70']);
    expect(await b.driver.lastFdNumber()).toBe(before);
    // Another code accepted: FF70 lets it through, the register refuses FF67 of SHOE and the receipt is cancelled.
    await b.driver.openShift(null);
    await b.driver.checkMarkingCode(piece(DAIRY));
    await b.driver.acceptMarkingCode(true);
    const opened = await b.driver.lastFdNumber();
    await expect(b.driver.register(r, { autoOpenShift: false, marking: [15] })).rejects.toMatchObject({ kind: 'rejected', code: 'invalid_document', deviceCode: '0x33' });
    expect(await b.driver.lastFdNumber()).toBe(opened);
    // Nothing was left open: the next receipt goes through.
    const ok = await b.driver.register(receipt([item('Чай', 10_000, 1_000_000, null)]), { autoOpenShift: false });
    expect(ok.fdNumber).toBe(opened + 1);
  });

  it('a declined code is not bound; clearMarkingCodes leaves nothing saved', async () => {
    const b = await bench();
    await b.driver.openShift(null);
    await b.driver.checkMarkingCode(piece(SHOE));
    expect(await b.driver.acceptMarkingCode(false)).toBe(15);
    await b.driver.checkMarkingCode(piece(DAIRY));
    await b.driver.acceptMarkingCode(true);
    expect((await b.register.markingWork()).acceptedCount).toBe(1);
    await b.driver.checkMarkingCode(piece(BEER)); // left under check
    await b.driver.clearMarkingCodes();
    expect(await b.register.markingWork()).toMatchObject({ state: 1, acceptedCount: 0 });
  });

  it('operator unreachable: the check is autonomous (2106 bit 4); unconfirmed notifications block marking after the deadline (0x34)', async () => {
    let now = Date.parse('2026-10-22T09:00:00Z');
    const b = await bench({ config: { marking_operator: 'unreachable' }, clock: { now: () => now } });
    await b.driver.openShift(null);
    await b.driver.clearMarkingCodes();
    const check = await b.driver.checkMarkingCode(piece(SHOE));
    expect(check.operator).toEqual({ answered: false, reason: 'unreachable' });
    expect(check.itemCheckResult).toBe(1 | 2 | 16);
    const accepted = await b.driver.acceptMarkingCode(true);
    expect(accepted).toBe(19);
    await b.driver.register(receipt([item('Ботинки', 599_000, 1_000_000, { marking: { code: SHOE, plannedStatus: 1 } })]), { autoOpenShift: false, marking: [accepted] });
    expect(await b.driver.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 1, oldestUnconfirmedAt: '2026-10-22T12:00:00+03:00' });

    now += 73 * 3_600_000;
    expect(await b.driver.markingState()).toMatchObject({ blocked: true, unconfirmedNotifications: 1 });
    await expect(b.driver.checkMarkingCode(piece(DAIRY))).rejects.toMatchObject({ kind: 'rejected', code: 'marking_blocked', deviceCode: '0x34' });
  });

  it('FFD 1.05: the driver refuses every marking call and any FFD 1.2 content as not_supported', async () => {
    const b = await bench({ config: { ffd_version: '105' } });
    await b.driver.openShift(null);
    await expect(b.driver.checkMarkingCode(piece(SHOE))).rejects.toMatchObject({ kind: 'rejected', code: 'not_supported' });
    await expect(b.driver.markingState()).rejects.toMatchObject({ code: 'not_supported' });
    await expect(b.driver.register(receipt([item('Чай', 10_000, 1_000_000, { countryCode: '156' })]), { autoOpenShift: false }))
      .rejects.toMatchObject({ code: 'not_supported' });
  });
});

/** A raw TCP peer: one command frame out, ACK + one answer frame in, ACK back. */
async function rawCall(port: number, command: number, data: Uint8Array): Promise<{ error: number; data: Uint8Array }> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer: number[] = [];
  const got = new Promise<Uint8Array>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer, got [${buffer.join(',')}]`)), 5000);
    socket.on('data', (chunk: Buffer) => {
      buffer.push(...chunk);
      // ACK, STX, LEN, LEN bytes, LRC
      if (buffer.length >= 3 && buffer.length >= 3 + (buffer[2] ?? 0) + 1) {
        clearTimeout(timer);
        resolve(new Uint8Array(buffer));
      }
    });
  });
  socket.write(encodeRequest(command, data));
  const bytes = await got;
  socket.write(new Uint8Array([ACK]));
  socket.destroy();
  buffer = [];
  expect([bytes[0], bytes[1]]).toEqual([ACK, STX]);
  const payload = bytes.subarray(3, -1);
  const head = command > 0xff ? 2 : 1;
  return { error: payload[head] ?? 0xff, data: payload.subarray(head + 1) };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('FF61 / FF69 / FF70 frame by frame (javapos_shtrih FSCheckMC, FSAcceptMC, FSReadMCStatus)', () => {
  it('status idle → check (FN + operator answer) → state 4 → accept → 2106 → one saved result → clear', async () => {
    const b = await bench();
    const status = async (): Promise<string> => hex((await rawCall(b.port, CMD.fnMarkingStatus, new Uint8Array([30, 0, 0, 0]))).data);
    // FSReadMCStatus: state 1 (no code under check), not forming, B1 allowed, nothing saved, queue 0.
    expect(await status()).toBe('01 00 01 00 00 00 00 00');

    const check = await rawCall(b.port, CMD.fnCheckMarking, encodeMarkingCheck(30, { plannedStatus: 1, mode: 0, code: SHOE, tlv: new Uint8Array(0) }));
    expect(check.error).toBe(0);
    // FSCheckMC answer: 2004 = 3 (checked, positive), reason 0, 2100 = 4, length 17 of what follows,
    // online result 0, status 0x0F (2106), then the answer's tags 2105 = 0, 2109 = 1, 2005 = 0x0A.
    expect(hex(check.data)).toBe('03 00 04 11 00 0f 39 08 01 00 00 3d 08 01 00 01 d5 07 01 00 0a');
    // B6 done: state 4, only B2 (accept / decline) allowed.
    expect(await status()).toBe('04 00 02 00 00 00 00 00');

    const accept = await rawCall(b.port, CMD.fnAcceptMarking, encodeMarkingAccept(30, 1));
    expect([accept.error, hex(accept.data)]).toEqual([0, '0f']);
    // One saved result: B1, B3 and B7/1 allowed (0x25, as the vendor's test driver showed in shtrih-m/fr_drv_ng#185).
    expect(await status()).toBe('01 00 25 01 00 00 00 00');

    const clear = await rawCall(b.port, CMD.fnAcceptMarking, encodeMarkingAccept(30, 2));
    expect(clear.error).toBe(0);
    expect(await status()).toBe('01 00 01 00 00 00 00 00');
  });

  it('a piece good with 1023 in the check is refused 0x33, as the register\'s format check does (fr_drv_ng_examples#39)', async () => {
    const b = await bench();
    const tlv = new Uint8Array([0x3c, 0x08, 0x01, 0x00, 0x00, 0xff, 0x03, 0x04, 0x00, 0x06, 0x40, 0x42, 0x0f]);
    const r = await rawCall(b.port, CMD.fnCheckMarking, encodeMarkingCheck(30, { plannedStatus: 1, mode: 0, code: '04631325925035yFL5nJXnulldGVz', tlv }));
    expect(r.error).toBe(0x33);
  });

  it('an FN registered for FFD 1.05 has no marking commands: 0x37', async () => {
    const b = await bench({ config: { ffd_version: '105' } });
    expect((await rawCall(b.port, CMD.fnMarkingStatus, new Uint8Array([30, 0, 0, 0]))).error).toBe(0x37);
  });
});
