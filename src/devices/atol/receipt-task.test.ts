import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ItemExtras } from '../../domain/ffd12.js';
import type { FiscalReceipt, ReceiptItem } from '../../domain/receipt.js';
import { DeviceError } from '../driver.js';
import { item, receipt } from '../fiscal-core/testing.js';
import { kopecksToRubles, rublesToKopecks } from './money.js';
import type { JsonObject } from './protocol.js';
import { TaskError, receiptToTask, taskToReceipt, taskToRegistration } from './receipt-task.js';

const fixture = (name: string): JsonObject =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as JsonObject;

/** The receipt behind fixtures/sell-ffd105.json. */
function sell105(): FiscalReceipt {
  return {
    ...receipt({
      taxSystem: 2,
      items: [
        { ...item({ name: 'Поилка ниппельная', price: 9999, quantity: 3_000_000, vat: 6, unit: 'шт' }) },
        { ...item({ name: 'Доставка', price: 10, vat: 1, paymentObject: 4 }), paymentMethod: 1 },
        item({ name: 'Гвозди', price: 20, quantity: 1_500_000, vat: 3, unit: 'кг', measure: 11 }),
      ],
      payments: [
        { type: 1, sum: 20_000 },
        { type: 0, sum: 15_000 },
      ],
      email: 'buyer@example.com',
    }),
    cashier: { name: 'Иванов И.И.', inn: '123456789047' },
  };
}

function correction120(): FiscalReceipt {
  return {
    ...receipt({
      receiptType: 8,
      taxSystem: 1,
      items: [item({ name: 'Сахар', price: 8550, quantity: 2_125_000, vat: 2, measure: 11 })],
      payments: [{ type: 1, sum: 18_169 }],
      correction: { type: 1, reason: 'Предписание', date: '2026-10-01', docNumber: 'ПР-15' },
    }),
    mistakenReceiptNumber: '42',
    cashier: null,
    needPrint: true,
  };
}

describe('money at the ATOL edge', () => {
  it('converts kopecks to rubles and back without drift', () => {
    expect(kopecksToRubles(29_997)).toBe(299.97);
    expect(kopecksToRubles(1)).toBe(0.01);
    expect(rublesToKopecks(0.1 + 0.2)).toBe(30);
    expect(rublesToKopecks(99.99 * 3)).toBe(29_997);
    expect(rublesToKopecks(1.005)).toBe(100); // 1.005 is 1.00499999… as a double: the device sent 1.00
    expect(rublesToKopecks(0)).toBe(0);
    for (let k = 0; k < 100_000; k += 7) expect(rublesToKopecks(kopecksToRubles(k))).toBe(k);
    expect(rublesToKopecks(kopecksToRubles(9_999_999_999_99))).toBe(9_999_999_999_99);
  });

  it('refuses non-integer kopecks and non-finite rubles', () => {
    expect(() => kopecksToRubles(1.5)).toThrow(RangeError);
    expect(() => rublesToKopecks(Number.NaN)).toThrow(RangeError);
  });
});

describe('FiscalReceipt → ATOL JSON task', () => {
  it('lays out an FFD 1.05 sell receipt (free-text units, cashier, buyer e-mail)', () => {
    expect(receiptToTask(sell105(), '105')).toEqual(fixture('sell-ffd105.json'));
  });

  it('lays out an FFD 1.2 return correction (2108 measure, correction base, 1192)', () => {
    expect(receiptToTask(correction120(), '120')).toEqual(fixture('sell-return-correction-ffd120.json'));
  });

  it('names every receipt type as the ATOL task type', () => {
    const names = ([1, 2, 4, 5, 7, 8, 9, 10] as const).map((t) => receiptToTask(receipt({ receiptType: t }), '120').type);
    expect(names).toEqual(['sell', 'sellReturn', 'buy', 'buyReturn', 'sellCorrection', 'sellReturnCorrection', 'buyCorrection', 'buyReturnCorrection']);
  });

  it('maps every taxation system', () => {
    const names = ([1, 2, 4, 8, 16, 32] as const).map((t) => receiptToTask(receipt({ taxSystem: t }), '105').taxationType);
    expect(names).toEqual(['osn', 'usnIncome', 'usnIncomeOutcome', 'envd', 'esn', 'patent']);
  });

  it('sends the phone when there is no e-mail, and 1.05 corrections carry the base name (1177)', () => {
    const r = { ...receipt({ receiptType: 7 }), phone: '+79001234567' };
    const t = receiptToTask(r, '105');
    expect(t.clientInfo).toEqual({ emailOrPhone: '+79001234567' });
    expect(t).toMatchObject({ correctionType: 'self', correctionBaseName: 'Не пробит чек', correctionBaseDate: '2026.10.01' });
    expect(receiptToTask(r, '120').correctionBaseName).toBeUndefined();
  });
});

