/**
 * FFD 1.2 content and marking through the ATOL driver end to end: driver → HTTP (ephemeral port) →
 * ATOL web server emulator → virtual register (FN-M and simulated marking operator). What the
 * register stores is read back from its FN archive tag by tag, and through the driver's
 * getFnDocument path. Task and result shapes follow the driver's JSON-task scripts
 * (AlexanderYekat/atolexamplesjson `myscripts_marks.js`, `myscripts_items.js`, `myscripts_base_receipt.js`;
 * src/devices/atol/README.md "Sources").
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ItemExtras, ReceiptExtras } from '../../src/domain/ffd12.js';
import type { FiscalReceipt, ReceiptItem } from '../../src/domain/receipt.js';
import { atolDriver } from '../../src/devices/atol/index.js';
import { createAtolEmulator } from '../../src/devices/atol/emulator/index.js';
import { DeviceError, systemClock } from '../../src/devices/driver.js';
import type { Clock, FiscalDriver, MarkingCheckRequest } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import type { EmulatorConfig, EmulatorDriver } from '../../src/devices/emulator/index.js';
import { tagLists, tagNumber, tagString, tagValue } from '../../src/devices/ffd/tag-list.js';
import type { TagList } from '../../src/devices/ffd/tag-list.js';
import { fakeClock, item, receipt } from '../../src/devices/fiscal-core/testing.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const GS = '\u001d';
const TAIL44 = 'MDEGCCqFAwcBAQICBEDtXGZOKlcSqtLpMmyaWoUr1hXM';
/** GS1 codes with valid GTIN check digits: 91 + 92(44) (2100 = 4) and 93 (2100 = 5). */
const KM = {
  shoes: `010460123456789321ABCDEFGHIJKLM${GS}91EE06${GS}92${TAIL44}`,
  shoes2: `010460123456789321ABCDEFGHIJKLN${GS}91EE06${GS}92${TAIL44}`,
  milk: `0104607654321015215Abc123${GS}93dGVz`,
  milk2: `0104607654321015215Abc124${GS}93dGVz`,
} as const;

interface Rig {
  driver: FiscalDriver;
  register: EmulatorDriver;
  url: string;
  /** One request straight to the emulator, results once final. */
  tasks: (request: Record<string, unknown>[]) => Promise<{ status: string; errorCode: number; result: Record<string, unknown> | null }[]>;
}

let seq = 0;

async function rig(config: Partial<EmulatorConfig> = {}, clock: Clock = systemClock): Promise<Rig> {
  const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: '120', ...config }, { deviceId: 1, dataDir: null, logger, clock });
  const emulator = createAtolEmulator({ port: 0, driver: register, recoveryIntervalMs: 100, logger });
  await emulator.listen();
  const driver = atolDriver.create(
    { ...atolDriver.defaults(), url: emulator.url, poll_interval_ms: 10, timeout_ms: 5000 },
    { deviceId: 1, dataDir: null, logger, clock: systemClock },
  );
  cleanups.push(async () => {
    await emulator.close();
    await register.close();
  });
  const tasks: Rig['tasks'] = async (request) => {
    const uuid = `marking-${++seq}-${Date.now()}`;
    const post = await fetch(`${emulator.url}/api/v2/requests`, { method: 'POST', body: JSON.stringify({ uuid, request }) });
    expect(post.status).toBe(201);
    for (let i = 0; i < 300; i++) {
      const body = (await (await fetch(`${emulator.url}/api/v2/requests/${uuid}`)).json()) as { results: { status: string; errorCode: number; result: Record<string, unknown> | null }[] };
      if (body.results.every((r) => !['wait', 'inProgress', 'blocked'].includes(r.status))) return body.results;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('request did not finish');
  };
  return { driver, register, url: emulator.url, tasks };
}

const noExtras = (): ItemExtras => ({
  marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
  countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [],
});
const withExtras = (i: ReceiptItem, x: Partial<ItemExtras>): ReceiptItem => ({ ...i, ffd12: { ...noExtras(), ...x } });
const noReceiptExtras = (): ReceiptExtras => ({ buyer: null, operational: null, industry: [], userRequisite: null, agentSign: null });

const request = (code: string, over: Partial<MarkingCheckRequest> = {}): MarkingCheckRequest =>
  ({ code, plannedStatus: 1, measure: 0, quantity: null, fractional: null, offline: false, ...over });

