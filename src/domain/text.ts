/**
 * Text that fiscal devices, OFDs and PostgreSQL refuse or misrender, and so no request may carry in
 * any string (FFD string requisites are printable text: not even TAB, LF or CR):
 *
 * - control characters, C0 U+0000–U+001F, DEL and C1 U+007F–U+009F (`\p{Cc}`) — NUL also cannot
 *   be stored in a PostgreSQL text column;
 * - unpaired surrogates (`\p{Cs}`: with the `u` flag a valid pair is one code point and never
 *   matches, so emoji pass) — they have no UTF-8 form at all;
 * - bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 (a name that reads one
 *   way on the receipt and another in the OFD's records), and the line/paragraph separators
 *   U+2028, U+2029;
 * - U+FEFF (byte order mark / zero-width no-break space) and the noncharacters U+FDD0–U+FDEF and
 *   U+xFFFE, U+xFFFF of every plane.
 *
 * The pattern is written for the `u` flag, which ajv uses for `pattern` (unicodeRegExp).
 */
export const FORBIDDEN_TEXT_PATTERN = '[\\p{Cc}\\p{Cs}\\p{Noncharacter_Code_Point}\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069\\uFEFF]';

const FORBIDDEN = new RegExp(FORBIDDEN_TEXT_PATTERN, 'u');

/** The first forbidden character of `value` as U+XXXX, or null when the text is clean. */
export function forbiddenCharacter(value: string): string | null {
  const m = FORBIDDEN.exec(value);
  if (!m) return null;
  return `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

export const INVALID_CHARACTERS_MESSAGE = 'must not contain control characters, unpaired surrogates, bidi overrides or noncharacters';
