import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NativeSqlite } from '../../sqlite-native.js';
import { mapUnixTimes } from '../ffd/tag-list.js';
import type { TagList } from '../ffd/tag-list.js';
import { computeFiscalSign, verifyFiscalSign } from './fiscal-sign.js';
import { TAG } from './tags.js';
import type { DocCode } from './tags.js';
import { receiptQr } from '../../domain/qr.js';
import type { FfdVersion } from '../../domain/enums.js';
import { decodeTlvs } from '../shtrih/tlv.js';
import { tlvsToJson } from '../shtrih/ffd-json.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice } from './fiscal-device.js';
import { toFiscalDocument } from './ofd-json.js';
import { T0, fakeClock, item, receipt, rejection, tempDir } from './testing.js';

/**
 * Every document type on both FFD versions, in two time zones and with both INN lengths, read back
 * as an OFD or the FNS would read it (issue: documents an OFD and the FNS accept).
 */
type Json = Record<string, unknown>;

const CASES: { ffd: FfdVersion; tz: string; offset: number; inn: string }[] = [];
for (const ffd of ['105', '120'] as const) {
  for (const [tz, offset] of [['+03:00', 180], ['+05:00', 300]] as const) {
    for (const inn of ['7825706086', '770123456703']) CASES.push({ ffd, tz, offset, inn });
  }
}

/** The wall clock of instant `ms` at `offset` minutes, as the FNS JSON shows it. */
const wall = (ms: number, offset: number): string => new Date(ms + offset * 60_000).toISOString().slice(0, 19);

function allDocuments(d: FiscalDevice) {
  const sale = d.register(receipt({ email: 'buyer@example.com', cashier: { name: 'Иванова А. А.', inn: '500100732259' } }), { autoOpenShift: true });
  const correction = d.register(receipt({
    receiptType: 7,
    items: [item({ vat: 11, price: 12_200 })],
    correction: { type: 1, reason: 'Предписание', date: '2026-10-01', docNumber: 'ПР-7' },
  }), { autoOpenShift: false });
  d.stateReport();
  d.closeShift(null);
  const docs = d.journal().map((doc) => toFiscalDocument(doc, d.offsetMinutes));
  return { sale, correction, docs };
}

const body = (doc: { json: Json }): Json => Object.values(doc.json)[0] as Json;

