import { describe, expect, it } from 'vitest';
import { decodeTlvs, encodeTlv, encodeTlvs, fvlnFromMicros, microsFromFvln, readVln, tlvStlv, tlvString, tlvU32, vln } from './tlv.js';
import { fiscalSignTlvValue, jsonToTlvs, printedFiscalSign, tlvsToJson, wallSecondsToIso } from './ffd-json.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const MSK = { offsetMinutes: 180 };

describe('TLV (tag uint16 LE, length uint16 LE, value)', () => {
  it('1021 cashier in CP866', () => {
    const t = tlvString(1021, 'Иванов');
    expect(encodeTlv(t.tag, t.value)).toEqual(bytes(0xfd, 0x03, 0x06, 0x00, 0x88, 0xa2, 0xa0, 0xad, 0xae, 0xa2));
  });

  it('U32, VLN and FVLN values', () => {
    expect(tlvU32(1040, 258).value).toEqual(bytes(2, 1, 0, 0));
    expect(vln(0)).toEqual(bytes(0));
    expect(vln(256)).toEqual(bytes(0, 1));
    expect(readVln(bytes(0x40, 0xe2, 0x01))).toBe(123_456);
    expect(fvlnFromMicros(1_500_000)).toEqual(bytes(1, 15));
    expect(fvlnFromMicros(2_000_000)).toEqual(bytes(0, 2));
    expect(microsFromFvln(bytes(3, 0xe9, 0x03))).toBe(1_001_000);
  });

  it('nests STLV and repeats tags without a wrapper', () => {
    const list = [tlvStlv(1059, [tlvString(1030, 'A')]), tlvStlv(1059, [tlvString(1030, 'B')])];
    const decoded = decodeTlvs(encodeTlvs(list));
    expect(decoded.map((t) => t.tag)).toEqual([1059, 1059]);
    expect(decodeTlvs(decoded[1]?.value ?? bytes())).toEqual([{ tag: 1030, value: bytes(0x42) }]);
  });

  it('refuses truncated input', () => {
    expect(() => decodeTlvs(bytes(0xfd, 0x03, 0x05, 0x00, 0x41))).toThrow(RangeError);
    expect(() => decodeTlvs(bytes(0xfd))).toThrow(RangeError);
  });
});

describe('FFD TLV ↔ FNS JSON', () => {
  it('1077 keeps the printed FP in its last 4 bytes, big-endian (2403680979 = 0x8F4542D3)', () => {
    expect(fiscalSignTlvValue(2_403_680_979)).toEqual(bytes(0, 0, 0x8f, 0x45, 0x42, 0xd3));
    expect(printedFiscalSign(bytes(0x31, 0x05, 0x8f, 0x45, 0x42, 0xd3))).toBe(2_403_680_979);
  });

  it('round-trips a receipt body', () => {
    const body = {
      fiscalDocumentNumber: 12, dateTime: '2026-10-22T14:43:50', operationType: 1, taxationType: 2, totalSum: 15_000, cashTotalSum: 15_000,
      operator: 'Иванова', fiscalSign: 123_456_789, correctionBase: { correctionName: 'Не пробит', correctionDocumentDate: '2026-10-21T00:00:00' },
      items: [{ name: 'Чай', price: 10_000, quantity: 1.5, sum: 15_000, nds: 1, productType: 1, paymentType: 4 }],
      unknownField: 'dropped',
    };
    const back = tlvsToJson(jsonToTlvs(body, MSK));
    const { unknownField: _drop, ...expected } = body;
    expect(back).toEqual(expected);
  });

  it('taxationType is 1062 in registration reports and 1055 elsewhere', () => {
    expect(jsonToTlvs({ taxationType: 63 }, MSK, true).map((t) => t.tag)).toEqual([1062]);
    expect(jsonToTlvs({ taxationType: 1 }, MSK).map((t) => t.tag)).toEqual([1055]);
    expect(jsonToTlvs({ appliedTaxationType: 1 }, MSK).map((t) => t.tag)).toEqual([1055]);
  });

  it('formats device wall-clock seconds with the device offset', () => {
    expect(wallSecondsToIso(Date.UTC(2026, 9, 22, 14, 43, 50) / 1000, MSK)).toBe('2026-10-22T14:43:50+03:00');
  });
});
