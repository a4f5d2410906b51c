import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from './datetime.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice, FiscalDeviceOptions } from './fiscal-device.js';
import { verifyFiscalSign } from './fiscal-sign.js';
import { isValidRnm } from './identifiers.js';
import { wallIso, wallSecondsAt } from '../ffd/wall-time.js';
import { toFnsJson } from './ofd-json.js';
import { TAG } from './tags.js';
import { fakeClock, item, receipt, rejection, tempDir, T0 } from './testing.js';
import type { FakeClock } from './testing.js';
import { tagNumber } from '../ffd/tag-list.js';

const open: FiscalDevice[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

function device(clock: FakeClock, o: Partial<FiscalDeviceOptions> = {}): FiscalDevice {
  const d = openFiscalDevice({ file: ':memory:', seed: '7', clock, ...o });
  open.push(d);
  return d;
}

const cashier = { name: 'Петров П.П.', inn: '500100732259' };

describe('counters', () => {
  it('registration report is FD 1; every document takes the next FD number; 1042 restarts per shift', () => {
    const clock = fakeClock();
    const d = device(clock);
    expect(d.lastFdNumber()).toBe(1);
    expect(d.document(1)?.code).toBe(1);
    expect(d.shiftState()).toBe('closed');

    const s1 = d.openShift(cashier);
    expect(s1).toMatchObject({ fdNumber: 2, shiftNumber: 1, dateTime: '2026-10-22T14:43:50+03:00' });
    const r1 = d.register(receipt(), { autoOpenShift: false });
    const r2 = d.register(receipt({ receiptType: 2 }), { autoOpenShift: false });
    expect([r1.fdNumber, r1.receiptInShift, r2.fdNumber, r2.receiptInShift]).toEqual([3, 1, 4, 2]);
    const state = d.stateReport();
    expect(state.fdNumber).toBe(5);
    const c1 = d.closeShift(cashier);
    expect(c1).toMatchObject({ fdNumber: 6, shiftNumber: 1 });
    const close = d.document(6);
    expect(close && tagNumber(close.tags, TAG.shiftFdCount)).toBe(5);
    expect(close && tagNumber(close.tags, TAG.shiftReceiptCount)).toBe(2);

    const s2 = d.openShift(null);
    expect(s2).toMatchObject({ fdNumber: 7, shiftNumber: 2 });
    expect(d.register(receipt(), { autoOpenShift: false })).toMatchObject({ fdNumber: 8, shiftNumber: 2, receiptInShift: 1 });
    expect(d.journal().map((j) => j.fdNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('auto-opens a closed shift with an open-shift report before the receipt', () => {
    const d = device(fakeClock());
    const r = d.register(receipt(), { autoOpenShift: true });
    expect(r).toMatchObject({ fdNumber: 3, shiftNumber: 1, receiptInShift: 1 });
    expect(d.document(2)?.code).toBe(2);
  });

  it('a refused receipt takes no number and does not auto-open the shift', () => {
    const d = device(fakeClock());
    const bad = receipt({ payments: [{ type: 0, sum: 1 }] });
    expect(rejection(() => d.register(bad, { autoOpenShift: true })).code).toBe('insufficient_payment');
    expect(d.lastFdNumber()).toBe(1);
    expect(d.shiftState()).toBe('closed');
  });

  it('X-report returns shift totals by 1054 without a fiscal document', () => {
    const d = device(fakeClock());
    d.openShift(null);
    d.register(receipt({ items: [item({ price: 15_000 })] }), { autoOpenShift: false });
    d.register(receipt({ receiptType: 2, items: [item({ price: 5_000 })] }), { autoOpenShift: false });
    d.register(receipt({ receiptType: 4, items: [item({ price: 700 })] }), { autoOpenShift: false });
    const x = d.xReport();
    expect(x).toMatchObject({ shiftNumber: 1, receiptsInShift: 3, fdNumber: null, totals: { sell: 15_000, sellReturn: 5_000, buy: 700, buyReturn: 0 } });
    expect(d.lastFdNumber()).toBe(5);
  });

  it('shift state errors: open twice, close a closed shift, receipt in a closed shift', () => {
    const d = device(fakeClock());
    expect(rejection(() => d.closeShift(null))).toMatchObject({ code: 'shift_closed', kind: 'rejected' });
    expect(rejection(() => d.register(receipt(), { autoOpenShift: false }))).toMatchObject({ code: 'shift_closed', retryable: true });
    d.openShift(null);
    expect(rejection(() => d.openShift(null))).toMatchObject({ code: 'shift_already_open', deviceCode: '0x02' });
  });
});

describe('24 h shift', () => {
  it('refuses receipts once the shift is 24 h old until it is closed', () => {
    const clock = fakeClock();
    const d = device(clock);
    d.openShift(null);
    clock.advance(23 * HOUR_MS + 30 * 60_000);
    expect(d.status().warnings).toContain('shift_expires_soon');
    expect(d.status().shift.expiresAt).toBe('2026-10-23T14:43:50+03:00');
    d.register(receipt(), { autoOpenShift: false });
    clock.advance(30 * 60_000);
    expect(d.shiftState()).toBe('expired');
    expect(d.status().shift.state).toBe('expired');
    const e = rejection(() => d.register(receipt(), { autoOpenShift: true }));
    expect(e).toMatchObject({ code: 'shift_expired', deviceCode: '0x16', retryable: true });
    expect(rejection(() => d.openShift(null)).code).toBe('shift_already_open');
    d.closeShift(null);
    expect(d.register(receipt(), { autoOpenShift: true })).toMatchObject({ shiftNumber: 2, receiptInShift: 1 });
  });
});

describe('time', () => {
  it('refuses a document dated before the last one (FN 0x17), accepts the same second', () => {
    const clock = fakeClock();
    const d = device(clock);
    d.openShift(null);
    clock.advance(400);
    d.register(receipt(), { autoOpenShift: false });
    clock.advance(-5_000);
    expect(rejection(() => d.register(receipt(), { autoOpenShift: false }))).toMatchObject({ code: 'invalid_datetime', deviceCode: '0x17' });
    expect(rejection(() => d.closeShift(null)).code).toBe('invalid_datetime');
  });

  it('renders dateTime with the configured offset', () => {
    const d = device(fakeClock(), { timezoneOffset: '+07:00' });
    expect(d.openShift(null).dateTime).toBe('2026-10-22T18:43:50+07:00');
    const neg = device(fakeClock(), { timezoneOffset: '-02:30', seed: '8' });
    expect(neg.status().dateTime).toBe('2026-10-22T09:13:50-02:30');
  });
});

describe('journal and fiscal sign', () => {
  it('every document verifies against the device secret; tampering or another secret fails', () => {
    const d = device(fakeClock());
    d.register(receipt(), { autoOpenShift: true });
    d.closeShift(null);
    for (const doc of d.journal()) expect(verifyFiscalSign(d.secret, doc)).toBe(true);
    const r = d.document(3);
    if (!r) throw new Error('no receipt');
    expect(tagNumber(r.tags, TAG.fiscalSign)).toBe(Number(r.fiscalSign));
    const tampered = { ...r, tags: r.tags.map(([t, v]) => (t === TAG.total ? ([t, 1] as const) : ([t, v] as const))) };
    expect(verifyFiscalSign(d.secret, tampered)).toBe(false);
    expect(verifyFiscalSign(Buffer.alloc(32, 1), r)).toBe(false);
    expect(verifyFiscalSign(d.secret, { ...r, code: 31 })).toBe(false);
  });

  it('renders the FNS/OFD JSON of each document type', () => {
    const d = device(fakeClock());
    const r = d.register(receipt({ email: 'a@b.ru', payments: [{ type: 0, sum: 20_000 }] }), { autoOpenShift: true });
    expect(r.change).toBe(10_000);
    d.stateReport();
    d.closeShift(null);
    const [reg, openS, rec, state, closeS] = d.journal().map(toFnsJson);
    expect(Object.keys(reg ?? {})).toEqual(['fiscalReport']);
    expect(Object.keys(openS ?? {})).toEqual(['openShift']);
    expect(Object.keys(state ?? {})).toEqual(['currentStateReport']);
    expect(Object.keys(closeS ?? {})).toEqual(['closeShift']);
    expect(rec?.receipt).toMatchObject({
      code: 3, fiscalDocumentFormatVer: 2, fiscalDocumentNumber: 3, shiftNumber: 1, requestNumber: 1,
      dateTime: wallIso(wallSecondsAt(T0, 180)), operationType: 1, taxationType: 1, totalSum: 10_000, cashTotalSum: 10_000,
      ecashTotalSum: 0, prepaidSum: 0, creditSum: 0, provisionSum: 0, nds18: 1667, buyerPhoneOrAddress: 'a@b.ru',
      operator: 'Иванов И.И.', kktRegId: d.identity.rnm, fiscalDriveNumber: d.identity.fnSerial, fiscalSign: Number(r.fiscalSign),
      items: [{ name: 'Товар', price: 10_000, quantity: 1, sum: 10_000, nds: 1, ndsSum: 1667, productType: 1, paymentType: 4 }],
    });
    expect(reg?.fiscalReport).toMatchObject({ fiscalDocumentNumber: 1, taxationType: 63, kktNumber: d.identity.kktSerial });
    // The OFD's 10-digit INN as the FN stores String 12: two trailing spaces (1017).
    expect(d.identity.ofdInn).toMatch(/^\d{10}$/);
    expect(reg?.fiscalReport).toMatchObject({ ofdInn: `${d.identity.ofdInn}  ` });
    expect(closeS?.closeShift).toMatchObject({ documentsQuantity: 4, receiptQuantity: 1, notTransmittedDocumentsQuantity: expect.any(Number) as number });
    expect(isValidRnm(d.identity.rnm, d.identity.companyInn, d.identity.kktSerial)).toBe(true);
  });
});

describe('persistence', () => {
  it('state survives reopening the file: counters continue, no FD number is reused, secret kept', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'devices', 'fn.sqlite');
      const clock = fakeClock();
      const a = openFiscalDevice({ file, seed: '9', clock });
      a.register(receipt(), { autoOpenShift: true });
      const secret = Buffer.from(a.secret);
      const identity = a.identity;
      a.close();
      clock.advance(1000);
      const b = openFiscalDevice({ file, seed: 'ignored', clock, identity: { companyName: 'changed' } });
      try {
        expect(b.identity).toEqual(identity);
        expect(b.secret.equals(secret)).toBe(true);
        expect(b.lastFdNumber()).toBe(3);
        expect(b.shiftState()).toBe('open');
        expect(b.register(receipt(), { autoOpenShift: false })).toMatchObject({ fdNumber: 4, receiptInShift: 2 });
        expect(b.journal().every((doc) => verifyFiscalSign(b.secret, doc))).toBe(true);
      } finally {
        b.close();
      }
    } finally {
      cleanup();
    }
  });

  it('two handles on one file never hand out the same FD number', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'fn.sqlite');
      const clock = fakeClock();
      const a = openFiscalDevice({ file, seed: '1', clock });
      const b = openFiscalDevice({ file, seed: '1', clock });
      a.openShift(null);
      const r1 = b.register(receipt(), { autoOpenShift: false });
      const r2 = a.register(receipt(), { autoOpenShift: false });
      expect([r1.fdNumber, r2.fdNumber, r1.receiptInShift, r2.receiptInShift]).toEqual([3, 4, 1, 2]);
      a.close();
      b.close();
    } finally {
      cleanup();
    }
  });
});

