import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FiscalReceipt } from '../../domain/receipt.js';
import { DeviceError, systemClock } from '../driver.js';
import type { FiscalDriver, FiscalResult } from '../driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../emulator/index.js';
import type { EmulatorDriver } from '../emulator/index.js';
import { fakeClock, item, receipt, rejectionOf, tempDir } from '../fiscal-core/testing.js';
import { atolDefaults } from './config.js';
import { createAtolDriver } from './driver.js';
import { createAtolEmulator } from './emulator/server.js';
import type { AtolEmulator } from './emulator/server.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  inner: EmulatorDriver;
  emulator: AtolEmulator;
  driver: FiscalDriver;
  dir: string;
  stateFile: string;
  /** A second ATOL driver on the same uuid journal (a restarted cr-server process). */
  restartedDriver: () => FiscalDriver;
}

async function rig(opts: { username?: string; password?: string; driverAuth?: boolean; ffd?: '105' | '120' } = {}): Promise<Rig> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const clock = fakeClock();
  const inner = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: opts.ffd ?? '105' }, { deviceId: 1, dataDir: join(dir, 'fn'), logger, clock });
  cleanups.push(() => inner.close());
  const stateFile = join(dir, 'atol-queue.json');
  const emulator = createAtolEmulator({
    port: 0,
    driver: inner,
    stateFile,
    // Longer than the driver's poll interval, so the driver sees `blocked` before recovery.
    recoveryIntervalMs: 150,
    logger,
    ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
  });
  await emulator.listen();
  cleanups.push(() => emulator.close());
  const makeDriver = (): FiscalDriver =>
    createAtolDriver(
      {
        ...atolDefaults(),
        url: emulator.url,
        poll_interval_ms: 10,
        timeout_ms: 4000,
        ...(opts.driverAuth ? { username: opts.username ?? '', password: opts.password ?? '' } : {}),
      },
      { deviceId: 1, dataDir: join(dir, 'server'), logger, clock: systemClock },
    );
  return { inner, emulator, driver: makeDriver(), dir, stateFile, restartedDriver: makeDriver };
}

const receiptDocs = async (inner: EmulatorDriver): Promise<number> =>
  (await inner.journal()).filter((d) => d.kind === 'receipt' || d.kind === 'correction').length;