describe('ATOL JSON task → FiscalReceipt (the emulated device reading it)', () => {
  it('reads back the same receipt (1.05)', () => {
    const r = sell105();
    expect(taskToReceipt(fixture('sell-ffd105.json'), '105')).toEqual({ ...r, change: 4963, items: r.items.map((i) => ({ ...i, measure: 0 })) });
  });

  it('reads back the same receipt (1.2 has no 1177 correction base name)', () => {
    const r = correction120();
    const expected = { ...r, correction: { type: 1, reason: '', date: '2026-10-01', docNumber: 'ПР-15' } };
    expect(taskToReceipt(fixture('sell-return-correction-ffd120.json'), '120')).toEqual(expected);
  });

  it('round-trips every receipt type (1.05 keeps the correction reason)', () => {
    for (const t of [1, 2, 4, 5, 7, 8, 9, 10] as const) {
      const r = receipt({ receiptType: t });
      expect(taskToReceipt({ ...receiptToTask(r, '105') }, '105')).toEqual(r);
    }
  });

  it('refuses unknown enumeration strings with INVALID_PARAM', () => {
    const bad = { ...fixture('sell-ffd105.json'), taxationType: 'usn' };
    expect(() => taskToReceipt(bad, '105')).toThrow(TaskError);
    try {
      taskToReceipt({ ...fixture('sell-return-correction-ffd120.json'), items: [{ type: 'position', name: 'x' }] }, '120');
    } catch (e) {
      expect(e).toBeInstanceOf(TaskError);
      expect((e as TaskError).atolCode).toBe(13);
    }
  });
});

// ---- FFD 1.2 content (receipt-extras.ts) ----

const GS = '\u001d';
const SHOES = `010460123456789321ABCDEFGHIJKLM${GS}91EE06${GS}92MDEGCCqFAwcBAQICBEDtXGZOKlcSqtLpMmyaWoUr1hXM`;

const noExtras = (): ItemExtras => ({
  marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
  countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [],
});
const withExtras = (i: ReceiptItem, x: Partial<ItemExtras>): ReceiptItem => ({ ...i, ffd12: { ...noExtras(), ...x } });
const positions = (t: { items: unknown[] }): JsonObject[] => t.items as JsonObject[];

/** Every ItemExtras / ReceiptExtras field set once. */
function full120(): FiscalReceipt {
  const marked = withExtras(item({ name: 'Ботинки', price: 500_000, paymentObject: 33 }), {
    marking: { code: SHOES, plannedStatus: 1 },
    fractional: { numerator: 1, denominator: 2 },
  });
  const agent = withExtras(item({ name: 'Билет', price: 150_000, paymentObject: 4 }), {
    agentSign: 2 | 64,
    agent: {
      operation: 'Оплата',
      agentPhones: ['+79001112233'],
      operatorPhones: ['+79004445566'],
      transferOperatorPhones: ['+74951234567'],
      transferOperatorName: 'ООО Перевод',
      transferOperatorAddress: 'Москва',
      transferOperatorInn: '7707083893',
    },
    supplier: { name: 'ООО Поставщик', phones: ['+78121234567'], inn: '7802012345' },
    excise: 1_250,
    countryCode: '643',
    customsDeclaration: '10702070/010123/0001234',
    additionalRequisite: 'партия 7',
    industry: [{ foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'UUID=1&Time=2' }],
  });
  const coded = withExtras(item({ name: 'Вода', price: 5_000 }), { productCode: { kind: 'gs1', value: '04601234567893' } });
  return {
    ...receipt({ items: [marked, agent, coded], email: 'b@example.com' }),
    mistakenReceiptNumber: null,
    ffd12: {
      buyer: { name: 'Иванов', inn: '500100732259', birthDate: '01.02.1990', citizenship: '643', documentCode: '21', documentData: '4510 123456', address: 'Москва' },
      operational: { id: 7, data: 'заказ 15', dateTime: '2026-10-22T14:40:05' },
      industry: [{ foivId: '048', docDate: '29.12.2022', docNumber: '597', value: 'mode=horeca' }],
      userRequisite: { name: 'Смена', value: 'вечерняя' },
      agentSign: null,
    },
  };
}

