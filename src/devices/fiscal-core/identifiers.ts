/**
 * Check digits of the identifiers a KKT carries: INN (tax id, 10 or 12 digits; src/domain/inn.ts) and
 * the registration number RNM (1037) whose last 6 digits are a CRC (domain.md §2.7).
 */

export { innWithCheckDigits, isValidInn } from '../../domain/inn.js';

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor. */
export function crc16CcittFalse(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** RNM = ordinal(10) + CRC over ordinal(10) + INN(12) + KKT serial(20), all zero-padded, as 6 decimal digits. */
export function makeRnm(ordinal: string, inn: string, kktSerial: string): string {
  if (!/^\d{1,10}$/.test(ordinal)) throw new RangeError(`RNM ordinal must have up to 10 digits: ${ordinal}`);
  const head = ordinal.padStart(10, '0');
  const input = head + inn.padStart(12, '0') + kktSerial.padStart(20, '0');
  const crc = crc16CcittFalse(Buffer.from(input, 'ascii'));
  return head + String(crc).padStart(6, '0');
}

export function isValidRnm(rnm: string, inn: string, kktSerial: string): boolean {
  return /^\d{16}$/.test(rnm) && makeRnm(rnm.slice(0, 10), inn, kktSerial) === rnm;
}
