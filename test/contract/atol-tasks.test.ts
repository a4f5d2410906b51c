/**
 * The ATOL web server emulator task by task: JSON in, JSON out, HTTP codes, each checked against
 * the published description it follows (sources in src/devices/atol/README.md):
 *
 * - [scripts]  the driver's own JSON-task scripts (validateTask texts, result shapes, error codes);
 * - [libfptr]  LIBFPTR_ERROR_* numbers (vendor Java wrapper) and their texts (KKTServiceLib, TerminalClient);
 * - [WR]       «АТОЛ. Web Requests» 1.0.4.0 as recorded by kktsite-agent (HTTP codes, error bodies,
 *              queue status, blocking);
 * - [AWS]      ArchDemons/atolwebserver, a reimplementation of the driver 10 web server.
 *
 * The emulator runs on 127.0.0.1, ephemeral port, over an in-memory virtual register.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { REPORTED_ERROR_CODES, systemClock } from '../../src/devices/driver.js';
import { atolCodeOf, stableCodeOf } from '../../src/devices/atol/errors.js';
import { createAtolEmulator } from '../../src/devices/atol/emulator/index.js';
import { ERROR_TABLE } from '../../src/devices/atol/emulator/errors.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import type { EmulatorConfig, EmulatorDriver } from '../../src/devices/emulator/index.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Json = Record<string, unknown>;
interface Subtask {
  status: string;
  error: { code: number; description: string };
  errorCode: number;
  errorDescription: string;
  result: Json | null;
}
interface Answer {
  status: number;
  body: Json;
}

interface Rig {
  register: EmulatorDriver;
  http(method: string, path: string, body?: unknown): Promise<Answer>;
  /** POST one request and wait until none of its subtasks is wait / inProgress / blocked. */
  run(tasks: Json[]): Promise<Subtask[]>;
  submit(uuid: string, tasks: unknown): Promise<Answer>;
  results(uuid: string): Promise<Subtask[]>;
}