/** The stored document of FD n and its items, as the virtual FN keeps them. */
async function stored(register: EmulatorDriver, fd: number): Promise<{ tags: TagList; items: TagList[] }> {
  const doc = (await register.rawJournal()).find((d) => d.fdNumber === fd);
  if (!doc) throw new Error(`FD ${fd} not in the archive`);
  return { tags: doc.tags, items: tagLists(doc.tags, 1059) };
}

/**
 * The items and the FFD 1.2 receipt members of FD n read through the driver (getFnDocument →
 * documentTLV) equal the register's own FNS JSON. (The header differs in form only: the driver
 * gives dateTime with its offset and the fiscal sign as a string.)
 */
async function expectSameContent(driver: FiscalDriver, register: EmulatorDriver, fd: number): Promise<void> {
  const keys = ['items', 'checkingLabeledProdResult', 'buyerInformation', 'operationalDetails', 'industryReceiptDetails', 'properties', 'totalSum'];
  const pick = (json: Record<string, unknown> | undefined): Record<string, unknown> => {
    const inner = (json?.receipt ?? {}) as Record<string, unknown>;
    return Object.fromEntries(keys.filter((k) => inner[k] !== undefined).map((k) => [k, inner[k]]));
  };
  const viaAtol = pick((await driver.document(fd))?.json);
  expect(viaAtol.items).toBeDefined();
  expect(viaAtol).toEqual(pick((await register.document(fd))?.json));
}

/** Check, then accept, each code in item order, as the worker does; the 2106 per item index. */
async function checkAndAccept(driver: FiscalDriver, r: FiscalReceipt, offline = false): Promise<(number | null)[]> {
  await driver.clearMarkingCodes();
  const out: (number | null)[] = [];
  for (const i of r.items) {
    const m = i.ffd12?.marking ?? null;
    if (m === null) {
      out.push(null);
      continue;
    }
    const measured = m.plannedStatus === 2 || m.plannedStatus === 4;
    await driver.checkMarkingCode(request(m.code, {
      plannedStatus: m.plannedStatus, measure: i.measure, quantity: measured ? i.quantity : null, fractional: i.ffd12?.fractional ?? null, offline,
    }));
    out.push(await driver.acceptMarkingCode(true));
  }
  return out;
}

