import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorDefaults } from '../emulator/config.js';
import { createEmulatorDriver } from '../emulator/emulator-driver.js';
import { DAY_MS } from './datetime.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice, FiscalDeviceOptions } from './fiscal-device.js';
import { verifyFiscalSign } from './fiscal-sign.js';
import { toFnsJson } from './ofd-json.js';
import { DOC_CODES, TAG } from './tags.js';
import { fakeClock, receipt, rejection, rejectionOf, tempDir } from './testing.js';
import type { FakeClock } from './testing.js';
import { tagNumber, tagString } from '../ffd/tag-list.js';
import pino from 'pino';

/**
 * Closing the FN archive (the report on closing the FN, document 6, FNS JSON `closeArchive`): the
 * FN's last fiscal document. It needs the shift closed, joins the OFD outbox, and leaves the FN in
 * its closed phase, refusing every fiscal document, across restarts.
 */
const open: FiscalDevice[] = [];
const dirs: (() => void)[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
  for (const cleanup of dirs.splice(0)) cleanup();
});

function device(clock: FakeClock, o: Partial<FiscalDeviceOptions> = {}): FiscalDevice {
  const d = openFiscalDevice({ file: ':memory:', seed: '11', clock, ...o });
  open.push(d);
  return d;
}

const cashier = { name: 'Петров П.П.', inn: '500100732259' };