/** Resends until the outcome is known, as the server's in-doubt worker does. */
async function resolveInDoubt(driver: FiscalDriver, r: FiscalReceipt): Promise<FiscalResult> {
  for (let i = 0; i < 50; i++) {
    try {
      return await driver.register(r, { autoOpenShift: false });
    } catch (e) {
      const err = e as { kind?: string };
      if (err.kind !== 'in_doubt') throw e;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  throw new Error('still in doubt');
}

describe('ATOL driver ↔ web server emulator over HTTP', () => {
  it('registers receipts of every type (FFD 1.2) and reads them back from the FN', async () => {
    const { driver, inner } = await rig({ ffd: '120' });
    await driver.open();
    const shift = await driver.openShift({ name: 'Иванов И.И.', inn: null });
    expect(shift.shiftNumber).toBeGreaterThan(0);
    let lastFd = shift.fdNumber;
    for (const t of [1, 2, 4, 5, 7, 8, 9, 10] as const) {
      const r = receipt({ receiptType: t, items: [item({ price: 9999, quantity: 3_000_000 })], payments: [{ type: 0, sum: 30_000 }] });
      const res = await driver.register(r, { autoOpenShift: false });
      expect(res.fdNumber).toBe(lastFd + 1);
      lastFd = res.fdNumber;
      expect(res.total).toBe(29_997);
      expect(res.change).toBe(3);
      expect(res.fiscalSign).toMatch(/^\d+$/);
      expect(res.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
      expect(res.registration.fnSerial).toBe((await inner.registrationInfo()).fnSerial);
      const doc = await driver.document(res.fdNumber);
      expect(doc).toMatchObject({
        fdNumber: res.fdNumber,
        kind: t >= 7 ? 'correction' : 'receipt',
        fiscalSign: res.fiscalSign,
        totalSum: 29_997,
        receiptInShift: res.receiptInShift,
        itemCount: 1,
      });
      const original = await inner.document(res.fdNumber);
      expect(doc?.operationType).toBe(original?.operationType);
    }
    expect(await driver.lastFdNumber()).toBe(lastFd);
    expect(await driver.document(lastFd + 100)).toBeNull();
    expect(await receiptDocs(inner)).toBe(8);
  });

  it('opens and closes shifts, reports status, registration and X report', async () => {
    const { driver, inner } = await rig();
    const reg = await driver.registrationInfo();
    const innerReg = await inner.registrationInfo();
    expect(reg).toMatchObject({
      registrationNumber: innerReg.registrationNumber,
      fnSerial: innerReg.fnSerial,
      companyInn: innerReg.companyInn,
      taxSystems: innerReg.taxSystems,
      ffdVersion: innerReg.ffdVersion,
    });
    expect((await driver.status()).shift.state).toBe('closed');
    const opened = await driver.openShift(null);
    const s = await driver.status();
    expect(s.shift).toMatchObject({ state: 'open', number: opened.shiftNumber });
    expect(s.lastFdNumber).toBe(opened.fdNumber);
    expect(s.shift.expiresAt).not.toBeNull();
    await driver.register(receipt({ items: [item({ price: 12_345 })] }), { autoOpenShift: false });
    await driver.register(receipt({ receiptType: 2, items: [item({ price: 345 })] }), { autoOpenShift: false });
    const x = await driver.xReport();
    expect(x).toMatchObject({ shiftNumber: opened.shiftNumber, receiptsInShift: 2, totals: { sell: 12_345, sellReturn: 345, buy: 0, buyReturn: 0 } });
    expect((await rejectionOf(driver.openShift(null))).code).toBe('shift_already_open');
    const closed = await driver.closeShift(null);
    expect(closed.fdNumber).toBeGreaterThan(opened.fdNumber);
    expect((await driver.status()).shift.state).toBe('closed');
  });

  it('maps device refusals to stable codes with the ATOL error code', async () => {
    const { driver, inner } = await rig();
    const closedShift = await rejectionOf(driver.register(receipt(), { autoOpenShift: false }));
    expect(closedShift).toMatchObject({ kind: 'rejected', code: 'shift_closed', deviceCode: '73', retryable: true });
    // autoOpenShift opens the shift first
    await driver.register(receipt(), { autoOpenShift: true });
    const underpaid = await rejectionOf(driver.register(receipt({ payments: [{ type: 0, sum: 100 }] }), { autoOpenShift: false }));
    expect(underpaid).toMatchObject({ kind: 'rejected', code: 'insufficient_payment', deviceCode: '66', retryable: false });
    const noncash = await rejectionOf(driver.register(receipt({ payments: [{ type: 1, sum: 20_000 }] }), { autoOpenShift: false }));
    expect(noncash).toMatchObject({ kind: 'rejected', code: 'noncash_exceeds_total', deviceCode: '52' });
    inner.faults.inject({ kind: 'paper_out' }, 1);
    expect(await rejectionOf(driver.register(receipt(), { autoOpenShift: false }))).toMatchObject({
      kind: 'rejected',
      code: 'paper_out',
      deviceCode: '44',
      retryable: true,
    });
    inner.faults.inject({ kind: 'offline' }, 1);
    expect(await rejectionOf(driver.register(receipt(), { autoOpenShift: false }))).toMatchObject({ kind: 'offline' });
    expect(await receiptDocs(inner)).toBe(1);
  });

  it('reports offline when the web server is not running', async () => {
    const { driver, emulator } = await rig();
    await emulator.close();
    expect(await rejectionOf(driver.open())).toMatchObject({ kind: 'offline', code: 'device_offline' });
    expect(await rejectionOf(driver.register(receipt(), { autoOpenShift: false }))).toMatchObject({ kind: 'offline' });
  });

  it('answer lost after the FN closed the receipt: blocked → in_doubt, resend resolves without a duplicate', async () => {
    const { driver, inner } = await rig();
    await driver.openShift(null);
    const r = receipt({ items: [item({ price: 777 })] });
    inner.faults.inject({ kind: 'lose_answer_after_close' }, 1);
    const err = await rejectionOf(driver.register(r, { autoOpenShift: false }));
    expect(err).toMatchObject({ kind: 'in_doubt', code: 'answer_lost' });
    const res = await resolveInDoubt(driver, r);
    expect(await receiptDocs(inner)).toBe(1);
    expect(res.fdNumber).toBe(await inner.lastFdNumber());
    expect(res.total).toBe(777);
    // The same content again is a new sale, not a resend: it must make a second document.
    await driver.register(r, { autoOpenShift: false });
    expect(await receiptDocs(inner)).toBe(2);
  });

  it('connection lost before the FN closed: blocked → in_doubt, then not fiscalized, and the retry makes exactly one', async () => {
    const { driver, inner } = await rig();
    await driver.openShift(null);
    const r = receipt();
    inner.faults.inject({ kind: 'disconnect_before_close' }, 1);
    expect((await rejectionOf(driver.register(r, { autoOpenShift: false }))).kind).toBe('in_doubt');
    let outcome: FiscalResult | null = null;
    for (let i = 0; i < 50 && outcome === null; i++) {
      try {
        outcome = await driver.register(r, { autoOpenShift: false });
      } catch (e) {
        // in_doubt while still blocked, then offline once the web server found no new FD
        expect(['in_doubt', 'offline']).toContain((e as { kind: string }).kind);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    expect(outcome).not.toBeNull();
    expect(await receiptDocs(inner)).toBe(1);
  });

  it('web server killed mid-receipt and restarted on the same state: exactly one document', async () => {
    const { inner, emulator, driver, stateFile } = await rig();
    await driver.openShift(null);
    const port = new URL(emulator.url).port;
    // The register closes the document in the FN, then the process "dies" before recording it.
    let hang = true;
    const dying: FiscalDriver = {
      ...inner,
      register: async (rc, o) => {
        const res = await inner.register(rc, o);
        if (hang) await new Promise<never>(() => undefined);
        return res;
      },
    };
    await emulator.close();
    const first = createAtolEmulator({ port: Number(port), driver: dying, stateFile, recoveryIntervalMs: 50, logger });
    await first.listen();
    const before = await inner.lastFdNumber();
    const r = receipt({ items: [item({ price: 4242 })] });
    const pending = driver.register(r, { autoOpenShift: false }).catch((e: unknown) => e);
    for (let i = 0; i < 200 && (await inner.lastFdNumber()) === before; i++) await new Promise((res) => setTimeout(res, 10));
    expect(await inner.lastFdNumber()).toBe(before + 1);
    await first.close();
    hang = false;
    const second = createAtolEmulator({ port: Number(port), driver: inner, stateFile, recoveryIntervalMs: 50, logger });
    await second.listen();
    cleanups.push(() => second.close());
    // The restarted web server finds the subtask it was running and blocks on it until the FD
    // comparison; the driver polling meanwhile sees `blocked` (in doubt) and resends.
    const first_ = await pending;
    if (first_ instanceof DeviceError) expect(first_.kind).toBe('in_doubt');
    const res = first_ instanceof DeviceError ? await resolveInDoubt(driver, r) : (first_ as FiscalResult);
    expect(res.fdNumber).toBe(before + 1);
    expect(res.total).toBe(4242);
    expect(await receiptDocs(inner)).toBe(1);
  });

  it('a restarted server resending an in-doubt receipt gets the existing request (409), not a new document', async () => {
    const { driver, inner, restartedDriver } = await rig();
    await driver.openShift(null);
    const r = receipt({ items: [item({ price: 1500 })] });
    inner.faults.inject({ kind: 'lose_answer_after_close' }, 1);
    expect((await rejectionOf(driver.register(r, { autoOpenShift: false }))).kind).toBe('in_doubt');
    const res = await resolveInDoubt(restartedDriver(), r);
    expect(res.total).toBe(1500);
    expect(await receiptDocs(inner)).toBe(1);
  });

  it('the web server answers 409 to a duplicate uuid and runs the request once', async () => {
    const { emulator, inner, driver } = await rig();
    await driver.openShift(null);
    const task = {
      type: 'sell',
      taxationType: 'osn',
      electronically: true,
      items: [{ type: 'position', name: 'x', price: 0.1, quantity: 3, amount: 0.3, tax: { type: 'vat20' }, paymentMethod: 'fullPayment', paymentObject: 'commodity' }],
      payments: [{ type: 'cash', sum: 0.3 }],
      total: 0.3,
    };
    const post = (): Promise<Response> =>
      fetch(`${emulator.url}/api/v2/requests`, { method: 'POST', body: JSON.stringify({ uuid: 'dup-1', request: [task] }) });
    expect((await post()).status).toBe(201);
    expect((await post()).status).toBe(409);
    let body: { results: { status: string; result: { fiscalParams: { total: number } } | null }[] } = { results: [] };
    for (let i = 0; i < 100; i++) {
      body = (await (await fetch(`${emulator.url}/api/v2/requests/dup-1`)).json()) as typeof body;
      if (body.results[0]?.status === 'ready') break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(body.results[0]?.status).toBe('ready');
    expect(body.results[0]?.result?.fiscalParams.total).toBe(0.3);
    expect((await post()).status).toBe(409);
    expect(await receiptDocs(inner)).toBe(1);
    expect((await fetch(`${emulator.url}/api/v2/requests/nope`)).status).toBe(404);
    expect((await fetch(`${emulator.url}/api/v2/requests`, { method: 'POST', body: '{"request":[]}' })).status).toBe(400);
  });

  it('requires Basic auth when configured', async () => {
    const locked = await rig({ username: 'kassa', password: 's3cret' });
    expect(await rejectionOf(locked.driver.open())).toMatchObject({ kind: 'offline', deviceCode: 'HTTP 401' });
    const open = await rig({ username: 'kassa', password: 's3cret', driverAuth: true });
    await open.driver.open();
    expect((await open.driver.status()).shift.state).toBe('closed');
  });
});

describe('runAtolEmulatorCli', () => {
  it('serves the virtual register from a data dir and keeps its FN across restarts', async () => {
    const { runAtolEmulatorCli } = await import('./emulator/cli.js');
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const args = ['--port', '0', '--data-dir', dir, '--config', '{"ffd_version":"120"}', '--recovery-interval-ms', '50'];
    const ctx = { deviceId: 7, dataDir: join(dir, 'server'), logger, clock: systemClock };
    const first = await runAtolEmulatorCli(args, logger);
    if (first === null) throw new Error('no handle');
    const d1 = createAtolDriver({ ...atolDefaults(), url: first.url, poll_interval_ms: 10, timeout_ms: 4000 }, ctx);
    expect((await d1.registrationInfo()).ffdVersion).toBe('120');
    const opened = await d1.openShift(null);
    await first.close();
    const second = await runAtolEmulatorCli(args, logger);
    if (second === null) throw new Error('no handle');
    cleanups.push(() => second.close());
    const d2 = createAtolDriver({ ...atolDefaults(), url: second.url, poll_interval_ms: 10, timeout_ms: 4000 }, ctx);
    expect(await d2.lastFdNumber()).toBe(opened.fdNumber);
    expect((await d2.status()).shift.state).toBe('open');
    await expect(runAtolEmulatorCli(['--config', '{"company_inn":"x"}', '--port', '0', '--data-dir', dir], logger)).rejects.toThrow(/company_inn/);
  });
});
