import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Value } from 'typebox/value';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriverContext, FiscalDriver } from '../driver.js';
import { isValidInn, isValidRnm } from '../fiscal-core/identifiers.js';
import { fakeClock, receipt, rejectionOf, tempDir } from '../fiscal-core/testing.js';
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