describe('ATOL marking tasks over HTTP (FFD 1.2)', () => {
  it('checks a code with the FN and the marking operator: every field of the answer arrives', async () => {
    const { driver } = await rig();
    await driver.clearMarkingCodes();
    const r = await driver.checkMarkingCode(request(KM.shoes));
    expect(r).toEqual({
      codeType: 4,
      fn: { checked: true, valid: true, reason: 'checked' },
      operator: { answered: true, requestCode: 0, codeValid: true, statusCorrect: true, itemStatus: 1 },
      itemCheckResult: 15,
    });
    expect(await driver.acceptMarkingCode(true)).toBe(15);
    // A declined code returns the check's 2106 and cannot be sold.
    await driver.checkMarkingCode(request(KM.shoes2));
    expect(await driver.acceptMarkingCode(false)).toBe(15);
  });

  it('reports operator refusals, an unreachable operator and an offline check as the register decided them', async () => {
    const { driver, register } = await rig({ marking_fn_keys: 'none' });
    await driver.clearMarkingCodes();
    register.faults.inject({ kind: 'marking_wrong_status' }, 1);
    const wrong = await driver.checkMarkingCode(request(KM.shoes));
    expect(wrong).toMatchObject({ codeType: 3, fn: { checked: false, reason: 'no_keys' }, operator: { answered: true, requestCode: 0, statusCorrect: false, itemStatus: 2 } });
    expect(wrong.itemCheckResult).toBe(4);
    await driver.acceptMarkingCode(false);

    register.faults.inject({ kind: 'marking_unreachable' }, 1);
    const lost = await driver.checkMarkingCode(request(KM.shoes));
    expect(lost.operator).toEqual({ answered: false, reason: 'unreachable' });
    expect(await driver.acceptMarkingCode(false)).toBe(16);

    const offline = await driver.checkMarkingCode(request(KM.shoes, { offline: true }));
    expect(offline).toEqual({ codeType: 3, fn: { checked: false, valid: false, reason: 'no_keys' }, operator: { answered: false, reason: 'not_asked' }, itemCheckResult: 16 });
    expect(await driver.acceptMarkingCode(true)).toBe(16);
  });

  it('answers the script shapes: offlineValidation, onlineValidation, itemInfoCheckResult, 401 and 410', async () => {
    const { tasks } = await rig();
    const imc = Buffer.from(KM.milk).toString('base64');
    const [begin, status] = await tasks([
      { type: 'beginMarkingCodeValidation', params: { imc, imcType: 'auto', itemEstimatedStatus: 'itemDryForSale', imcModeProcessing: 0, itemQuantity: 1.5, itemUnits: 'liter', waitForResult: true } },
      { type: 'getMarkingCodeValidationStatus' },
    ]);
    expect(begin?.result).toEqual({ offlineValidation: { fmCheck: true, fmCheckResult: true, fmCheckErrorReason: 'checked' } });
    expect(status?.result).toEqual({
      ready: true,
      sentImcRequest: true,
      driverError: { code: 0, description: 'Ошибок нет' },
      onlineValidation: {
        itemInfoCheckResult: { imcCheckFlag: true, imcCheckResult: true, imcStatusInfo: true, imcEstimatedStatusCorrect: true, ecrStandAloneFlag: false },
        markOperatorResponseResult: 'correct',
        markOperatorResponse: { responseStatus: true, itemStatusCheck: true },
        markOperatorItemStatus: 'itemEstimatedStatusCorrect',
        imcType: 'imcVerifyCode4',
        imcModeProcessing: 0,
      },
    });
    // One check at a time: a second begin before accept / decline is refused (imcCheckIsRun).
    const [again] = await tasks([{ type: 'beginMarkingCodeValidation', params: { imc, itemEstimatedStatus: 'itemDryForSale', itemQuantity: 1, itemUnits: 'liter' } }]);
    expect(again).toMatchObject({ status: 'error', errorCode: 401 });
    const [work] = await tasks([{ type: 'checkImcWorkState' }]);
    expect(work?.result).toEqual({ fm: { status: 'receivedImcStatus', checkingCount: 0, noticeUnsentCount: 0 } });
    const [accepted] = await tasks([{ type: 'acceptMarkingCode' }]);
    expect(accepted?.result).toEqual({
      itemInfoCheckResult: { imcCheckFlag: true, imcCheckResult: true, imcStatusInfo: true, imcEstimatedStatusCorrect: true, ecrStandAloneFlag: false },
    });
    // Nothing under check: accept is in the wrong state; the status call answers only driverError.
    const [wrong] = await tasks([{ type: 'acceptMarkingCode' }]);
    expect(wrong).toMatchObject({ status: 'error', errorCode: 410 });
    const [idle] = await tasks([{ type: 'getMarkingCodeValidationStatus' }]);
    expect(idle?.result).toEqual({ driverError: { code: 410, description: 'Неверное состояние', error: 'imcCheckWrongState' } });
    const [state, exchange] = await tasks([{ type: 'checkImcWorkState' }, { type: 'ismExchangeStatus' }]);
    expect(state?.result).toEqual({ fm: { status: 'noImcForCheck', checkingCount: 1, noticeUnsentCount: 0 } });
    expect(exchange?.result).toEqual({ status: { notSentCount: 0 }, warnings: {} });
    // The params are checked as json_validateMarks does.
    const [badType] = await tasks([{ type: 'beginMarkingCodeValidation', params: { imc, imcType: 'qr', itemEstimatedStatus: 'itemPieceSold' } }]);
    expect(badType).toMatchObject({ status: 'error', errorCode: 501 });
  });

  it('the driver maps the wrong state to a rejection with the ATOL code', async () => {
    const { driver } = await rig();
    await driver.clearMarkingCodes();
    const err = await driver.acceptMarkingCode(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'rejected', code: 'device_error', deviceCode: '410' });
  });
});

