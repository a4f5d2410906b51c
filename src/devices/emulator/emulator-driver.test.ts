import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Value } from 'typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiptItem } from '../../domain/receipt.js';
import type { DriverContext, FiscalDriver, MarkingCheckRequest } from '../driver.js';
import { tagNumber } from '../ffd/tag-list.js';
import { HOUR_MS } from '../fiscal-core/datetime.js';
import { isValidInn, isValidRnm } from '../fiscal-core/identifiers.js';
import { MARKING_OPERATOR_ANSWERS } from '../fiscal-core/marking-operator.js';
import { fakeClock, item, receipt, rejectionOf, tempDir } from '../fiscal-core/testing.js';
import type { FakeClock } from '../fiscal-core/testing.js';
import { EMULATOR_DEFAULTS, emulatorConfigSchema } from './config.js';
import type { EmulatorConfig } from './config.js';
import { emulatorDriver, isEmulatorDriver } from './emulator-driver.js';
import type { EmulatorDriver } from './emulator-driver.js';

const drivers: FiscalDriver[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  for (const c of cleanups.splice(0)) c();
});

function ctx(clock: FakeClock, dataDir: string | null = null, deviceId = 1): DriverContext {
  return { deviceId, dataDir, clock, logger: pino({ level: 'silent' }) };
}

function emulator(clock = fakeClock(), config: Partial<EmulatorConfig> = {}, dataDir: string | null = null): EmulatorDriver {
  const d = emulatorDriver.create({ ...emulatorDriver.defaults(), ...config }, ctx(clock, dataDir)) as EmulatorDriver;
  drivers.push(d);
  return d;
}

const auto = { autoOpenShift: true };

describe('emulator driver factory', () => {
  it('describes itself and its config schema with titles, descriptions and defaults', () => {
    expect(emulatorDriver.model).toBe('emulator');
    expect(emulatorDriver.title).toEqual({ ru: 'Виртуальная касса (эмулятор)', en: 'Virtual register (emulator)' });
    expect(emulatorDriver.deviceModels).toEqual(['Virtual register']);
    for (const [name, prop] of Object.entries(emulatorConfigSchema.properties)) {
      expect(prop, name).toHaveProperty('title');
      expect(prop, name).toHaveProperty('description');
    }
    const defaults = Value.Default(emulatorConfigSchema, {});
    expect(defaults).toEqual(emulatorDriver.defaults());
    expect(Value.Check(emulatorConfigSchema, defaults)).toBe(true);
    expect(Value.Check(emulatorConfigSchema, { ...emulatorDriver.defaults(), ffd_version: '110' })).toBe(false);
    expect(isValidInn(EMULATOR_DEFAULTS.company_inn)).toBe(true);
    expect(EMULATOR_DEFAULTS.company_inn).toHaveLength(12);
    expect(isValidInn(EMULATOR_DEFAULTS.ofd_inn)).toBe(true);
  });

  it('keeps the FN memory in <dataDir>/devices/emulator-<id>.sqlite and continues after a restart', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const clock = fakeClock();
    const a = emulatorDriver.create(emulatorDriver.defaults(), ctx(clock, dir, 12));
    await a.open();
    const first = await a.register(receipt(), auto);
    await a.close();
    expect(existsSync(join(dir, 'devices', 'emulator-12.sqlite'))).toBe(true);
    const b = emulatorDriver.create(emulatorDriver.defaults(), ctx(clock, dir, 12));
    drivers.push(b);
    const second = await b.register(receipt(), auto);
    expect(second).toMatchObject({ fdNumber: first.fdNumber + 1, shiftNumber: 1, receiptInShift: 2 });
    expect((await b.registrationInfo()).fnSerial).toBe(first.registration.fnSerial);
  });

  it('register() returns the FN registration data; document(n) returns the archive document with its FNS JSON', async () => {
    const d = emulator(fakeClock(), { ffd_version: '120', company_name: 'ИП Тестов', tax_systems: 2 });
    const r = await d.register(receipt({ taxSystem: 2, email: 'x@y.ru' }), auto);
    expect(r.registration).toMatchObject({ ffdVersion: '120', companyName: 'ИП Тестов', taxSystems: 2, model: 'Virtual register', companyInn: EMULATOR_DEFAULTS.company_inn });
    expect(isValidRnm(r.registration.registrationNumber, r.registration.companyInn, r.registration.registratorSerial)).toBe(true);
    expect(r.registration.fnSerial).toMatch(/^9999\d{12}$/);
    expect(await d.lastFdNumber()).toBe(3);
    const doc = await d.document(3);
    expect(doc).toMatchObject({
      fdNumber: 3, kind: 'receipt', fiscalSign: r.fiscalSign, shiftNumber: 1, receiptInShift: 1, operationType: 1,
      taxSystem: 2, totalSum: 10_000, buyerContact: 'x@y.ru', itemCount: 1, dateTime: '2026-10-22T14:43:50+03:00',
    });
    expect(doc?.json).toHaveProperty('receipt.appliedTaxationType', 2);
    expect(await d.document(4)).toBeNull();
    expect(await d.verifyFiscalSign(3)).toBe(true);
    expect((await d.journal()).map((j) => j.kind)).toEqual(['registration', 'openShift', 'receipt']);
  });

  it('status() fills every field', async () => {
    const clock = fakeClock();
    const d = emulator(clock);
    await d.openShift(null);
    clock.advance(1000);
    expect(await d.status()).toEqual({
      dateTime: '2026-10-22T14:43:51+03:00',
      shift: { state: 'open', number: 1, openedAt: '2026-10-22T14:43:50+03:00', expiresAt: '2026-10-23T14:43:50+03:00', receiptsInShift: 0 },
      lastFdNumber: 2,
      fn: { serial: expect.stringMatching(/^9999/) as string, ffdVersion: '105', phase: 'fiscal', expiresAt: '2028-02-04T14:43:50+03:00', memoryUsed: 2 / 250_000 },
      ofd: { unsentCount: 2, oldestUnsentAt: '2026-10-22T14:43:50+03:00' },
      paperPresent: true,
      warnings: [],
    });
  });

  it('isEmulatorDriver() recognises a virtual register by identity, not by its members', () => {
    const d = emulator();
    expect(isEmulatorDriver(d)).toBe(true);
    // A copy has every member (faults included) but is not a driver this module made.
    const lookalike: FiscalDriver = { ...d };
    expect(isEmulatorDriver(lookalike)).toBe(false);
    expect(lookalike.faults).toBe(d.faults);
  });
});