describe.each(CASES)('FFD $ffd, $tz, INN $inn', ({ ffd, tz, offset, inn }) => {
  const open = () => openFiscalDevice({
    file: ':memory:', seed: `fidelity-${ffd}-${offset}-${inn.length}`, clock: fakeClock(), timezoneOffset: tz,
    identity: { ffdVersion: ffd, companyInn: inn },
  });

  it('1012 of every document is the local time its QR code and its API time show', () => {
    const d = open();
    const { sale, docs } = allDocuments(d);
    expect(docs.map((x) => x.kind)).toEqual(['registration', 'openShift', 'receipt', 'correction', 'stateReport', 'closeShift']);
    for (const doc of docs) {
      expect(body(doc).dateTime, doc.kind).toBe(wall(T0, offset));
      expect(doc.dateTime, doc.kind).toBe(`${wall(T0, offset)}${tz}`);
    }
    const qr = receiptQr({ dateTime: sale.dateTime, total: sale.total, fnSerial: d.identity.fnSerial, fdNumber: sale.fdNumber, fiscalSign: sale.fiscalSign, operationType: 1 });
    const [date, time] = wall(T0, offset).split('T') as [string, string];
    expect(qr).toContain(`t=${date.replaceAll('-', '')}T${time.slice(0, 5).replace(':', '')}`);
    d.close();
  });

  it('INN tags are String 12: a 10-digit INN carries two trailing spaces', () => {
    const d = open();
    const { docs } = allDocuments(d);
    for (const doc of docs) expect(body(doc).userInn, doc.kind).toBe(inn.padEnd(12, ' '));
    const reg = body(docs[0] ?? { json: {} });
    expect(String(reg.ofdInn)).toHaveLength(12);
    const sale = body(docs[2] ?? { json: {} });
    expect(sale.operatorInn).toBe('500100732259');
    d.close();
  });

  it('the registration report carries every field FFD makes mandatory in it', () => {
    const d = open();
    const [reg] = allDocuments(d).docs;
    expect(body(reg ?? { json: {} })).toMatchObject({
      code: 1, autoMode: 1, machineNumber: `virtual-fidelity-${ffd}-${offset}-${inn.length}`.slice(0, 20),
      offlineMode: 0, encryptionSign: 0, internetSign: 1, serviceSign: 0, bsoSign: 0, printInMachineSign: 0,
      kktVersion: '1.0', documentKktVersion: ffd === '105' ? 2 : 4, documentFdVersion: ffd === '105' ? 2 : 4,
      fiscalDocumentFormatVer: ffd === '105' ? 2 : 4, taxationType: 63, kktNumber: d.identity.kktSerial,
    });
    d.close();
  });

  it('shift reports carry the KKT version and the document KKT version', () => {
    const d = open();
    const { docs } = allDocuments(d);
    for (const doc of docs.filter((x) => x.kind === 'openShift' || x.kind === 'closeShift')) {
      expect(body(doc), doc.kind).toMatchObject({ kktVersion: '1.0', documentKktVersion: ffd === '105' ? 2 : 4 });
    }
    const close = body(docs[5] ?? { json: {} });
    expect(close).toMatchObject({ documentsQuantity: 5, receiptQuantity: 2 });
    const state = body(docs[4] ?? { json: {} });
    if (ffd === '120') {
      // FFD 1.2: the sum counters of the shift (1194) and of the FN (1157), and the key resource (1213).
      const sale = { receiptBsoCount: 1, totalSum: 10_000, cashSum: 10_000, ecashSum: 0, tax18Sum: 1667, tax0Sum: 0, taxFreeSum: 0 };
      const counters = {
        totalReceiptBsoCount: 1,
        sellOper: sale,
        buyOper: { receiptBsoCount: 0, totalSum: 0 },
        // The 22 % correction counts, its VAT has no counter tag.
        receiptCorrection: { receiptCorrectionCount: 1, sellCorrection: { receiptBsoCount: 1, totalSum: 12_200, tax18Sum: 0 } },
      };
      expect(close).toMatchObject({ shiftSumReports: counters, fiscalDriveSumReports: counters, fdKeyResource: 470 });
      expect(state).toMatchObject({ fiscalDriveSumReports: counters, fdKeyResource: 470 });
      expect(body(docs[0] ?? { json: {} })).toMatchObject({ fdKeyResource: 470 });
    } else {
      for (const key of ['shiftSumReports', 'fiscalDriveSumReports', 'fdKeyResource']) expect(close).not.toHaveProperty(key);
    }
    d.close();
  });

  it('names follow the format version: 1055 and the calculated-rate totals', () => {
    const d = open();
    const sale = d.register(receipt({ items: [item({ vat: 3 }), item({ vat: 1 })] }), { autoOpenShift: true });
    const json = body(toFiscalDocument(d.document(sale.fdNumber) ?? (() => { throw new Error('missing'); })(), offset));
    if (ffd === '105') {
      expect(json).toMatchObject({ taxationType: 1, ndsCalculated18: 1667, nds18: 1667 });
      expect(json).not.toHaveProperty('appliedTaxationType');
    } else {
      expect(json).toMatchObject({ appliedTaxationType: 1, nds18118: 1667, nds18: 1667 });
      expect(json).not.toHaveProperty('taxationType');
    }
    d.close();
  });

  it('the 22 % rate totals as a list of rate and sum (1115 → 1119 {1199, 1120})', () => {
    const d = open();
    const { docs } = allDocuments(d);
    const correction = body(docs[3] ?? { json: {} });
    expect(correction.amountsReceiptNds).toEqual({ amountsNds: [{ nds: 11, ndsSum: 2200 }] });
    expect(Object.keys(correction).filter((k) => /^nds\d|ndsCalculated/.test(k))).toEqual([]);
    d.close();
  });

  it('rawData is the TLV the JSON was read from', () => {
    const d = open();
    const { docs } = allDocuments(d);
    for (const doc of docs) {
      const raw = Buffer.from(doc.rawTlv ?? '', 'base64');
      const [container] = decodeTlvs(raw);
      expect(container?.tag, doc.kind).toBe(body(doc).code);
      const { code: _code, ...rest } = body(doc);
      expect(tlvsToJson(decodeTlvs(container?.value ?? new Uint8Array()))).toEqual(rest);
    }
    d.close();
  });
});