describe('closing the FN archive', () => {
  it('is refused while a shift is open, and made once the shift is closed', () => {
    const clock = fakeClock();
    const d = device(clock);
    d.openShift(cashier);
    d.register(receipt(), { autoOpenShift: false });
    const refused = rejection(() => d.closeArchive(cashier));
    expect(refused).toMatchObject({ kind: 'rejected', code: 'shift_already_open', retryable: false });
    // A refusal makes no document.
    expect(d.lastFdNumber()).toBe(3);

    clock.advance(1000);
    d.closeShift(cashier);
    clock.advance(1000);
    const closed = d.closeArchive(cashier);
    expect(closed).toMatchObject({ fdNumber: 5, dateTime: '2026-10-22T14:43:52+03:00' });
    expect(closed.fiscalSign).toMatch(/^\d+$/);
    expect(d.archiveClosed()).toBe(true);
    expect(d.status().fn.phase).toBe('closed');
  });

  it('writes document 6 with the tags of the OFD schema, signed, into the journal and the OFD outbox', () => {
    const clock = fakeClock();
    const d = device(clock, { ofdEnabled: false, identity: { ffdVersion: '120', automaticMode: false } });
    d.openShift(cashier);
    d.register(receipt(), { autoOpenShift: false });
    d.closeShift(cashier);
    const closed = d.closeArchive(cashier);
    const doc = d.document(closed.fdNumber);
    expect(doc?.code).toBe(DOC_CODES.closeArchive);
    expect(doc && verifyFiscalSign(d.secret, { code: doc.code, tags: doc.tags })).toBe(true);
    expect(d.journal().at(-1)?.fdNumber).toBe(closed.fdNumber);
    const tags = doc?.tags ?? [];
    // 1040, 1041, 1037, 1018, 1021 / 1203 (a register with a cashier), 1038 the last shift, 1209 = 4.
    expect(tagNumber(tags, TAG.fdNumber)).toBe(closed.fdNumber);
    expect(tagString(tags, TAG.fnSerial)).toBe(d.identity.fnSerial);
    expect(tagString(tags, TAG.rnm)).toBe(d.identity.rnm);
    expect(tagString(tags, TAG.operator)).toBe(cashier.name);
    expect(tagNumber(tags, TAG.shiftNumber)).toBe(1);
    expect(tagNumber(tags, TAG.ffdVersion)).toBe(4);
    // FFD 1.2: the FN's sum counters (1157) close the archive's account.
    expect(tags.some(([t]) => t === TAG.fnSums)).toBe(true);
    const json = toFnsJson(doc ?? { fdNumber: 0, code: 6, tags: [], fiscalSign: '', createdAt: 0, ofdAckedAt: null });
    expect(json).toMatchObject({
      closeArchive: {
        code: 6, fiscalDocumentNumber: closed.fdNumber, fiscalDriveNumber: d.identity.fnSerial, kktRegId: d.identity.rnm,
        operator: cashier.name, operatorInn: cashier.inn, shiftNumber: 1, fiscalDocumentFormatVer: 4, fiscalSign: Number(closed.fiscalSign),
      },
    });
    // With the OFD down it waits in the outbox like any other document.
    const status = d.status();
    expect(status.ofd.unsentCount).toBe(d.lastFdNumber());
  });

  it('is not blocked by an OFD backlog or an expired FN', () => {
    const clock = fakeClock();
    const d = device(clock, { ofdEnabled: false, identity: { fnLifetimeDays: 40 } });
    d.openShift(null);
    d.register(receipt(), { autoOpenShift: false });
    d.closeShift(null);
    clock.advance(45 * DAY_MS);
    // Both a 30-day backlog and the end of the FN's life refuse a receipt, never the archive's close.
    expect(rejection(() => d.openShift(null)).code).toBe('fn_expired');
    expect(d.closeArchive(null).fdNumber).toBe(5);
  });

  it('refuses every fiscal document afterwards with fn_archive_closed, and a second close', () => {
    const clock = fakeClock();
    const d = device(clock, { identity: { ffdVersion: '120' } });
    d.closeArchive(null);
    const last = d.lastFdNumber();
    const refusals = [
      rejection(() => d.register(receipt(), { autoOpenShift: true })),
      rejection(() => d.openShift(cashier)),
      rejection(() => d.register(receipt({ receiptType: 7 }), { autoOpenShift: true })),
      rejection(() => d.closeShift(cashier)),
      rejection(() => d.stateReport()),
      rejection(() => d.closeArchive(null)),
    ];
    for (const e of refusals) expect(e).toMatchObject({ kind: 'rejected', code: 'fn_archive_closed', deviceCode: '0x02', retryable: false });
    expect(refusals[0]?.message).toMatch(/archive is closed/);
    expect(d.lastFdNumber()).toBe(last);
  });

  it('survives reopening the FN memory', () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const file = join(dir, 'fn.sqlite');
    const clock = fakeClock();
    const first = openFiscalDevice({ file, seed: '12', clock });
    const closed = first.closeArchive(null);
    first.close();

    const again = device(clock, { file, seed: '12' });
    expect(again.archiveClosed()).toBe(true);
    expect(again.status().fn.phase).toBe('closed');
    expect(again.document(closed.fdNumber)?.code).toBe(6);
    expect(rejection(() => again.openShift(null)).code).toBe('fn_archive_closed');
  });

  it('an FN memory written before the archive-close state reads as open', () => {
    const clock = fakeClock();
    const d = device(clock);
    // What an older store holds: the state JSON without `archiveClosed`.
    expect(d.archiveClosed()).toBe(false);
    expect(d.status().fn.phase).toBe('fiscal');
  });
});

describe('the virtual register closes its FN archive', () => {
  it('through FiscalDriver.closeArchive, readable through document() as closeArchive', async () => {
    const clock = fakeClock();
    const driver = createEmulatorDriver({ ...emulatorDefaults(), ofd_ack_delay_ms: 10 }, {
      deviceId: 901, dataDir: null, logger: pino({ level: 'silent' }), clock,
    });
    try {
      await driver.openShift(null);
      expect((await rejectionOf(driver.closeArchive(null))).code).toBe('shift_already_open');
      await driver.closeShift(null);
      const closed = await driver.closeArchive(null);
      const doc = await driver.document(closed.fdNumber);
      expect(doc).toMatchObject({ fdNumber: closed.fdNumber, kind: 'closeArchive', fiscalSign: closed.fiscalSign, dateTime: closed.dateTime, receiptInShift: null, totalSum: null });
      expect(Object.keys(doc?.json ?? {})).toEqual(['closeArchive']);
      expect((await driver.status()).fn.phase).toBe('closed');
      expect((await rejectionOf(driver.register(receipt(), { autoOpenShift: true }))).code).toBe('fn_archive_closed');
      expect(await driver.lastFdNumber()).toBe(closed.fdNumber);
    } finally {
      await driver.close();
    }
  });
});