describe('ATOL receipts with FFD 1.2 content, read back from the FN (FFD 1.2)', () => {
  it('a marked piece item: 1163 from the code, 2102 = 0, 2106 of the accepted check, 2107 = 0', async () => {
    const { driver, register } = await rig();
    const r = receipt({ items: [withExtras(item({ name: 'Ботинки', price: 500_000, paymentObject: 33 }), { marking: { code: KM.shoes, plannedStatus: 1 } }), item({ name: 'Пакет', price: 500 })] });
    const marking = await checkAndAccept(driver, r);
    expect(marking).toEqual([15, null]);
    const res = await driver.register(r, { autoOpenShift: true, marking });
    const { tags, items } = await stored(register, res.fdNumber);
    const [shoes, bag] = items;
    expect(tagValue(shoes ?? [], 1163)).toEqual([[1305, '010460123456789321ABCDEFGHIJKLM']]);
    expect(tagNumber(shoes ?? [], 2102)).toBe(0);
    expect(tagNumber(shoes ?? [], 2106)).toBe(15);
    expect(tagValue(bag ?? [], 1163)).toBeUndefined();
    expect(tagNumber(tags, 2107)).toBe(0);
    // The same content through the driver's own read path (getFnDocument).
    await expectSameContent(driver, register, res.fdNumber);
  });

  it('a weighed marked item and a fractional one: 2108, 1023 and 1291 as checked', async () => {
    const { driver, register } = await rig();
    const r = receipt({
      items: [
        withExtras(item({ name: 'Молоко разливное', price: 12_000, quantity: 1_500_000, measure: 41, paymentObject: 33 }), { marking: { code: KM.milk, plannedStatus: 2 } }),
        withExtras(item({ name: 'Сигареты, 1/4 блока', price: 60_000, paymentObject: 33 }), {
          marking: { code: KM.milk2, plannedStatus: 2 },
          fractional: { numerator: 1, denominator: 4 },
        }),
      ],
    });
    const marking = await checkAndAccept(driver, r);
    expect(marking).toEqual([15, 15]);
    const res = await driver.register(r, { autoOpenShift: true, marking });
    const { tags, items } = await stored(register, res.fdNumber);
    expect(tagNumber(items[0] ?? [], 2108)).toBe(41);
    expect(tagNumber(items[0] ?? [], 1023)).toBe(1_500_000);
    expect(tagValue(items[0] ?? [], 1291)).toBeUndefined();
    expect(tagValue(items[1] ?? [], 1291)).toEqual([[1292, '1/4'], [1293, 1], [1294, 4]]);
    expect(tagNumber(items[1] ?? [], 2106)).toBe(15);
    expect(tagNumber(tags, 2107)).toBe(0);
  });

  it('an offline check: 2106 with the autonomous bit, the receipt 2107 = 0; a negative check makes 2107 = 1', async () => {
    const { driver, register } = await rig();
    const r = receipt({ items: [withExtras(item({ paymentObject: 33 }), { marking: { code: KM.shoes, plannedStatus: 1 } })] });
    const offline = await checkAndAccept(driver, r, true);
    expect(offline).toEqual([19]);
    const res = await driver.register(r, { autoOpenShift: true, marking: offline });
    expect(tagNumber((await stored(register, res.fdNumber)).tags, 2107)).toBe(0);

    register.faults.inject({ kind: 'marking_invalid' }, 1);
    const bad = receipt({ items: [withExtras(item({ paymentObject: 33 }), { marking: { code: KM.shoes2, plannedStatus: 1 } })] });
    const negative = await checkAndAccept(driver, bad);
    expect(negative).toEqual([7]);
    const res2 = await driver.register(bad, { autoOpenShift: true, marking: negative });
    const s = await stored(register, res2.fdNumber);
    expect(tagNumber(s.items[0] ?? [], 2106)).toBe(7);
    expect(tagNumber(s.tags, 2107)).toBe(1);
  });

  it('an agent sale with supplier data, buyer INN and industry requisites: every tag stored', async () => {
    const { driver, register } = await rig();
    const agentItem = withExtras(item({ name: 'Билет', price: 150_000, paymentObject: 4 }), {
      agentSign: 32,
      agent: {
        operation: 'Оплата билета',
        agentPhones: ['+79001112233'],
        operatorPhones: ['+79004445566'],
        transferOperatorPhones: ['+74951234567'],
        transferOperatorName: 'ООО Перевод',
        transferOperatorAddress: 'Москва, ул. Ленина, 1',
        transferOperatorInn: '7707083893',
      },
      supplier: { name: 'ООО Поставщик', phones: ['+78121234567'], inn: '7802012345' },
      industry: [{ foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'UUID=abc&Time=1700000000000' }],
    });
    const goods = withExtras(item({ name: 'Вино', price: 90_000, paymentObject: 2 }), {
      productCode: { kind: 'ean13', value: '4601234567893' },
      excise: 5_000,
      countryCode: '250',
      customsDeclaration: '10702070/010123/0001234',
      additionalRequisite: 'партия 7',
    });
    const r: FiscalReceipt = {
      ...receipt({ items: [agentItem, goods] }),
      ffd12: {
        ...noReceiptExtras(),
        buyer: { name: 'ООО Покупатель', inn: '7736207543', birthDate: null, citizenship: null, documentCode: null, documentData: null, address: 'Москва' },
        operational: { id: 7, data: 'заказ 15', dateTime: '2026-10-22T14:40:00' },
        industry: [{ foivId: '048', docDate: '29.12.2022', docNumber: '597', value: 'mode=horeca' }],
        userRequisite: { name: 'Смена', value: 'вечерняя' },
      },
    };
    const res = await driver.register(r, { autoOpenShift: true });
    const { tags, items } = await stored(register, res.fdNumber);
    const [a, g] = items;
    expect(tagNumber(a ?? [], 1222)).toBe(32);
    expect(tagValue(a ?? [], 1223)).toEqual(expect.arrayContaining([
      [1044, 'Оплата билета'], [1073, '+79001112233'], [1074, '+79004445566'], [1075, '+74951234567'],
      [1026, 'ООО Перевод'], [1005, 'Москва, ул. Ленина, 1'],
    ]));
    expect(tagString((tagValue(a ?? [], 1223) ?? []) as TagList, 1016)?.trim()).toBe('7707083893');
    expect(tagValue(a ?? [], 1224)).toEqual(expect.arrayContaining([[1225, 'ООО Поставщик'], [1171, '+78121234567']]));
    expect(tagString(a ?? [], 1226)?.trim()).toBe('7802012345');
    expect(tagLists(a ?? [], 1260)).toEqual([[[1262, '030'], [1263, '21.11.2023'], [1264, '1944'], [1265, 'UUID=abc&Time=1700000000000']]]);
    expect(tagValue(g ?? [], 1163)).toEqual([[1302, '4601234567893']]);
    expect(tagNumber(g ?? [], 1229)).toBe(5_000);
    expect(tagString(g ?? [], 1230)).toBe('250');
    expect(tagString(g ?? [], 1231)).toBe('10702070/010123/0001234');
    expect(tagString(g ?? [], 1191)).toBe('партия 7');
    const buyer = (tagValue(tags, 1256) ?? []) as TagList;
    expect(tagString(buyer, 1227)).toBe('ООО Покупатель');
    expect(tagString(buyer, 1228)?.trim()).toBe('7736207543');
    expect(tagString(buyer, 1254)).toBe('Москва');
    const op = (tagValue(tags, 1270) ?? []) as TagList;
    expect([tagNumber(op, 1271), tagString(op, 1272)]).toEqual([7, 'заказ 15']);
    expect(tagNumber(op, 1273)).toBe(Date.UTC(2026, 9, 22, 14, 40, 0) / 1000);
    expect(tagLists(tags, 1261)).toEqual([[[1262, '048'], [1263, '29.12.2022'], [1264, '597'], [1265, 'mode=horeca']]]);
    expect(tagValue(tags, 1084)).toEqual([[1085, 'Смена'], [1086, 'вечерняя']]);
    expect(tagValue(tags, 2107)).toBeUndefined();
    await expectSameContent(driver, register, res.fdNumber);
  });
});