describe('registration modes', () => {
  it('a register not in automatic mode refuses receipts and corrections without a cashier', () => {
    const d = openFiscalDevice({ file: ':memory:', seed: 'manual', clock: fakeClock(), identity: { automaticMode: false } });
    d.openShift(null);
    const noCashier = { ...receipt(), cashier: null };
    expect(rejection(() => d.register(noCashier, { autoOpenShift: false })).code).toBe('cashier_required');
    expect(rejection(() => d.register({ ...receipt({ receiptType: 7 }), cashier: null }, { autoOpenShift: false })).code).toBe('cashier_required');
    const r = d.register(receipt(), { autoOpenShift: false });
    const json = body(toFiscalDocument(d.document(r.fdNumber) ?? (() => { throw new Error('missing'); })(), 180));
    expect(json.operator).toBe('Иванов И.И.');
    expect(json).not.toHaveProperty('machineNumber');
    const [reg, openShift] = d.journal().map((doc) => body(toFiscalDocument(doc, 180)));
    expect(reg).toMatchObject({ autoMode: 0, operator: 'Администратор' });
    expect(reg).not.toHaveProperty('machineNumber');
    // A shift opened without a named cashier is signed by the register's own operator.
    expect(openShift).toMatchObject({ operator: 'Администратор' });
    d.close();
  });

  it('in automatic mode receipts carry the automat number (1036) and need no cashier', () => {
    const d = openFiscalDevice({ file: ':memory:', seed: 'auto', clock: fakeClock(), identity: { machineNumber: 'KZN064348' } });
    const r = d.register({ ...receipt(), cashier: null }, { autoOpenShift: true });
    const json = body(toFiscalDocument(d.document(r.fdNumber) ?? (() => { throw new Error('missing'); })(), 180));
    expect(json.machineNumber).toBe('KZN064348');
    expect(json).not.toHaveProperty('operator');
    d.close();
  });
});

describe('an FN written before UnixTime tags held the wall clock (store schema 1)', () => {
  it('shows its old documents on the wall clock, keeps their signs, and writes new ones in wall time', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'fn.sqlite');
      const clock = fakeClock();
      const a = openFiscalDevice({ file, seed: 'legacy', clock, identity: { ffdVersion: '120' } });
      a.register(receipt(), { autoOpenShift: true });
      a.close();
      // Turn the file into what schema 1 wrote: UTC instants in the UnixTime tags, signed so.
      const db = new NativeSqlite(file);
      const secret = Buffer.from((db.prepare("SELECT value FROM meta WHERE key = 'secret'").get() as { value: string }).value, 'hex');
      for (const row of db.prepare('SELECT fd_number, code, tags FROM documents').all() as { fd_number: number; code: DocCode; tags: string }[]) {
        const utc = mapUnixTimes((JSON.parse(row.tags) as TagList).filter(([t]) => t !== TAG.fiscalSign), (t) => t - 180 * 60);
        const sign = computeFiscalSign(secret, { code: row.code, tags: utc });
        db.prepare('UPDATE documents SET tags = ?, fiscal_sign = ? WHERE fd_number = ?').run(JSON.stringify([...utc, [TAG.fiscalSign, Number(sign)]]), sign, row.fd_number);
      }
      db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema'").run();
      // Nor did schema 1 keep sum counters.
      const state = JSON.parse((db.prepare("SELECT value FROM meta WHERE key = 'state'").get() as { value: string }).value) as Record<string, unknown>;
      delete state.counters;
      db.prepare("UPDATE meta SET value = ? WHERE key = 'state'").run(JSON.stringify(state));
      db.prepare("DELETE FROM meta WHERE key = 'wall_clock_from'").run();
      db.close();

      clock.advance(60_000);
      const b = openFiscalDevice({ file, seed: 'legacy', clock, identity: { ffdVersion: '120' } });
      const next = b.register(receipt(), { autoOpenShift: false });
      const docs = b.journal();
      expect(docs.map((doc) => body(toFiscalDocument(doc, 180)).dateTime)).toEqual([
        wall(T0, 180), wall(T0, 180), wall(T0, 180), wall(T0 + 60_000, 180),
      ]);
      expect(next.fdNumber).toBe(4);
      // The counters were rebuilt from the journal: both receipts of the open shift count.
      b.closeShift(null);
      const closeJson = body(toFiscalDocument(b.document(5) ?? (() => { throw new Error('missing'); })(), 180));
      const both = { totalReceiptBsoCount: 2, sellOper: { receiptBsoCount: 2, totalSum: 20_000 } };
      expect(closeJson).toMatchObject({ shiftSumReports: both, fiscalDriveSumReports: both });
      for (const doc of docs) expect(verifyFiscalSign(b.secret, { code: doc.code, tags: doc.signedTags ?? doc.tags })).toBe(true);
      b.close();
    } finally {
      cleanup();
    }
  });
});
