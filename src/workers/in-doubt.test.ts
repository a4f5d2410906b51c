import { describe, expect, it } from 'vitest';
import type { FiscalDocument, RegistrationInfo } from '../devices/driver.js';
import { item } from '../devices/fiscal-core/testing.js';
import { documentMatches, resolveInDoubt, type InDoubtReceipt } from './in-doubt.js';

const REG: RegistrationInfo = {
  registrationNumber: '0000000001012345',
  registratorSerial: '00000000381001',
  fnSerial: '9999078900000001',
  ffdVersion: '120',
  ofdName: 'OFD',
  ofdInn: '7704358518',
  companyName: 'ООО «Ромашка»',
  companyInn: '7701234567',
  operationsAddress: 'Москва',
  operationsPlace: 'shop',
  taxSystems: 1,
  model: 'Virtual register',
};

const REQ: InDoubtReceipt = {
  operationType: 1,
  total: 20_000,
  items: [item({ price: 10_000 }), item({ price: 10_000 })],
  payments: [{ type: 0, sum: 25_000 }],
  email: 'buyer@example.com',
  phone: null,
};

const doc = (fdNumber: number, over: Partial<FiscalDocument> = {}): FiscalDocument => ({
  fdNumber,
  kind: 'receipt',
  dateTime: '2026-10-22T14:43:50+03:00',
  fiscalSign: String(1000 + fdNumber),
  shiftNumber: 3,
  receiptInShift: fdNumber - 10,
  operationType: 1,
  taxSystem: 1,
  totalSum: 20_000,
  buyerContact: 'buyer@example.com',
  itemCount: 2,
  json: {},
  rawTlv: null,
  ...over,
});

/** A journal in memory: resolveInDoubt reads it through the same two callbacks the worker gives it. */
function journal(docs: FiscalDocument[], taken: number[] = []) {
  const reads: number[] = [];
  return {
    reads,
    document: async (n: number) => {
      reads.push(n);
      return docs.find((d) => d.fdNumber === n) ?? null;
    },
    taken: async (n: number) => taken.includes(n),
    registration: async () => REG,
  };
}

describe('documentMatches', () => {
  it('matches on kind, operation type, total, and on contact and item count when the device reports them', () => {
    expect(documentMatches(doc(11), REQ)).toBe(true);
    expect(documentMatches(doc(11, { kind: 'correction' }), REQ)).toBe(true);
    expect(documentMatches(doc(11, { buyerContact: null, itemCount: null }), REQ)).toBe(true);
    expect(documentMatches(doc(11, { kind: 'closeShift' }), REQ)).toBe(false);
    expect(documentMatches(doc(11, { operationType: 2 }), REQ)).toBe(false);
    expect(documentMatches(doc(11, { totalSum: 19_999 }), REQ)).toBe(false);
    expect(documentMatches(doc(11, { buyerContact: 'other@example.com' }), REQ)).toBe(false);
    expect(documentMatches(doc(11, { itemCount: 1 }), REQ)).toBe(false);
  });

  it('compares the contact with the one tag 1008 gets: the phone when there is no e-mail', () => {
    const byPhone = { ...REQ, email: null, phone: '+79001234567' };
    expect(documentMatches(doc(11, { buyerContact: '+79001234567' }), byPhone)).toBe(true);
    expect(documentMatches(doc(11, { buyerContact: 'buyer@example.com' }), byPhone)).toBe(false);
  });
});

describe('resolveInDoubt', () => {
  it('no newer document: not registered, and the device is not read', async () => {
    const j = journal([doc(10)]);
    expect(await resolveInDoubt({ request: REQ, fdBefore: 10, last: 10, ...j })).toEqual({ outcome: 'not_registered' });
    expect(j.reads).toEqual([]);
  });

  it('a newer matching document: registered, with the fiscal result register would have returned', async () => {
    const j = journal([doc(10), doc(11)]);
    const d = await resolveInDoubt({ request: REQ, fdBefore: 10, last: 11, ...j });
    expect(d).toEqual({
      outcome: 'registered',
      fdNumber: 11,
      result: { fdNumber: 11, fiscalSign: '1011', shiftNumber: 3, receiptInShift: 1, dateTime: '2026-10-22T14:43:50+03:00', total: 20_000, change: 5_000, registration: REG },
    });
  });

  it('skips documents that are not this receipt, or that another receipt owns, and stops at the first match', async () => {
    const j = journal([doc(11, { kind: 'openShift', operationType: null, totalSum: null }), doc(12), doc(13), doc(14)], [12]);
    const d = await resolveInDoubt({ request: REQ, fdBefore: 10, last: 14, ...j });
    expect(d).toMatchObject({ outcome: 'registered', fdNumber: 13 });
    expect(j.reads).toEqual([11, 12, 13]);
  });

  it('newer documents none of which is this receipt: not registered (back to the queue)', async () => {
    const j = journal([doc(11, { totalSum: 5 }), doc(12, { operationType: 3 })]);
    expect(await resolveInDoubt({ request: REQ, fdBefore: 10, last: 12, ...j })).toEqual({ outcome: 'not_registered' });
  });

  it('a document the device cannot read back is skipped, not matched', async () => {
    const j = journal([doc(12)]);
    expect(await resolveInDoubt({ request: REQ, fdBefore: 10, last: 12, ...j })).toMatchObject({ outcome: 'registered', fdNumber: 12 });
    expect(j.reads).toEqual([11, 12]);
  });

  it('no counter recorded: not registered without reading the journal', async () => {
    const j = journal([doc(11)]);
    expect(await resolveInDoubt({ request: REQ, fdBefore: null, last: 11, ...j })).toEqual({ outcome: 'not_registered' });
    expect(j.reads).toEqual([]);
  });
});
