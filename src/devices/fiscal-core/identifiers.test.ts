import { describe, expect, it } from 'vitest';
import { crc16CcittFalse, innWithCheckDigits, isValidInn, isValidRnm, makeRnm } from './identifiers.js';
import { generateIdentity } from './identity.js';
import { T0 } from './testing.js';

describe('INN check digits', () => {
  it('accepts known valid INNs and rejects a changed digit', () => {
    expect(isValidInn('7707083893')).toBe(true);
    expect(isValidInn('500100732259')).toBe(true);
    expect(isValidInn('7707083894')).toBe(false);
    expect(isValidInn('500100732250')).toBe(false);
    expect(isValidInn('77070838')).toBe(false);
  });

  it('completes 9- and 10-digit bodies', () => {
    expect(innWithCheckDigits('770708389')).toBe('7707083893');
    expect(innWithCheckDigits('5001007322')).toBe('500100732259');
  });
});

describe('RNM (1037) CRC, domain.md §2.7', () => {
  it('implements CRC-16/CCITT-FALSE (check value of "123456789" is 0x29B1)', () => {
    expect(crc16CcittFalse(Buffer.from('123456789', 'ascii'))).toBe(0x29b1);
  });

  it('is 10-digit ordinal + 6-digit decimal CRC over ordinal, INN and serial, zero-padded', () => {
    const rnm = makeRnm('1234', '7707083893', '00106123456789');
    const input = '0000001234' + '007707083893' + '00000000106123456789';
    expect(rnm).toBe('0000001234' + String(crc16CcittFalse(Buffer.from(input))).padStart(6, '0'));
    expect(rnm).toHaveLength(16);
    expect(isValidRnm(rnm, '7707083893', '00106123456789')).toBe(true);
    expect(isValidRnm(rnm, '7707083893', '00106123456788')).toBe(false);
    expect(isValidRnm(rnm.slice(0, 15) + String((Number(rnm[15]) + 1) % 10), '7707083893', '00106123456789')).toBe(false);
  });

  it('generated identities carry a valid RNM, a valid INN and a 9999 FN serial, deterministically per seed', () => {
    const a = generateIdentity('42', T0);
    expect(a).toEqual(generateIdentity('42', T0));
    expect(generateIdentity('43', T0).fnSerial).not.toBe(a.fnSerial);
    expect(a.fnSerial).toMatch(/^9999\d{12}$/);
    expect(isValidInn(a.companyInn)).toBe(true);
    expect(isValidInn(a.ofdInn)).toBe(true);
    expect(isValidRnm(a.rnm, a.companyInn, a.kktSerial)).toBe(true);
    const custom = generateIdentity('42', T0, { companyInn: '7707083893', companyName: 'ПАО Тест', ffdVersion: '120' });
    expect(custom.companyName).toBe('ПАО Тест');
    expect(custom.ffdVersion).toBe('120');
    expect(isValidRnm(custom.rnm, '7707083893', custom.kktSerial)).toBe(true);
  });
});