describe('FN lifetime and archive', () => {
  it('warns 30 and 3 days before expiry, refuses documents after it but still closes the shift', () => {
    const clock = fakeClock();
    const d = device(clock, { identity: { fnLifetimeDays: 40 } });
    d.openShift(null);
    d.closeShift(null);
    clock.advance(11 * DAY_MS);
    expect(d.status().warnings).toContain('fn_expires_soon');
    expect(d.status().warnings).not.toContain('fn_replace_urgently');
    d.openShift(null);
    clock.advance(27 * DAY_MS);
    expect(d.status().warnings).toEqual(expect.arrayContaining(['fn_expires_soon', 'fn_replace_urgently']));
    clock.advance(2 * DAY_MS);
    expect(rejection(() => d.register(receipt(), { autoOpenShift: false }))).toMatchObject({ code: 'fn_expired', deviceCode: '0x05' });
    expect(rejection(() => d.stateReport()).code).toBe('fn_expired');
    expect(d.closeShift(null).fdNumber).toBe(5);
    expect(d.status().fn.expiresAt).toBe('2026-12-01T14:43:50+03:00');
  });

  it('warns at 90 % of the archive and refuses new documents when it is full', () => {
    const d = device(fakeClock(), { identity: { archiveCapacity: 10 } });
    d.openShift(null);
    for (let i = 0; i < 6; i++) d.register(receipt(), { autoOpenShift: false });
    expect(d.status().warnings).not.toContain('fn_memory_almost_full');
    d.register(receipt(), { autoOpenShift: false });
    expect(d.status().fn.memoryUsed).toBeCloseTo(0.9);
    expect(d.status().warnings).toContain('fn_memory_almost_full');
    d.register(receipt(), { autoOpenShift: false });
    expect(rejection(() => d.register(receipt(), { autoOpenShift: false }))).toMatchObject({ code: 'fn_memory_full', deviceCode: '0x06' });
    expect(d.closeShift(null).fdNumber).toBe(11);
  });
});
