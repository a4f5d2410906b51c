/**
 * Check digits of the identifiers a KKT carries: INN (tax id, 10 or 12 digits) and the
 * registration number RNM (1037) whose last 6 digits are a CRC (domain.md §2.7).
 */

const INN10_WEIGHTS = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

function checkDigit(digits: string, weights: readonly number[]): number {
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w * Number(digits[i]);
  });
  return (sum % 11) % 10;
}

/** Appends the check digit(s): 9 digits → 10-digit legal-entity INN, 10 digits → 12-digit INN. */
export function innWithCheckDigits(body: string): string {
  if (/^\d{9}$/.test(body)) return body + String(checkDigit(body, INN10_WEIGHTS));
  if (/^\d{10}$/.test(body)) {
    const eleven = body + String(checkDigit(body, INN12_WEIGHTS_11));
    return eleven + String(checkDigit(eleven, INN12_WEIGHTS_12));
  }
  throw new RangeError(`INN body must have 9 or 10 digits: ${body}`);
}

export function isValidInn(inn: string): boolean {
  if (/^\d{10}$/.test(inn)) return innWithCheckDigits(inn.slice(0, 9)) === inn;
  if (/^\d{12}$/.test(inn)) return innWithCheckDigits(inn.slice(0, 10)) === inn;
  return false;
}

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
