/** INN (taxpayer id) check digits: 10 digits for an organisation, 12 for an individual. */

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
