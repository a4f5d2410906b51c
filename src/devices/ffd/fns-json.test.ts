import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openFiscalDevice } from '../fiscal-core/fiscal-device.js';
import { toFnsJson } from '../fiscal-core/ofd-json.js';
import { fakeClock, item, receipt } from '../fiscal-core/testing.js';
import { jsonToTlvs, tlvsToJson } from '../shtrih/ffd-json.js';

/**
 * Real documents exported by the FNS receipt check (test/fixtures/fns/README.md names their
 * sources) against the one tag table: every FFD field they carry that cr-server models keeps its
 * name, type and value through TLV and back, and the virtual FN writes the same shape.
 */
type Json = Record<string, unknown>;
const fixture = (name: string): { receipt: Json; qr?: string } =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/fns/${name}`, import.meta.url), 'utf8')) as { receipt: Json; qr?: string };

/** Added by the check service or the OFD, not FFD tags of the register . */
const NOT_REGISTER_FIELDS = ['metadata', 'region', 'numberKkt', 'redefine_mask', 'messageFiscalSign'];

const MSK = { offsetMinutes: 180 };

describe('real FNS documents through the tag table', () => {
  it.each(['receipt-ffd12-agrotorg.json', 'receipt-ffd12-vat22.json'])('%s: every modelled field keeps its name and value', (name) => {
    const real = fixture(name).receipt;
    const back = tlvsToJson(jsonToTlvs(real, MSK));
    // `code` is the container's tag (3), not a tag inside it.
    const expected = Object.fromEntries(Object.entries(real).filter(([k]) => !NOT_REGISTER_FIELDS.includes(k) && k !== 'code'));
    expect(back).toEqual(expected);
  });

  it('dateTime is the local wall clock the QR code shows, without an offset', () => {
    const { receipt: real, qr } = fixture('receipt-ffd12-agrotorg.json');
    expect(real.dateTime).toBe('2024-09-17T18:01:00');
    expect(qr?.toUpperCase()).toContain('T=20240917T1801');
  });

  it('the virtual FN writes a 1.2 receipt of the same shape: names, value types, INN padding', () => {
    const real = fixture('receipt-ffd12-agrotorg.json').receipt;
    const d = openFiscalDevice({
      file: ':memory:', seed: 'shape', clock: fakeClock(),
      identity: { ffdVersion: '120', companyInn: '7825706086', automaticMode: false },
    });
    const r = d.register(receipt({
      items: [item({ vat: 2, price: 9999, quantity: 2_474_000, measure: 11 })],
      cashier: { name: 'Блинкова Р. С.', inn: '272210689013' },
      payments: [{ type: 1, sum: 24_738 }],
    }), { autoOpenShift: true });
    const doc = d.document(r.fdNumber);
    if (!doc) throw new Error('no document');
    const ours = toFnsJson(doc).receipt as Json;
    for (const [key, value] of Object.entries(real)) {
      if (NOT_REGISTER_FIELDS.includes(key) || !(key in ours)) continue;
      expect(typeof ours[key], key).toBe(typeof value);
    }
    for (const key of ['userInn', 'dateTime', 'appliedTaxationType', 'nds10', 'operatorInn', 'items', 'kktRegId', 'retailPlace']) {
      expect(ours, key).toHaveProperty(key);
    }
    expect(ours.userInn).toBe('7825706086  ');
    expect(ours).not.toHaveProperty('taxationType');
    const [realItem] = real.items as Json[];
    const [ourItem] = ours.items as Json[];
    expect(Object.keys(ourItem ?? {}).filter((k) => k !== 'ndsSum').sort()).toEqual(Object.keys(realItem ?? {}).sort());
    expect(ourItem).toMatchObject({ quantity: 2.474, itemsQuantityMeasure: 11, nds: 2, sum: 24_738 });
    d.close();
  });
});