describe('FFD 1.2 content → ATOL JSON (every ItemExtras / ReceiptExtras field)', () => {
  it('lays out marking, fractional, agent, supplier, excise, origin, customs, 1191, industry and product codes', () => {
    const t = receiptToTask(full120(), '120', [15, null, null]);
    const [marked, agent, coded, user] = positions(t);
    expect(marked).toMatchObject({
      imcParams: {
        imc: Buffer.from(SHOES).toString('base64'),
        imcType: 'auto',
        itemEstimatedStatus: 'itemPieceSold',
        imcModeProcessing: 0,
        itemFractionalAmount: '1/2',
        itemInfoCheckResult: { imcCheckFlag: true, imcCheckResult: true, imcStatusInfo: true, imcEstimatedStatusCorrect: true, ecrStandAloneFlag: false },
      },
    });
    expect(marked?.productCodes).toBeUndefined();
    expect(agent).toMatchObject({
      agentInfo: {
        agents: ['bankPayingSubagent', 'another'],
        payingAgent: { operation: 'Оплата', phones: ['+79001112233'] },
        receivePaymentsOperator: { phones: ['+79004445566'] },
        moneyTransferOperator: { phones: ['+74951234567'], name: 'ООО Перевод', address: 'Москва', vatin: '7707083893' },
      },
      supplierInfo: { vatin: '7802012345', name: 'ООО Поставщик', phones: ['+78121234567'] },
      exciseSum: 12.5,
      countryCode: '643',
      customsDeclaration: '10702070/010123/0001234',
      additionalAttribute: 'партия 7',
      industryInfo: [{ fois: '030', date: '2023.11.21', number: '1944', industryAttribute: 'UUID=1&Time=2' }],
    });
    expect(coded).toMatchObject({ productCodes: { gs10: '04601234567893' } });
    expect(user).toEqual({ type: 'userAttribute', name: 'Смена', value: 'вечерняя' });
    expect(t.clientInfo).toEqual({
      emailOrPhone: 'b@example.com', name: 'Иванов', vatin: '500100732259', birthDate: '01.02.1990', citizenship: '643',
      identityDocumentCode: '21', identityDocumentData: '4510 123456', address: 'Москва',
    });
    expect(t.operationInfo).toEqual({ id: 7, data: 'заказ 15', dateTime: '2026.10.22 14:40:05' });
    expect(t.industryInfo).toEqual([{ fois: '048', date: '2022.12.29', number: '597', industryAttribute: 'mode=horeca' }]);
  });

  it('names every 1163 sub-tag, 2003 status and agent bit as the scripts do', () => {
    const kinds = ['undefined', 'ean8', 'ean13', 'itf14', 'gs1', 'gs1m', 'kmk', 'mi', 'egais2', 'egais3', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6'] as const;
    const keys = kinds.map((kind) => Object.keys(positions(receiptToTask(receipt({ items: [withExtras(item(), { productCode: { kind, value: 'X1' } })] }), '120'))[0]?.productCodes as JsonObject)[0]);
    expect(keys).toEqual(['undefined', 'ean8', 'ean13', 'itf14', 'gs10', 'gs1m', 'short', 'furs', 'egais20', 'egais30', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
    const statuses = ([1, 2, 3, 4, 255] as const).map((plannedStatus) => {
      const p = positions(receiptToTask(receipt({ items: [withExtras(item(), { marking: { code: SHOES, plannedStatus } })] }), '120'))[0];
      return (p?.imcParams as JsonObject).itemEstimatedStatus;
    });
    expect(statuses).toEqual(['itemPieceSold', 'itemDryForSale', 'itemPieceReturn', 'itemDryReturn', 'itemStatusUnchanged']);
    const agents = positions(receiptToTask(receipt({ items: [withExtras(item(), { agentSign: 127 })] }), '120'))[0]?.agentInfo;
    expect(agents).toEqual({ agents: ['bankPayingAgent', 'bankPayingSubagent', 'payingAgent', 'payingSubagent', 'attorney', 'commissionAgent', 'another'] });
  });

  it("carries the receipt's agent sign on every line without one (FFD 1.2 writes no 1057)", () => {
    const r: FiscalReceipt = {
      ...receipt({ items: [item(), withExtras(item(), { agentSign: 4 })] }),
      ffd12: { buyer: null, operational: null, industry: [], userRequisite: null, agentSign: 32 },
    };
    const t = receiptToTask(r, '120');
    expect(positions(t).map((p) => p.agentInfo)).toEqual([{ agents: ['commissionAgent'] }, { agents: ['payingAgent'] }]);
    expect((t as unknown as JsonObject).agentInfo).toBeUndefined();
  });

  it('refuses what the task cannot carry', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e instanceof DeviceError ? `${e.kind}/${e.code}` : e;
      }
      return 'no error';
    };
    // FFD 1.2 content on an FFD 1.05 register: the API refuses it first; the driver never drops it.
    expect(code(() => receiptToTask(full120(), '105'))).toBe('rejected/not_supported');
    // 1291 travels only inside imcParams.
    expect(code(() => receiptToTask(receipt({ items: [withExtras(item(), { fractional: { numerator: 1, denominator: 3 } })] }), '120'))).toBe('rejected/not_supported');
    expect(code(() => receiptToTask(receipt({ items: [withExtras(item(), { marking: { code: SHOES, plannedStatus: 1 }, productCode: { kind: 'ean13', value: '4601234567893' } })] }), '120'))).toBe('rejected/invalid_document');
    expect(code(() => receiptToTask(receipt({ items: [withExtras(item(), { industry: [{ foivId: '030', docDate: '2023-11-21', docNumber: '1', value: 'v' }] })] }), '120'))).toBe('rejected/invalid_document');
  });
});