describe('fault injection', () => {
  it('is never active unless injected', () => {
    expect(emulator().faults.active()).toEqual([]);
  });

  it('offline: nothing reaches the FN; `times` counts operations', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'offline' }, 2);
    expect(await rejectionOf(d.open())).toMatchObject({ kind: 'offline', code: 'device_offline', retryable: true });
    expect((await rejectionOf(d.register(receipt(), auto))).code).toBe('device_offline');
    expect(d.faults.active()).toEqual([]);
    expect(await d.lastFdNumber()).toBe(1);
  });

  it('lose_answer_after_close: the document IS in the journal, the answer is lost', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'lose_answer_after_close' }, 1);
    expect(await rejectionOf(d.register(receipt(), auto))).toMatchObject({ kind: 'in_doubt', code: 'answer_lost' });
    expect(await d.lastFdNumber()).toBe(3);
    expect(await d.document(3)).toMatchObject({ kind: 'receipt', totalSum: 10_000 });
    expect(await d.verifyFiscalSign(3)).toBe(true);
    // cleared after one operation
    expect((await d.register(receipt(), auto)).fdNumber).toBe(4);
  });

  it('disconnect_before_close: nothing is committed, yet the server only sees in_doubt', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'disconnect_before_close' });
    expect(await rejectionOf(d.register(receipt(), auto))).toMatchObject({ kind: 'in_doubt', code: 'answer_lost' });
    expect(await rejectionOf(d.openShift(null))).toMatchObject({ kind: 'in_doubt' });
    expect(d.faults.active()).toEqual([{ fault: { kind: 'disconnect_before_close' }, remaining: null }]);
    expect(await d.lastFdNumber()).toBe(1);
    expect((await d.journal()).map((j) => j.fdNumber)).toEqual([1]);
    expect((await d.status()).shift.state).toBe('closed');
    d.faults.clear('disconnect_before_close');
    expect((await d.register(receipt(), auto)).fdNumber).toBe(3);
  });

  it('paper_out: rejected, retryable, nothing committed, shown in status', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'paper_out' });
    expect(await rejectionOf(d.register(receipt(), auto))).toMatchObject({ kind: 'rejected', code: 'paper_out', retryable: true, deviceCode: '0x6B' });
    const s = await d.status();
    expect(s.paperPresent).toBe(false);
    expect(s.warnings).toContain('paper_out');
    expect(s.lastFdNumber).toBe(1);
    d.faults.clear();
    expect((await d.status()).paperPresent).toBe(true);
  });

  it('fn_full and fn_expired: refused with the FN codes, nothing committed', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'fn_full' }, 1);
    d.faults.inject({ kind: 'fn_expired' }, 1);
    expect(await rejectionOf(d.register(receipt(), auto))).toMatchObject({ code: 'fn_memory_full', retryable: false });
    expect(await rejectionOf(d.closeShift(null))).toMatchObject({ code: 'fn_expired' });
    expect(await d.lastFdNumber()).toBe(1);
    expect(d.faults.active()).toEqual([]);
  });

  it('slow: every operation waits (real timers)', async () => {
    const d = emulator();
    d.faults.inject({ kind: 'slow', delayMs: 60 }, 1);
    const started = performance.now();
    await d.lastFdNumber();
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(d.faults.active()).toEqual([]);
  });

  it('runtime OFD switch and state report', async () => {
    const clock = fakeClock();
    const d = emulator(clock, { ofd_enabled: false });
    await d.register(receipt(), auto);
    clock.advance(3 * 24 * 3600 * 1000);
    expect((await d.status()).warnings).toContain('ofd_timeout');
    const report = await d.stateReport();
    expect(report).toMatchObject({ fdNumber: 4, unsentCount: 3 });
    expect((await d.document(4))?.kind).toBe('stateReport');
    d.setOfdEnabled(true);
    clock.advance(EMULATOR_DEFAULTS.ofd_ack_delay_ms);
    expect((await d.status()).ofd.unsentCount).toBe(0);
  });
});

