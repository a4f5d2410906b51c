/**
 * Closing the FN archive through ATOL: the driver's `closeArchive` → HTTP → the web server
 * emulator's `closeArchive` task (json_closeArchive.js of the driver's task scripts: `operator`,
 * `electronically`, then LIBFPTR_FNOP_CLOSE_ARCHIVE and getFiscalDocumentResult) → the virtual
 * register's FN, which then refuses every fiscal document.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { atolDriver } from '../../src/devices/atol/index.js';
import { createAtolEmulator } from '../../src/devices/atol/emulator/index.js';
import { ATOL_ERRORS } from '../../src/devices/atol/errors.js';
import { systemClock, type FiscalDriver } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import type { EmulatorDriver } from '../../src/devices/emulator/index.js';
import { receipt, rejectionOf } from '../../src/devices/fiscal-core/testing.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Json = Record<string, unknown>;
interface Subtask {
  status: string;
  errorCode: number;
  errorDescription: string;
  result: Json | null;
}

/** The ATOL driver over HTTP to the emulator in front of `behind` (the virtual register by default). */
async function rig(ffd: '105' | '120', behind?: (register: EmulatorDriver) => FiscalDriver) {
  const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: ffd }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
  const emulator = createAtolEmulator({ port: 0, driver: behind ? behind(register) : register, recoveryIntervalMs: 100, logger });
  await emulator.listen();
  const driver = atolDriver.create({ ...atolDriver.defaults(), url: emulator.url, poll_interval_ms: 10, timeout_ms: 5000 }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
  cleanups.push(async () => {
    await emulator.close();
    await register.close();
  });
  /** One request of raw tasks, polled until it has finished. */
  const run = async (tasks: Json[]): Promise<Subtask[]> => {
    const uuid = `close-archive-${Date.now()}-${Math.random()}`;
    const sent = await fetch(`${emulator.url}/api/v2/requests`, { method: 'POST', body: JSON.stringify({ uuid, request: tasks }) });
    expect(sent.status).toBe(201);
    for (let i = 0; i < 300; i++) {
      const r = (await (await fetch(`${emulator.url}/api/v2/requests/${uuid}`)).json()) as { results: Subtask[] };
      if (r.results.every((s) => !['wait', 'inProgress', 'blocked'].includes(s.status))) return r.results;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`request ${uuid} did not finish`);
  };
  return { register, driver, run };
}

describe('ATOL closeArchive', () => {
  for (const ffd of ['105', '120'] as const) {
    it(`closes the FN archive with the shift closed; the FN then refuses documents (FFD ${ffd})`, async () => {
      const { register, driver } = await rig(ffd);
      expect(atolDriver.capabilities?.closeArchive).toBe(true);
      const closeArchive = driver.closeArchive?.bind(driver);
      if (!closeArchive) throw new Error('the ATOL driver closes the FN archive');

      await driver.openShift(null);
      // DENIED_IN_OPENED_SHIFT (83) → shift_already_open; no document.
      const open = await rejectionOf(closeArchive({ name: 'Иванов И.И.', inn: null }));
      expect(open).toMatchObject({ kind: 'rejected', code: 'shift_already_open', deviceCode: String(ATOL_ERRORS.DENIED_IN_OPENED_SHIFT) });
      await driver.closeShift(null);
      const before = await driver.lastFdNumber();

      const closed = await closeArchive({ name: 'Иванов И.И.', inn: null });
      expect(closed.fdNumber).toBe(before + 1);
      expect(closed.fiscalSign).toMatch(/^\d+$/);
      expect(closed.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
      // The same document read back from the register behind the emulator and through getFnDocument.
      const inFn = await register.document(closed.fdNumber);
      expect(inFn).toMatchObject({ kind: 'closeArchive', fiscalSign: closed.fiscalSign });
      const read = await driver.document(closed.fdNumber);
      expect(read).toMatchObject({ fdNumber: closed.fdNumber, kind: 'closeArchive', fiscalSign: closed.fiscalSign });
      expect(Object.keys(read?.json ?? {})).toEqual(['closeArchive']);
      expect(read?.json.closeArchive).toMatchObject({ code: 6, fiscalDocumentNumber: closed.fdNumber });

      // livePhase postFiscalMode; every fiscal task refused with FN_INVALID_STATE (117).
      expect((await driver.status()).fn.phase).toBe('closed');
      for (const refused of [
        await rejectionOf(driver.register(receipt(), { autoOpenShift: true })),
        await rejectionOf(driver.openShift(null)),
        await rejectionOf(driver.register(receipt({ receiptType: 7 }), { autoOpenShift: false })),
        await rejectionOf(closeArchive(null)),
      ]) {
        expect(refused).toMatchObject({ kind: 'rejected', code: 'fn_archive_closed', deviceCode: String(ATOL_ERRORS.FN_INVALID_STATE) });
      }
      expect(await driver.lastFdNumber()).toBe(closed.fdNumber);
    });
  }

  it('answers the task as the script does: fiscalParams of the document; a malformed operator is the parse error', async () => {
    const { run } = await rig('120');
    const [bad] = await run([{ type: 'closeArchive', operator: { name: 5 } }]);
    expect(bad).toMatchObject({ status: 'error', errorCode: ATOL_ERRORS.RECEIPT_PARSE_ERROR });
    const [done] = await run([{ type: 'closeArchive', operator: { name: 'Иванов И.И.', vatin: '500100732259' }, electronically: true }]);
    expect(done?.status).toBe('ready');
    expect(done?.result).toMatchObject({ fiscalParams: { fiscalDocumentNumber: 2, shiftNumber: 0 }, warnings: { notPrinted: false } });
    expect(Object.keys((done?.result?.fiscalParams ?? {}) as Json).sort()).toEqual(
      ['fiscalDocumentDateTime', 'fiscalDocumentNumber', 'fiscalDocumentSign', 'fnNumber', 'registrationNumber', 'shiftNumber'],
    );
    const [again] = await run([{ type: 'openShift' }]);
    expect(again).toMatchObject({ status: 'error', errorCode: ATOL_ERRORS.FN_INVALID_STATE });
  });

  it('answers NOT_SUPPORTED (11) when the register behind it cannot close its archive', async () => {
    const { run } = await rig('105', (register) => {
      // The same register seen through a FiscalDriver without the optional operation.
      const cannot: FiscalDriver = { ...register };
      delete cannot.closeArchive;
      return cannot;
    });
    const [r] = await run([{ type: 'closeArchive' }]);
    expect(r).toMatchObject({ status: 'error', errorCode: ATOL_ERRORS.NOT_SUPPORTED });
  });
});