describe('ATOL marking state and refusals', () => {
  it('codes out of acceptance order are refused before anything is sent: no shift is opened for them', async () => {
    const { driver } = await rig();
    const r = receipt({
      items: [
        withExtras(item({ name: 'Первый', paymentObject: 33 }), { marking: { code: KM.shoes, plannedStatus: 1 } }),
        withExtras(item({ name: 'Второй', paymentObject: 33 }), { marking: { code: KM.shoes2, plannedStatus: 1 } }),
      ],
    });
    const marking = await checkAndAccept(driver, { ...r, items: [...r.items].reverse() });
    const before = await driver.lastFdNumber();
    const err = await driver.register(r, { autoOpenShift: true, marking }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', code: 'invalid_document' });
    expect(await driver.lastFdNumber()).toBe(before);
    // In the order they were accepted the same codes are sold.
    const res = await driver.register({ ...r, items: [...r.items].reverse() }, { autoOpenShift: true, marking });
    expect(res.fdNumber).toBe(before + 2);
  });

  it("a position without itemInfoCheckResult gets the result the FN saved, as the KKT writes it", async () => {
    const { tasks, register } = await rig();
    const imc = Buffer.from(KM.shoes).toString('base64');
    await tasks([{ type: 'openShift' }]);
    const [, , accepted] = await tasks([
      { type: 'clearMarkingCodeValidationResult' },
      { type: 'beginMarkingCodeValidation', params: { imc, itemEstimatedStatus: 'itemPieceSold', imcModeProcessing: 0, waitForResult: true } },
      { type: 'acceptMarkingCode' },
    ]);
    expect(accepted?.status).toBe('ready');
    const [sold] = await tasks([{
      type: 'sell',
      taxationType: 'osn',
      items: [{ type: 'position', name: 'Ботинки', price: 100, quantity: 1, amount: 100, tax: { type: 'vat20' }, paymentMethod: 'fullPayment', paymentObject: 'commodityWithMarking', measurementUnit: 'piece', imcParams: { imc, imcType: 'auto', itemEstimatedStatus: 'itemPieceSold', imcModeProcessing: 0 } }],
      payments: [{ type: 'cash', sum: 100 }],
    }]);
    expect(sold).toMatchObject({ status: 'ready' });
    const fd = (sold?.result?.fiscalParams as { fiscalDocumentNumber: number }).fiscalDocumentNumber;
    expect(tagNumber((await stored(register, fd)).items[0] ?? [], 2106)).toBe(15);
  });

  it('unconfirmed notifications, then the FN blocks marking work: marking_blocked (407)', async () => {
    const clock = fakeClock();
    // An operator that never answers never confirms the sale notification either.
    const { driver, tasks } = await rig({ marking_block_after_hours: 1, marking_operator: 'unreachable' }, clock);
    expect(await driver.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 0, oldestUnconfirmedAt: null });
    const r = receipt({ items: [withExtras(item({ paymentObject: 33 }), { marking: { code: KM.shoes, plannedStatus: 1 } })] });
    const marking = await checkAndAccept(driver, r);
    expect(marking).toEqual([19]);
    await driver.register(r, { autoOpenShift: true, marking });
    const before = await driver.markingState();
    expect(before).toMatchObject({ blocked: false, unconfirmedNotifications: 1 });
    // The register's local time with its offset (fakeClock's T0 is 14:43:50 in Moscow).
    expect(before.oldestUnconfirmedAt).toMatch(/^2026-10-22T14:43:5\d\+03:00$/);
    const [exchange] = await tasks([{ type: 'ismExchangeStatus' }]);
    expect(exchange?.result).toEqual({ status: { notSentCount: 1, notSentFirstNoticeDateTime: before.oldestUnconfirmedAt, notSentFirstNoticeNumber: 1 }, warnings: {} });
    clock.advance(2 * 3_600_000);
    expect(await driver.markingState()).toMatchObject({ blocked: true, unconfirmedNotifications: 1 });
    const [work] = await tasks([{ type: 'checkImcWorkState' }]);
    expect(work?.result).toMatchObject({ fm: { status: 'blocked' } });
    const err = await driver.checkMarkingCode(request(KM.shoes2)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', code: 'marking_blocked', deviceCode: '407' });
  });

  it('FFD 1.05: marking calls and FFD 1.2 content are not_supported', async () => {
    const { driver } = await rig({ ffd_version: '105' });
    await expect(driver.checkMarkingCode(request(KM.shoes))).rejects.toMatchObject({ kind: 'rejected', code: 'not_supported' });
    await expect(driver.markingState()).rejects.toMatchObject({ code: 'not_supported' });
    const r = receipt({ items: [withExtras(item(), { countryCode: '643' })] });
    await expect(driver.register(r, { autoOpenShift: true })).rejects.toMatchObject({ kind: 'rejected', code: 'not_supported' });
  });
});