describe('marking (FFD 1.2): the virtual FN-M and its simulated marking operator', () => {
  const GS = '\u001d';
  const TAIL44 = 'MDEGCCqFAwcBAQICBEDtXGZOKlcSqtLpMmyaWoUr1hXM';
  // GTINs with valid check digits: shoes (91 + 92, 2100 = 4) and milk (93, 2100 = 5).
  const SHOES_GTIN = '04601234567893';
  const shoes = (serial: string): string => `01${SHOES_GTIN}21${serial}${GS}91EE06${GS}92${TAIL44}`;
  const MILK = `0104607654321015215Abc123${GS}93dGVz`;
  const check = (code: string, offline = false): MarkingCheckRequest => ({ code, plannedStatus: 1, measure: 0, quantity: null, fractional: null, offline });
  const markedItem = (code: string): ReceiptItem => ({
    ...item({ name: 'Маркированный товар', paymentObject: 33 }),
    ffd12: {
      marking: { code, plannedStatus: 1 }, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null,
      excise: null, countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [],
    },
  });
  const ffd12 = (clock = fakeClock(), config: Partial<EmulatorConfig> = {}): EmulatorDriver => emulator(clock, { ffd_version: '120', ...config });
  const checkAccept = async (d: EmulatorDriver, code: string, offline = false): Promise<number> => {
    await d.checkMarkingCode(check(code, offline));
    return d.acceptMarkingCode(true);
  };

  it('offers every operator answer in its config schema, and GTIN overrides keyed by GTIN-14 only', () => {
    const props = emulatorConfigSchema.properties;
    expect(props.marking_operator.anyOf.map((b) => b.const)).toEqual([...MARKING_OPERATOR_ANSWERS]);
    expect(Object.keys(props.marking_answers.patternProperties)).toEqual(['^\\d{14}$']);
    expect(Object.values(props.marking_answers.patternProperties)[0]?.anyOf.map((b) => b.const)).toEqual([...MARKING_OPERATOR_ANSWERS]);
    const base = emulatorDriver.defaults();
    expect(base).toMatchObject({ marking_operator: 'valid', marking_operator_delay_ms: 2000, marking_answers: {}, marking_fn_keys: 'all', marking_block_after_hours: 72 });
    expect(Value.Check(emulatorConfigSchema, { ...base, marking_answers: { [SHOES_GTIN]: 'sale_stopped' } })).toBe(true);
    expect(Value.Check(emulatorConfigSchema, { ...base, marking_answers: { '4601234567893': 'valid' } })).toBe(false);
    expect(Value.Check(emulatorConfigSchema, { ...base, marking_answers: { [SHOES_GTIN]: 'maybe' } })).toBe(false);
    expect(Value.Check(emulatorConfigSchema, { ...base, marking_fn_keys: 'some' })).toBe(false);
  });

  it('each configured operator answer gives its check result; slow answers after the delay', async () => {
    const results: Record<string, number> = {};
    for (const answer of MARKING_OPERATOR_ANSWERS) {
      const d = ffd12(fakeClock(), { marking_operator: answer, marking_operator_delay_ms: 40 });
      const started = performance.now();
      const r = await d.checkMarkingCode(check(shoes('ABCDEFGHIJKLM')));
      if (answer === 'slow') expect(performance.now() - started).toBeGreaterThanOrEqual(35);
      results[answer] = r.itemCheckResult;
      expect(await d.acceptMarkingCode(false)).toBe(r.itemCheckResult);
    }
    expect(results).toEqual({ valid: 15, invalid_code: 7, wrong_status: 7, sale_stopped: 7, unreachable: 19, slow: 15 });
    const noKeys = ffd12(fakeClock(), { marking_fn_keys: 'none' });
    expect(await noKeys.checkMarkingCode(check(shoes('ABCDEFGHIJKLM')))).toMatchObject({ codeType: 3, fn: { checked: false, reason: 'no_keys' }, itemCheckResult: 12 });
  });

  it('an offline check asks no operator: the FN result is autonomous and a marking fault stays for the next online check', async () => {
    const d = ffd12();
    d.faults.inject({ kind: 'marking_invalid' }, 1);
    expect(await d.checkMarkingCode(check(MILK, true))).toMatchObject({ operator: { answered: false, reason: 'not_asked' }, itemCheckResult: 19 });
    expect(d.faults.active()).toHaveLength(1);
    expect((await d.checkMarkingCode(check(MILK))).itemCheckResult).toBe(7);
    expect(d.faults.active()).toEqual([]);
  });

  it('per-GTIN answers put a valid and an invalid code in one receipt (2107 = 1)', async () => {
    const d = ffd12(fakeClock(), { marking_answers: { [SHOES_GTIN]: 'invalid_code' } });
    await d.clearMarkingCodes();
    const a = await checkAccept(d, shoes('ABCDEFGHIJKLM'));
    const b = await checkAccept(d, MILK);
    expect([a, b]).toEqual([7, 15]);
    const r = await d.register(receipt({ items: [markedItem(shoes('ABCDEFGHIJKLM')), markedItem(MILK)] }), { autoOpenShift: true, marking: [a, b] });
    const doc = (await d.rawJournal()).find((x) => x.fdNumber === r.fdNumber);
    expect(tagNumber(doc?.tags ?? [], 2107)).toBe(1);
    expect(await d.markingWork()).toMatchObject({ acceptedCount: 0, unconfirmed: { count: 1 } });
    expect((await d.notifications())[0]?.body.items.map((i) => i.itemCheckResult)).toEqual([7, 15]);
  });

  it('fault injection flips the operator answer for `times` checks', async () => {
    const d = ffd12();
    d.faults.inject({ kind: 'marking_wrong_status' }, 1);
    expect(await d.checkMarkingCode(check(MILK))).toMatchObject({ operator: { answered: true, itemStatus: 2, statusCorrect: false }, itemCheckResult: 7 });
    d.faults.inject({ kind: 'marking_sale_stopped' }, 1);
    expect(await d.checkMarkingCode(check(MILK))).toMatchObject({ operator: { answered: true, itemStatus: 3 }, itemCheckResult: 7 });
    d.faults.inject({ kind: 'marking_unreachable' }, 1);
    expect(await d.checkMarkingCode(check(MILK))).toMatchObject({ operator: { answered: false, reason: 'unreachable' }, itemCheckResult: 19 });
    d.faults.inject({ kind: 'marking_slow', delayMs: 40 }, 1);
    const started = performance.now();
    expect((await d.checkMarkingCode(check(MILK))).itemCheckResult).toBe(15);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(d.faults.active()).toEqual([]);
    expect((await d.checkMarkingCode(check(MILK))).itemCheckResult).toBe(15);
    // The device-level faults reach the marking calls too.
    d.faults.inject({ kind: 'offline' }, 1);
    expect(await rejectionOf(d.checkMarkingCode(check(MILK)))).toMatchObject({ kind: 'offline', code: 'device_offline' });
  });

  it('notifications wait while the operator is unreachable; marking blocks after the limit and unblocks once confirmed', async () => {
    const clock = fakeClock();
    const d = ffd12(clock, { marking_block_after_hours: 2 });
    d.faults.inject({ kind: 'marking_unreachable' });
    const a = await checkAccept(d, MILK);
    await d.register(receipt({ items: [markedItem(MILK)] }), { autoOpenShift: true, marking: [a] });
    clock.advance(HOUR_MS);
    expect(await d.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 1, oldestUnconfirmedAt: '2026-10-22T14:43:50+03:00' });
    clock.advance(HOUR_MS + 1);
    expect((await d.markingState()).blocked).toBe(true);
    expect(await rejectionOf(d.checkMarkingCode(check(shoes('ABCDEFGHIJKLM'))))).toMatchObject({ kind: 'rejected', code: 'marking_blocked', retryable: true });
    d.faults.clear('marking_unreachable');
    // The link comes back with the next operation; the operator confirms after ofd_ack_delay_ms.
    expect((await d.markingState()).unconfirmedNotifications).toBe(1);
    clock.advance(EMULATOR_DEFAULTS.ofd_ack_delay_ms);
    expect(await d.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 0, oldestUnconfirmedAt: null });
    expect((await d.checkMarkingCode(check(shoes('ABCDEFGHIJKLM')))).itemCheckResult).toBe(15);
  });

  it('a configured unreachable operator never confirms notifications', async () => {
    const clock = fakeClock();
    const d = ffd12(clock, { marking_operator: 'unreachable' });
    const a = await checkAccept(d, MILK);
    expect(a).toBe(19);
    await d.register(receipt({ items: [markedItem(MILK)] }), { autoOpenShift: true, marking: [a] });
    clock.advance(72 * HOUR_MS + 1);
    expect(await d.markingState()).toMatchObject({ blocked: true, unconfirmedNotifications: 1 });
  });

  it('a receipt with an unaccepted code is refused by the FN; saved results survive a restart', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const clock = fakeClock();
    const first = emulator(clock, { ffd_version: '120' }, dir);
    await first.checkMarkingCode(check(MILK));
    await first.acceptMarkingCode(false);
    expect(await rejectionOf(first.register(receipt({ items: [markedItem(MILK)] }), { autoOpenShift: true, marking: [15] })))
      .toMatchObject({ kind: 'rejected', code: 'invalid_document' });
    const a = await checkAccept(first, MILK);
    await first.close();
    const again = emulator(clock, { ffd_version: '120' }, dir);
    const r = await again.register(receipt({ items: [markedItem(MILK)] }), { autoOpenShift: true, marking: [a] });
    expect(r.fdNumber).toBe(3);
  });

  it('an FFD 1.05 register answers not_supported to every marking call', async () => {
    const d = emulator();
    for (const call of [d.checkMarkingCode(check(MILK)), d.acceptMarkingCode(true), d.clearMarkingCodes(), d.markingState()]) {
      expect(await rejectionOf(call)).toMatchObject({ kind: 'rejected', code: 'not_supported' });
    }
  });
});