describe('ATOL JSON → FFD 1.2 content (the emulated device reading it)', () => {
  it('reads back every field, and the 2106 of each marked position', () => {
    const r = full120();
    const { receipt: back, marking } = taskToRegistration({ ...receiptToTask(r, '120', [15, null, null]) }, '120');
    expect(back).toEqual(r);
    expect(marking).toEqual([15, null, null]);
  });

  it('sends 1192 as an additionalAttribute element and reads it back (1.05 and 1.2)', () => {
    for (const ffd of ['105', '120'] as const) {
      const r = { ...receipt({ receiptType: 7 }), mistakenReceiptNumber: '12' };
      const t = receiptToTask(r, ffd);
      expect(positions(t).at(-1)).toEqual({ type: 'additionalAttribute', value: '12' });
      expect(taskToReceipt({ ...t }, ffd).mistakenReceiptNumber).toBe('12');
    }
  });

  it('picks 2003 from the receipt when imcParams leave it out, and the 2106 only when given', () => {
    const task = (type: string, measurementUnit: string, extra: JsonObject = {}): JsonObject => ({
      ...receiptToTask(receipt(), '120'),
      type,
      items: [{ ...positions(receiptToTask(receipt(), '120'))[0], measurementUnit, imcParams: { imc: Buffer.from(SHOES).toString('base64'), ...extra } }],
    });
    const status = (t: JsonObject): unknown => taskToReceipt(t, '120').items[0]?.ffd12?.marking?.plannedStatus;
    expect(status(task('sell', 'piece'))).toBe(1);
    expect(status(task('sell', 'kilogram'))).toBe(2);
    expect(status(task('sellReturn', 'piece'))).toBe(3);
    expect(status(task('sellReturn', 'piece', { itemFractionalAmount: '1/4' }))).toBe(4);
    expect(taskToRegistration(task('sell', 'piece'), '120').marking).toEqual([null]);
    // A code that is not base64 is taken as it is (the scripts' Duktape.dec fallback).
    const raw = task('sell', 'piece', { imc: SHOES });
    expect(taskToReceipt(raw, '120').items[0]?.ffd12?.marking?.code).toBe(SHOES);
  });

  it("refuses what the register cannot store with the device's codes", () => {
    const base = (): JsonObject => ({ ...receiptToTask(receipt(), '120') });
    const pos = (extra: JsonObject): JsonObject => ({ ...base(), items: [{ ...positions(receiptToTask(receipt(), '120'))[0], ...extra }] });
    const atolCode = (t: JsonObject, ffd: '105' | '120' = '120'): number | string => {
      try {
        taskToReceipt(t, ffd);
        return 'ok';
      } catch (e) {
        return e instanceof TaskError ? e.atolCode : String(e);
      }
    };
    expect(atolCode(pos({ agentInfo: { agents: ['attorney'] } }), '105')).toBe(11);
    expect(atolCode(pos({ supplierInfo: { name: 'x' } }))).toBe(161);
    expect(atolCode(pos({ productCodes: { codes: ['4601234567893'] } }))).toBe(11);
    expect(atolCode(pos({ productCodes: { ean13: '1', ean8: '2' } }))).toBe(13);
    expect(atolCode(pos({ nomenclatureCode: 'AAAA' }))).toBe(11);
    expect(atolCode(pos({ imcParams: { imc: 'QQ==', itemFractionalAmount: '3/2' } }))).toBe(13);
    expect(atolCode({ ...base(), supplierInfo: { vatin: '7802012345' } })).toBe(11);
    expect(atolCode({ ...base(), operationInfo: { id: 1, data: 'x' } })).toBe(161);
    expect(atolCode({ ...base(), items: [...positions(receiptToTask(receipt(), '120')), { type: 'additionalAttribute', value: '1' }, { type: 'additionalAttribute', value: '2' }] })).toBe(11);
    // 1.2-only fields on a 1.05 register are skipped, as the script skips them.
    expect(atolCode({ ...base(), industryInfo: [{ fois: '1', date: '2020.01.01', number: '1', industryAttribute: 'x' }] }, '105')).toBe('ok');
  });
});