let seq = 0;
const newUuid = (): string => `task-${++seq}-${Date.now()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rig(config: Partial<EmulatorConfig> = {}, recoveryIntervalMs = 50): Promise<Rig> {
  const register = createEmulatorDriver({ ...emulatorDefaults(), ...config }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
  const emulator = createAtolEmulator({ port: 0, driver: register, recoveryIntervalMs, logger });
  await emulator.listen();
  cleanups.push(async () => {
    await emulator.close();
    await register.close();
  });
  const http = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  };
  const submit = (uuid: string, tasks: unknown): Promise<Answer> => http('POST', '/api/v2/requests', { uuid, request: tasks });
  const results = async (uuid: string): Promise<Subtask[]> => (await http('GET', `/api/v2/requests/${uuid}`)).body.results as Subtask[];
  const run = async (tasks: Json[]): Promise<Subtask[]> => {
    const uuid = newUuid();
    expect((await submit(uuid, tasks)).status).toBe(201);
    for (let i = 0; i < 300; i++) {
      const r = await results(uuid);
      if (r.every((s) => !['wait', 'inProgress', 'blocked'].includes(s.status))) return r;
      await sleep(10);
    }
    throw new Error(`request ${uuid} did not finish`);
  };
  return { register, http, run, submit, results };
}

const position = (over: Json = {}): Json => ({
  type: 'position',
  name: 'Товар',
  price: 100,
  quantity: 1,
  amount: 100,
  tax: { type: 'vat20' },
  paymentMethod: 'fullPayment',
  paymentObject: 'commodity',
  ...over,
});
const sell = (over: Json = {}): Json => ({
  type: 'sell',
  taxationType: 'osn',
  items: [position()],
  payments: [{ type: 'cash', sum: 100 }],
  total: 100,
  ...over,
});
const only = (r: Subtask[]): Subtask => {
  const [s] = r;
  if (s === undefined || r.length !== 1) throw new Error(`expected one subtask, got ${r.length}`);
  return s;
};
/** A subtask error, in both forms the emulator sends (server.ts `subtaskJson`). */
const expectError = (s: Subtask, code: number, description?: string | RegExp): void => {
  expect(s.status).toBe('error');
  expect(s.errorCode).toBe(code);
  expect(s.error.code).toBe(code);
  expect(s.error.description).toBe(s.errorDescription);
  if (description !== undefined) expect(s.errorDescription).toMatch(description);
};
const ready = (s: Subtask): Json => {
  expect(s, JSON.stringify(s)).toMatchObject({ status: 'ready', errorCode: 0, error: { code: 0, description: 'Ошибок нет' } });
  return s.result ?? {};
};
const fiscalParamsOf = (s: Subtask): Json => ready(s).fiscalParams as Json;

describe('ATOL web server emulator: HTTP API of /api/v2/requests', () => {
  it('POST → 201 with the queue state [WR], GET → results [AWS][WR], the same uuid again → 409 [WR][AWS]', async () => {
    const t = await rig();
    const post = await t.submit('http-1', [{ type: 'getDeviceStatus' }]);
    expect(post.status).toBe(201);
    expect(post.body).toEqual({ number: expect.any(Number) as number, uuid: 'http-1', isBlocked: false, blockedUUID: '', blockReason: '' });
    const dup = await t.submit('http-1', [{ type: 'getShiftStatus' }]);
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ error: { code: 505, description: 'Не удалось добавить задание с UUID [http-1], задание с таким UUID уже есть' } });
    const unknown = await t.http('GET', '/api/v2/requests/nope');
    expect(unknown).toEqual({ status: 404, body: { error: { code: 505, description: 'Задание с UUID [nope] для устройства [1] не найдено' } } });
  });

  it('malformed submissions → 400 with the reason [WR][AWS], never a 500', async () => {
    const t = await rig();
    const bad = async (body: unknown): Promise<Answer> => t.http('POST', '/api/v2/requests', body);
    expect((await bad('{oops')).status).toBe(400);
    expect((await bad('{oops')).body.error).toMatchObject({ code: 505, description: expect.stringMatching(/^Ошибка разбора JSON/) as string });
    expect((await bad({ request: [{ type: 'getDeviceStatus' }] })).body).toEqual({ error: { code: 505, description: "Поле 'uuid' не задано" } });
    expect((await bad({ uuid: 'x', request: [] })).body).toEqual({ error: { code: 505, description: "Поле 'request' не задано или пустое" } });
    expect((await bad({ uuid: 'x' })).status).toBe(400);
    expect((await bad({ uuid: 'x', request: [1] })).status).toBe(400);
    expect((await bad([1, 2])).status).toBe(400);
    // One fiscal document per request [AWS].
    const two = await bad({ uuid: 'x', request: [sell(), { type: 'openShift' }] });
    expect(two).toEqual({ status: 400, body: { error: { code: 505, description: 'Too many fiscal sub-tasks - 2' } } });
  });

  it('a single task object is a request of one [AWS]', async () => {
    const t = await rig();
    expect((await t.submit('single', { type: 'getShiftStatus' })).status).toBe(201);
    for (let i = 0; i < 100 && (await t.results('single'))[0]?.status !== 'ready'; i++) await sleep(10);
    expect(ready(only(await t.results('single'))).shiftStatus).toMatchObject({ state: 'closed' });
  });

  it('DELETE cancels a request still waiting (canceled, 503) and refuses a finished one with 409 [WR]', async () => {
    const t = await rig({ latency_ms: 150 });
    await t.submit('slow', [{ type: 'getDeviceStatus' }]);
    await t.submit('queued', [{ type: 'getShiftStatus' }, { type: 'getFnInfo' }]);
    expect(await t.http('DELETE', '/api/v2/requests/queued')).toEqual({ status: 200, body: {} });
    const canceled = await t.results('queued');
    expect(canceled.map((s) => s.status)).toEqual(['canceled', 'canceled']);
    expect(canceled[0]).toMatchObject({ errorCode: 503, errorDescription: 'Задание отменено' });
    for (let i = 0; i < 100 && (await t.results('slow'))[0]?.status !== 'ready'; i++) await sleep(10);
    const late = await t.http('DELETE', '/api/v2/requests/slow');
    expect(late.status).toBe(409);
    expect((await t.http('DELETE', '/api/v2/requests/nope')).status).toBe(404);
    expect((await t.http('GET', '/api/v2/getRequestsQueueStatus')).body).toMatchObject({ number: 0, canceled: 1, ready: 1, isBlocked: false });
  });

  it('devices list and unknown routes [WR]', async () => {
    const t = await rig();
    expect((await t.http('GET', '/api/v2/devices')).body).toEqual([
      { id: '1', name: 'cr-server virtual register', isActive: true, isDefault: true, isLock: false, hasLicense: true },
    ]);
    expect((await t.http('GET', '/api/v2/devices/default')).status).toBe(200);
    expect((await t.http('GET', '/api/v2/devices/77')).body).toEqual({ error: { code: 505, description: 'Устройство с ID [77] не найдено' } });
    expect((await t.http('GET', '/api/v2/nothing')).status).toBe(404);
    expect((await t.http('PUT', '/api/v2/requests')).status).toBe(405);
  });
});

describe('ATOL web server emulator: task validation [scripts]', () => {
  it('a missing, non-string or unknown type is the parse error 501, and the rest is interrupted (502)', async () => {
    const t = await rig();
    const r = await t.run([{ type: 'frobnicate' }, { type: 'getShiftStatus' }]);
    expectError(r[0] as Subtask, 501, 'Некорректное значение поля "type" (frobnicate)');
    expect(r[1]).toMatchObject({ status: 'interrupted', errorCode: 502, errorDescription: 'Выполнение прервано из-за предыдущих ошибок' });
    expectError(only(await t.run([{ name: 'x' }])), 501, 'Поле "type" отсутствует');
    expectError(only(await t.run([{ type: 5 }])), 501, 'Поле "type" имеет неверный тип (ожидается "string")');
  });

  it('receipt fields: missing, wrong type, value outside the enumeration → 501 naming the path', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    const { items: _items, ...noItems } = sell();
    expectError(only(await t.run([noItems])), 501, 'Поле "items" отсутствует');
    expectError(only(await t.run([sell({ items: [position({ price: '100' })] })])), 501, 'Поле "items[0].price" имеет неверный тип (ожидается "number")');
    expectError(only(await t.run([sell({ items: [position({ tax: { type: 'vat99' } })] })])), 501, 'Некорректное значение поля "items[0].tax.type" (vat99)');
    expectError(only(await t.run([sell({ payments: [{ type: 'barter', sum: 100 }] })])), 501, 'Некорректное значение поля "payments[0].type" (barter)');
    expectError(only(await t.run([sell({ taxationType: 'flat' })])), 501, 'Некорректное значение поля "taxationType" (flat)');
    expectError(only(await t.run([sell({ operator: { vatin: '1' } })])), 501, 'Поле "operator.name" отсутствует');
    // A user payment type (5..9) is a valid JSON value the register does not have: INVALID_PAYMENT_TYPE [libfptr].
    expectError(only(await t.run([sell({ payments: [{ type: 7, sum: 100 }] })])), 60, 'Неверный вид оплаты');
    // Registration and the open shift: no receipt reached the FN.
    expect(await t.register.lastFdNumber()).toBe(2);
  });
});

describe('ATOL web server emulator: fiscal tasks', () => {
  it('openShift → fiscalParams [scripts]; a second one → 83 [libfptr]', async () => {
    const t = await rig();
    const fp = fiscalParamsOf(only(await t.run([{ type: 'openShift', operator: { name: 'Иванов', vatin: '500100732259' } }])));
    const reg = await t.register.registrationInfo();
    expect(fp).toMatchObject({ fiscalDocumentNumber: 2, shiftNumber: 1, fnNumber: reg.fnSerial, registrationNumber: reg.registrationNumber });
    expect(fp.fiscalDocumentSign).toMatch(/^\d+$/);
    expect(fp.fiscalDocumentDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expectError(only(await t.run([{ type: 'openShift' }])), 83, 'Смена открыта, операция невозможна');
  });

  it('sell, sellReturn, buy, buyReturn → fiscalParams with total and receipt number [scripts]', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    let receiptNo = 0;
    for (const type of ['sell', 'sellReturn', 'buy', 'buyReturn']) {
      const fp = fiscalParamsOf(only(await t.run([sell({ type, payments: [{ type: 'cash', sum: 150 }] })])));
      expect(fp).toMatchObject({ total: 100, fiscalReceiptNumber: ++receiptNo, shiftNumber: 1, change: 50 });
    }
    // Print-only elements change nothing in the FN (the register has no printer).
    const withText = sell({ items: [{ type: 'text', text: 'Спасибо' }, position()] });
    expect(fiscalParamsOf(only(await t.run([withText]))).total).toBe(100);
  });

  it('device refusals carry the libfptr code and text: 73, 66, 52, 143', async () => {
    const t = await rig();
    expectError(only(await t.run([sell()])), 73, 'Смена закрыта - операция невозможна');
    await t.run([{ type: 'openShift' }]);
    expectError(only(await t.run([sell({ payments: [{ type: 'cash', sum: 50 }] })])), 66, 'Чек оплачен не полностью');
    expectError(only(await t.run([sell({ payments: [{ type: 'electronically', sum: 150 }] })])), 52, 'Сумма не наличных платежей превышает сумму чека');
    // No taxationType and six registered systems: the device cannot choose.
    const { taxationType: _tt, ...noTaxation } = sell();
    expectError(only(await t.run([noTaxation])), 143, 'Некорректная СНО');
  });

  it('without taxationType the one registered system is used', async () => {
    const t = await rig({ tax_systems: 2 });
    await t.run([{ type: 'openShift' }]);
    const { taxationType: _tt, ...noTaxation } = sell();
    expect(fiscalParamsOf(only(await t.run([noTaxation]))).total).toBe(100);
    expect((await t.register.document(await t.register.lastFdNumber()))?.taxSystem).toBe(2);
  });

  it('corrections (FFD 1.2) → fiscalParams; without correctionBaseDate → 161 [libfptr]', async () => {
    const t = await rig({ ffd_version: '120' });
    await t.run([{ type: 'openShift' }]);
    const corr = { correctionType: 'self', correctionBaseDate: '2026.01.15', correctionBaseNumber: 'б/н' };
    const piece = position({ measurementUnit: 'piece' });
    for (const type of ['sellCorrection', 'sellReturnCorrection', 'buyCorrection', 'buyReturnCorrection']) {
      expect(fiscalParamsOf(only(await t.run([sell({ type, items: [piece], ...corr })]))).total).toBe(100);
    }
    expectError(only(await t.run([sell({ type: 'sellCorrection', items: [piece], correctionType: 'self' })])), 161, 'Не указаны обязательные реквизиты');
    expectError(only(await t.run([sell({ type: 'sellCorrection', items: [piece], ...corr, correctionBaseDate: '15-01-2026' })])), 501, 'Некорректное значение поля "correctionBaseDate" (15-01-2026)');
  });

  it('closeShift → fiscalParams with receiptsCount [scripts]; when closed → 73', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    await t.run([sell()]);
    await t.run([sell()]);
    const fp = fiscalParamsOf(only(await t.run([{ type: 'closeShift', electronically: true }])));
    expect(fp).toMatchObject({ shiftNumber: 1, receiptsCount: 2, fiscalDocumentNumber: 5 });
    expectError(only(await t.run([{ type: 'closeShift' }])), 73);
  });

  it('reportOfdExchangeStatus makes the state report (a fiscal document) with the OFD backlog [scripts]', async () => {
    const t = await rig({ ofd_enabled: false });
    await t.run([{ type: 'openShift' }]);
    const r = ready(only(await t.run([{ type: 'reportOfdExchangeStatus' }])));
    expect(r.fiscalParams).toMatchObject({ fiscalDocumentNumber: 3 });
    expect(r.status).toMatchObject({ notSentCount: expect.any(Number) as number });
    expect(await t.register.lastFdNumber()).toBe(3);
  });
});

describe('ATOL web server emulator: queries', () => {
  it('reportX → {} and getShiftTotals → shiftTotals.receipts by type in rubles [scripts]', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    await t.run([sell({ items: [position({ price: 12.34, amount: 12.34 })], payments: [{ type: 'cash', sum: 12.34 }], total: 12.34 })]);
    const [x, totals] = await t.run([{ type: 'reportX' }, { type: 'getShiftTotals' }]);
    expect(ready(x as Subtask)).toEqual({});
    expect(ready(totals as Subtask)).toEqual({
      shiftTotals: { shiftNumber: 1, receipts: { sell: { sum: 12.34 }, sellReturn: { sum: 0 }, buy: { sum: 0 }, buyReturn: { sum: 0 } } },
    });
  });

  it('status tasks: getDeviceStatus, getShiftStatus, getFnInfo, getFnStatus, ofdExchangeStatus', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    const [device, shift, fnInfo, fnStatus, ofd] = (
      await t.run([{ type: 'getDeviceStatus' }, { type: 'getShiftStatus' }, { type: 'getFnInfo' }, { type: 'getFnStatus' }, { type: 'ofdExchangeStatus' }])
    ).map(ready);
    expect(device?.deviceStatus).toMatchObject({ shift: 'opened', paperPresent: true, fiscal: true });
    expect(shift?.shiftStatus).toMatchObject({ state: 'opened', number: 1, expiredTime: expect.any(String) as string });
    expect(fnInfo?.fnInfo).toMatchObject({ serial: (await t.register.registrationInfo()).fnSerial, ffdVersion: '1.05', livePhase: 'fiscalMode' });
    expect(fnStatus?.fnStatus).toMatchObject({ fiscalDocumentNumber: 2, fiscalReceiptNumber: 0 });
    expect(ofd?.status).toMatchObject({ notSentCount: expect.any(Number) as number });
  });

  it('getRegistrationInfo and getDeviceInfo', async () => {
    const t = await rig();
    const reg = await t.register.registrationInfo();
    const [info, device] = (await t.run([{ type: 'getRegistrationInfo' }, { type: 'getDeviceInfo' }])).map(ready);
    expect(info).toMatchObject({
      organization: { name: reg.companyName, vatin: reg.companyInn },
      device: { registrationNumber: reg.registrationNumber, fnSerial: reg.fnSerial, ffdVersion: '1.05' },
      ofd: { name: reg.ofdName, vatin: reg.ofdInn },
    });
    expect(device).toEqual({ deviceInfo: { modelName: reg.model, serial: reg.registratorSerial } });
  });

  it('getFnDocument by number; missing number → 501; a number the FN has not → 123 [scripts][libfptr]', async () => {
    const t = await rig();
    await t.run([{ type: 'openShift' }]);
    const fp = fiscalParamsOf(only(await t.run([sell()])));
    const doc = ready(only(await t.run([{ type: 'getFnDocument', fiscalDocumentNumber: fp.fiscalDocumentNumber }])));
    expect(doc).toMatchObject({ fiscalDocumentType: 'receipt', documentTLV: { '1040': fp.fiscalDocumentNumber, '1020': 100, '1077': fp.fiscalDocumentSign } });
    expectError(only(await t.run([{ type: 'getFnDocument' }])), 501, 'Поле "fiscalDocumentNumber" отсутствует');
    expectError(only(await t.run([{ type: 'getFnDocument', fiscalDocumentNumber: 99 }])), 123, 'В ФН нет запрошенных данных');
  });

  it('getLastFiscalParams → the last document', async () => {
    const t = await rig();
    const fp = fiscalParamsOf(only(await t.run([{ type: 'openShift' }])));
    expect(fiscalParamsOf(only(await t.run([{ type: 'getLastFiscalParams' }])))).toMatchObject({
      fiscalDocumentNumber: fp.fiscalDocumentNumber,
      fiscalDocumentSign: fp.fiscalDocumentSign,
    });
  });
});

describe('ATOL web server emulator: what a printer-less register answers', () => {
  it('continuePrint: nothing pending → ready; no paper → 44 [libfptr]', async () => {
    const t = await rig();
    expect(ready(only(await t.run([{ type: 'continuePrint' }])))).toEqual({});
    t.register.faults.inject({ kind: 'paper_out' });
    expectError(only(await t.run([{ type: 'continuePrint' }])), 44, 'Нет бумаги');
  });

  it('cashIn / cashOut: checked like the script ([scripts] cashSum), then NOT_SUPPORTED (11)', async () => {
    const t = await rig();
    expectError(only(await t.run([{ type: 'cashIn' }])), 501, 'Поле "cashSum" отсутствует');
    expectError(only(await t.run([{ type: 'cashOut', cashSum: 'ten' }])), 501, 'Поле "cashSum" имеет неверный тип (ожидается "number")');
    expectError(only(await t.run([{ type: 'cashIn', cashSum: 10 }])), 11, 'Не поддерживается в данной версии');
  });

  it('printing, the cash drawer and other tasks the register lacks → 11, not a fake success', async () => {
    const t = await rig();
    for (const type of ['printLastReceiptCopy', 'nonFiscal', 'openCashDrawer', 'printFnDocument', 'registration']) {
      expectError(only(await t.run([{ type }])), 11);
    }
    expect(await t.register.lastFdNumber()).toBe(1);
  });
});

describe('ATOL web server emulator: blocked queue [WR][AWS]', () => {
  const waitFor = async (check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await sleep(10);
    }
    throw new Error('condition not reached');
  };

  it('answer lost after the FN closed the receipt: blocked, later requests wait, then ready with the document', async () => {
    const t = await rig({}, 400);
    await t.run([{ type: 'openShift' }]);
    t.register.faults.inject({ kind: 'lose_answer_after_close' }, 1);
    await t.submit('b1', [sell(), { type: 'getShiftStatus' }]);
    await waitFor(async () => (await t.results('b1'))[0]?.status === 'blocked');
    const blocked = await t.results('b1');
    expect(blocked.map((s) => s.status)).toEqual(['blocked', 'wait']);
    expect(blocked[0]).toMatchObject({ errorCode: 2, errorDescription: 'Нет связи' });
    expect((await t.http('GET', '/api/v2/getRequestsQueueStatus')).body).toMatchObject({
      isBlocked: true,
      blockedUUID: 'b1',
      blockReason: 'connectionError',
    });
    // A new request is taken but waits; the blocked one cannot be cancelled.
    const next = await t.submit('b2', [{ type: 'getFnStatus' }]);
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({ isBlocked: true, blockedUUID: 'b1', blockReason: 'connectionError' });
    expect((await t.results('b2'))[0]?.status).toBe('wait');
    expect((await t.http('DELETE', '/api/v2/requests/b1')).status).toBe(409);
    await waitFor(async () => (await t.results('b2'))[0]?.status === 'ready');
    const [receipt, shift] = await t.results('b1');
    expect(ready(receipt as Subtask)).toMatchObject({ fiscalParams: { fiscalDocumentNumber: 3, total: 100 }, warnings: { recovered: true } });
    expect(ready(shift as Subtask).shiftStatus).toMatchObject({ state: 'opened' });
    expect(((await t.results('b2')).map(ready)[0]?.fnStatus as Json).fiscalDocumentNumber).toBe(3);
    expect((await t.http('GET', '/api/v2/getRequestsQueueStatus')).body).toMatchObject({ isBlocked: false, blockedUUID: '' });
  });

  it('link cut before the FN closed it: blocked, then error 2 and the rest interrupted', async () => {
    const t = await rig({}, 100);
    await t.run([{ type: 'openShift' }]);
    t.register.faults.inject({ kind: 'disconnect_before_close' }, 1);
    const r = await t.run([sell(), { type: 'getShiftStatus' }]);
    expectError(r[0] as Subtask, 2, 'Нет связи');
    expect(r[1]).toMatchObject({ status: 'interrupted', errorCode: 502 });
    expect(await t.register.lastFdNumber()).toBe(2);
  });

  it('a query that fails on the link is a plain error, never a block', async () => {
    const t = await rig();
    t.register.faults.inject({ kind: 'offline' }, 1);
    expectError(only(await t.run([{ type: 'getDeviceStatus' }])), 2, 'Нет связи');
    expect((await t.http('GET', '/api/v2/getRequestsQueueStatus')).body).toMatchObject({ isBlocked: false });
  });
});

describe('ATOL web server emulator: one error table', () => {
  /** Stable codes ATOL has no code of their own for (errors.ts), and what the driver reads back. */
  const LOSSY: Partial<Record<(typeof REPORTED_ERROR_CODES)[number], string>> = {
    // Never travels as an error: the queue blocks instead, and resolves to 2 (offline) or a document.
    answer_lost: 'device_offline',
  };

  it('every refusal of the register maps to a code in the table that the driver maps back', () => {
    for (const code of REPORTED_ERROR_CODES) {
      const atol = atolCodeOf(code);
      expect(ERROR_TABLE.has(atol), `${code} → ${atol}`).toBe(true);
      expect(stableCodeOf(atol), `${code} → ${atol}`).toBe(LOSSY[code] ?? code);
    }
  });
});
