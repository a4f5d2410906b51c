/**
 * Marking codes (коды маркировки, КМ) of «Честный ЗНАК» as FFD 1.2 needs them: the raw code for tag 2000,
 * its type for tag 2100 and the product code for tag 1163. Pure: no I/O, no clock.
 *
 * Where the rules come from (public sources; no FN or OISM decision table is published):
 * - GS1 element strings: GS1 General Specifications section 3 (Application Identifiers) and section 7.8.5 (FNC1/GS
 *   separators, predefined-length AIs); the machine-readable AI table is the GS1 Barcode Syntax
 *   Dictionary, github.com/gs1/gs1-syntax-dictionary `gs1-syntax-dictionary.txt`.
 * - Честный ЗНАК DataMatrix layout, from the Government marking rules per product group (e.g. the
 *   dairy rules, Постановление Правительства РФ от 15.12.2020 № 2099, table 3 «Перечень
 *   идентификаторов применения (AI)», docs.cntd.ru/document/603206926): 01 + GTIN-14, 21 + serial
 *   (13 characters for most groups, 7 on beer: github.com/shtrih-m/fr_drv_ng/issues/282), GS, then
 *   either 91 + key id (4) GS 92 + check code (44; 88 on early shoe and medicine codes,
 *   github.com/shtrih-m/fr_drv_ng/issues/96) or 93 + check code (4).
 * - Tobacco pack code: 29 characters and no AIs, GTIN-14 + serial (7) + МРЦ (4) + check code (4)
 *   (Постановление Правительства РФ от 28.02.2019 № 224); Shtrih-M KKTs class it as КМК, the short code
 *   (github.com/shtrih-m/fr_drv_ng/issues/145).
 */

export type MarkingCodeKind = 'gs1m' | 'kmk' | 'undefined'; // 1163 sub-tag the code goes into (1305, 1306, 1300)

/** Tag 2100 «тип кода маркировки» (FFD 1.2). */
export const MARKING_CODE_TYPE = {
  notIdentified: 0,
  short: 1,
  checkCode88: 2,
  checkCode44NotCheckedInFn: 3,
  checkCode44CheckedInFn: 4,
  checkCode4: 5,
} as const;
export type MarkingCodeType = (typeof MARKING_CODE_TYPE)[keyof typeof MARKING_CODE_TYPE];

export interface ParsedMarkingCode {
  /**
   * What tag 2000 carries to the FN: the code as scanned, GS (0x1D) kept, in canonical form: every
   * accepted separator spelling becomes 0x1D, a symbology identifier and surrounding whitespace are
   * dropped, and a GS1 code has a GS exactly where GS1 needs one (after each variable-length element
   * but the last; GS1 Gen Specs section 7.8.5.1). The AIs keep their order and their data is never changed.
   */
  raw: string;
  /** 2100 per FFD: 0 not identified, 1 short code, 2 check code of 88, 3 44 not checked in FN, 4 44 checked in FN, 5 check code of 4 */
  codeType: MarkingCodeType;
  kind: MarkingCodeKind;
  /** GTIN-14 (AI 01), null for codes without one */
  gtin: string | null;
  /** AI 21 serial (or the short code's serial part) */
  serial: string | null;
  /** What 1163 carries: 01+GTIN+21+serial for gs1m (no crypto tail), GTIN+serial for kmk, the raw code otherwise (≤32 for 1300) */
  productCode: string;
  /** AI 91 key id, AI 92 / 93 check code when present (for kmk: the pack code's last 4 characters) */
  keyId: string | null;
  checkCode: string | null;
  /** Other AIs found (e.g. 8005 price, 3103 weight, 17 expiry, 10 batch), by AI */
  extras: Record<string, string>;
}

export type MarkingCodeError =
  | { problem: 'empty' }
  | { problem: 'bad_base64' }
  | { problem: 'bad_gtin_check_digit'; gtin: string }
  /** `at`: offset in the decoded text once separators are normalised and a symbology identifier and leading FNC1 dropped. */
  | { problem: 'unknown_ai'; ai: string; at: number }
  | { problem: 'bad_length'; ai: string }
  | { problem: 'too_long' }
  | { problem: 'bad_characters' };

export const isMarkingCodeError = (x: ParsedMarkingCode | MarkingCodeError): x is MarkingCodeError => 'problem' in x;

/** Tag 2000 is a string of at most 256 characters. */
export const MAX_RAW_LENGTH = 256;
/** Tag 1163 sub-tags: 1305 gs1m and 1306 kmk hold at most 38 characters, 1300 at most 32. */
export const MAX_PRODUCT_CODE_LENGTH = { gs1m: 38, kmk: 38, undefined: 32 } as const satisfies Record<MarkingCodeKind, number>;
/** Work bound before any parsing: base64 of 256 characters is 344, "<GS>" spelled out adds 3 per separator. */
const MAX_INPUT_LENGTH = 1024;

const GS = '\u001d';
const GS_CODE = 0x1d;
/**
 * Spellings of the GS separator accepted besides 0x1D itself: "<GS>" (scanner software, logs) and the
 * six characters \u001d (a client that escaped the JSON string twice; Yandex Market's partner API doc
 * warns against exactly this, yandex.ru/dev/market/partner-api/doc/ru/reference/orders/provideOrderItemIdentifiers).
 * "<", "G", "S", ">" are all legal serial characters, so a serial that literally holds "<GS>" is
 * misread; no such code has been seen. A backslash is never part of a GS1 code, so \u001d is safe.
 */
const SEPARATOR_SPELLINGS = /<GS>|\\u001[dD]/g;
/** ISO/IEC 15424 symbology identifier a scanner may prefix (]d2 GS1 DataMatrix, ]d1 plain DataMatrix, ]Q3 GS1 QR…). */
const SYMBOLOGY_ID = /^\][A-Za-z][0-9]/;
const EDGE_WHITESPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;
/** Printable ASCII plus GS: everything a KM may contain. */
const isKmText = (t: string): boolean => {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if ((c < 0x20 || c > 0x7e) && c !== GS_CODE) return false;
  }
  return true;
};
/** GS1 AI encodable character set 82 (GS1 Gen Specs figure 7.11-1): ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z. */
const CSET82 = /^[!"%-?A-Z_a-z]*$/;
const DIGITS = /^[0-9]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const stripLeadingGs = (t: string): string => {
  let i = 0;
  while (t.charCodeAt(i) === GS_CODE) i++;
  return t.slice(i);
};

// ---------------------------------------------------------------------------------------------------
// GS1 Application Identifiers a consumer-unit marking code can carry (GS1 Barcode Syntax Dictionary).

interface AiFormat {
  readonly chars: 'N' | 'X';
  readonly min: number;
  readonly max: number;
  /** Only these lengths are valid (92: 44 or 88). */
  readonly lengths?: readonly number[];
}
const n = (len: number): AiFormat => ({ chars: 'N', min: len, max: len });
const nUpTo = (max: number): AiFormat => ({ chars: 'N', min: 1, max });
const x = (min: number, max: number): AiFormat => ({ chars: 'X', min, max });

/** 310n–316n, 320n–329n, 330n–337n, 340n–349n, 350n–357n, 360n–369n: measures, N6, n = decimals 0–5. */
const MEASURE_PREFIXES = [[310, 316], [320, 329], [330, 337], [340, 349], [350, 357], [360, 369]] as const;
const measureAis = MEASURE_PREFIXES.flatMap(([from, to]) =>
  Array.from({ length: (to - from + 1) * 6 }, (_, i) => `${from + Math.trunc(i / 6)}${i % 6}`));

const AI_FORMATS: ReadonlyMap<string, AiFormat> = new Map<string, AiFormat>([
  ['01', n(14)], // GTIN
  ['10', x(1, 20)], // batch / lot
  ['11', n(6)], ['13', n(6)], ['15', n(6)], ['16', n(6)], ['17', n(6)], // production, packaging, best-before, sell-by, expiry dates
  ['21', x(1, 20)], // serial
  ['22', x(1, 20)], // consumer product variant
  ['240', x(1, 30)], ['241', x(1, 30)], ['250', x(1, 30)], // additional id (ТН ВЭД on old shoe/medicine codes), customer part, secondary serial
  ['30', nUpTo(8)], // variable count
  ...measureAis.map((ai): [string, AiFormat] => [ai, n(6)]), // 3103 net weight on weighed dairy…
  ['7003', n(10)], // expiry date and time (YYMMDDHHMM)
  ['8005', n(6)], // price per unit (МРЦ on tobacco blocks)
  ['90', x(1, 30)],
  // 91–99 are "company internal" (X..90) in GS1; Честный ЗНАК fixes 91 (key id) and 93 (check code) at 4
  // characters and 92 (check code) at 44 or 88.
  ['91', x(4, 4)], ['92', { ...x(44, 88), lengths: [44, 88] }], ['93', x(4, 4)],
  ['94', x(1, 90)], ['95', x(1, 90)], ['96', x(1, 90)], ['97', x(1, 90)], ['98', x(1, 90)], ['99', x(1, 90)],
]);

/** AIs whose length is predefined by their first two digits, so no GS follows them (GS1 Gen Specs figure 7.8.5-2). */
const PREDEFINED_LENGTH_PREFIXES = new Set(['00', '01', '02', '03', '04', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '23', '31', '32', '33', '34', '35', '36', '41']);
/** The AIs of the crypto tail: never part of tag 1163. */
const CHECK_AIS = new Set(['91', '92', '93']);

interface Field { readonly ai: string; readonly value: string; readonly at: number }

function aiAt(t: string, pos: number): [string, AiFormat] | undefined {
  for (const len of [2, 3, 4]) {
    const ai = t.slice(pos, pos + len);
    const format = AI_FORMATS.get(ai);
    if (format) return [ai, format];
  }
  return undefined;
}

/**
 * Splits a GS1 element string into fields. A fixed-length element ends after its length whether a GS
 * follows or not (keyboard-wedge scanners drop it; a GS after a predefined-length AI is tolerated too);
 * a variable-length one ends at a GS or at the end of the text.
 */
function parseFields(t: string, offset = 0): Field[] | MarkingCodeError {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < t.length) {
    if (t[pos] === GS) { pos++; continue; }
    const found = aiAt(t, pos);
    if (!found) return { problem: 'unknown_ai', ai: t.slice(pos, pos + 2), at: offset + pos };
    const [ai, format] = found;
    const start = pos + ai.length;
    const gsAt = t.indexOf(GS, start);
    const stop = gsAt === -1 ? t.length : gsAt;
    const end = format.min === format.max ? start + format.min : stop;
    const length = end - start;
    if (end > stop || length < format.min || length > format.max || (format.lengths && !format.lengths.includes(length))) {
      return { problem: 'bad_length', ai };
    }
    const value = t.slice(start, end);
    if (!(format.chars === 'N' ? DIGITS : CSET82).test(value)) return { problem: 'bad_characters' };
    fields.push({ ai, value, at: offset + pos });
    pos = end;
  }
  return fields;
}

/**
 * A code scanned with every GS dropped: `01 GTIN 21 serial` runs into the crypto tail, and AI 21 is
 * variable-length, so the serial would swallow it (a 13-character serial + "93" + 4 still fits in 20).
 * Take the shortest serial after which the rest parses to the end and holds a check-code AI (the split
 * that explains the most of the text). A bare 01+21 code whose serial happens to end in "93" + 4
 * characters is indistinguishable from a beer code (7-character serial + 93) without its GS: it is
 * read as the latter.
 */
function splitUnseparated(t: string): Field[] | undefined {
  const SERIAL_AT = 18; // "01" + 14 + "21"
  if (t.includes(GS) || !DIGITS.test(t.slice(2, 16)) || !t.startsWith('01') || t.slice(16, SERIAL_AT) !== '21') return undefined;
  const rest = t.slice(SERIAL_AT);
  for (let k = 1; k <= Math.min(20, rest.length - 1); k++) {
    const tail = parseFields(rest.slice(k), SERIAL_AT + k);
    if (isFieldList(tail) && tail.some((f) => CHECK_AIS.has(f.ai))) {
      return [{ ai: '01', value: t.slice(2, 16), at: 0 }, { ai: '21', value: rest.slice(0, k), at: 16 }, ...tail];
    }
  }
  return undefined;
}

const isFieldList = (x: Field[] | MarkingCodeError): x is Field[] => Array.isArray(x);

const serialise = (fields: readonly Field[]): string =>
  fields.map((f, i) => f.ai + f.value + (i < fields.length - 1 && !PREDEFINED_LENGTH_PREFIXES.has(f.ai.slice(0, 2)) ? GS : '')).join('');

function codeTypeOf(check92: string | undefined, keyId: string | undefined, check93: string | undefined): MarkingCodeType {
  // 91 + 92(44) → 4: ФН-М holds verification keys by key id (91), but whether this FN holds this
  // key cannot be known offline; the FN itself answers "no keys" in its local check (B1h) if not.
  if (check92 !== undefined) {
    if (check92.length === 88) return MARKING_CODE_TYPE.checkCode88;
    return keyId === undefined ? MARKING_CODE_TYPE.checkCode44NotCheckedInFn : MARKING_CODE_TYPE.checkCode44CheckedInFn;
  }
  if (check93 !== undefined) return MARKING_CODE_TYPE.checkCode4;
  // 01 + 21 without a check code (a bare identification code, КИ): a gs1m product code, but its
  // type cannot be identified.
  return MARKING_CODE_TYPE.notIdentified;
}

function fromFields(fields: readonly Field[]): ParsedMarkingCode | MarkingCodeError {
  const byAi = new Map<string, string>();
  for (const f of fields) {
    const seen = byAi.get(f.ai);
    // GS1 forbids one AI twice with different data: the second one is not an AI this code may carry.
    if (seen !== undefined && seen !== f.value) return { problem: 'unknown_ai', ai: f.ai, at: f.at };
    byAi.set(f.ai, f.value);
  }
  const gtin = byAi.get('01') ?? null;
  if (gtin !== null && !gtinCheckDigitValid(gtin)) return { problem: 'bad_gtin_check_digit', gtin };
  const serial = byAi.get('21') ?? null;
  const raw = serialise(fields.filter((f, i) => fields.findIndex((g) => g.ai === f.ai) === i));
  if (raw.length > MAX_RAW_LENGTH) return { problem: 'too_long' };
  const extras: Record<string, string> = {};
  for (const [ai, value] of byAi) if (ai !== '01' && ai !== '21' && !CHECK_AIS.has(ai)) extras[ai] = value;
  const keyId = byAi.get('91');
  const check92 = byAi.get('92');
  const check93 = byAi.get('93');
  const common = { raw, gtin, serial, keyId: keyId ?? null, checkCode: check92 ?? check93 ?? null, extras };
  if (gtin === null || serial === null) {
    // A GS1 string that is no marking code (no serial): only 1300 can hold it.
    if (raw.length > MAX_PRODUCT_CODE_LENGTH.undefined) return { problem: 'too_long' };
    return { ...common, kind: 'undefined', codeType: MARKING_CODE_TYPE.notIdentified, productCode: raw };
  }
  // The receipt carries the identification code only, never the crypto tail (FNS receipt JSON shows
  // gs1m.rawProductCode = 01+GTIN+21+serial); at most 2 + 14 + 2 + 20 = 38 characters.
  return { ...common, kind: 'gs1m', codeType: codeTypeOf(check92, keyId, check93), productCode: `01${gtin}21${serial}` };
}

// ---------------------------------------------------------------------------------------------------

const TOBACCO_PACK = /^([0-9]{14})([\x21-\x7e]{7})([\x21-\x7e]{4})([\x21-\x7e]{4})$/;

/**
 * Tobacco pack code, 29 characters: GTIN-14, serial (7), МРЦ (4, encoded), check code (4). The 1306 kmk
 * product code is taken as the identification code GTIN + serial, by analogy with gs1m (inferred: no
 * public source shows a kmk value in a receipt). 25-character variants are not accepted: no source shows one.
 */
function parseTobaccoPack(t: string): ParsedMarkingCode | MarkingCodeError | undefined {
  const m = TOBACCO_PACK.exec(t);
  if (!m) return undefined;
  const [, gtin = '', serial = '', , check = ''] = m;
  if (!gtinCheckDigitValid(gtin)) return { problem: 'bad_gtin_check_digit', gtin };
  return {
    raw: t, codeType: MARKING_CODE_TYPE.short, kind: 'kmk', gtin, serial, productCode: gtin + serial,
    keyId: null, checkCode: check, extras: {},
  };
}

function decodeBase64(text: string): string | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Buffer ignores stray bits; a canonical round trip proves the text was well-formed base64.
  if (bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) return undefined;
  return bytes.toString('latin1');
}

/**
 * 'auto': a raw GS1 or tobacco code starts with a digit, which base64 of ASCII text never does (a
 * first byte 0x30–0x39 encodes as "M"/"N"/"O"). So text that is not digit-led, is valid base64, and
 * decodes to printable ASCII starting with a digit, GS or "]" is taken as base64; anything else as raw.
 * A non-GS1 code meant raw that happens to satisfy all of this is misread: pass 'raw' for such codes.
 */
function decodeAuto(text: string): string {
  if (/^[0-9]/.test(text)) return text;
  const decoded = decodeBase64(text);
  return decoded !== undefined && isKmText(decoded) && /^[0-9\]]/.test(stripLeadingGs(decoded)) ? decoded : text;
}

/** `text` is either the raw code or its base64 (the API accepts both; ATOL Online sends base64). */
export function parseMarkingCode(text: string, encoding: 'raw' | 'base64' | 'auto'): ParsedMarkingCode | MarkingCodeError {
  if (text.length > MAX_INPUT_LENGTH) return { problem: 'too_long' };
  const trimmed = text.replace(EDGE_WHITESPACE, '');
  let decoded = trimmed;
  if (encoding === 'base64') {
    const d = decodeBase64(trimmed);
    if (d === undefined) return trimmed === '' ? { problem: 'empty' } : { problem: 'bad_base64' };
    decoded = d;
  } else if (encoding === 'auto') {
    decoded = decodeAuto(trimmed);
  }
  // A leading GS is FNC1 in first position (the GS1 flag of the symbol), not a separator.
  const normalised = decoded.replace(EDGE_WHITESPACE, '').replace(SYMBOLOGY_ID, '').replace(SEPARATOR_SPELLINGS, GS);
  const t = stripLeadingGs(normalised);
  if (t === '') return { problem: 'empty' };
  if (!isKmText(t)) return { problem: 'bad_characters' };
  // "(01)" is the human-readable form: parentheses are legal serial characters, so it cannot be
  // parsed; it is refused (unknown AI at 0) rather than passed on as an unrecognised code.
  if (t.startsWith('01') || t.startsWith('(01)') || t.includes(GS)) {
    const fields = splitUnseparated(t) ?? parseFields(t);
    const parsed = isFieldList(fields) ? fromFields(fields) : fields;
    if (!isMarkingCodeError(parsed)) return parsed;
    // A tobacco pack whose GTIN happens to start with "1" also starts with "01".
    const pack = parseTobaccoPack(t);
    return pack && !isMarkingCodeError(pack) ? pack : parsed;
  }
  const pack = parseTobaccoPack(t);
  if (pack) return pack;
  // Anything else is an unrecognised code, which FFD lets 1300 carry as is.
  if (t.length > MAX_PRODUCT_CODE_LENGTH.undefined) return { problem: 'too_long' };
  return {
    raw: t, codeType: MARKING_CODE_TYPE.notIdentified, kind: 'undefined', gtin: null, serial: null, productCode: t,
    keyId: null, checkCode: null, extras: {},
  };
}

// ---------------------------------------------------------------------------------------------------

/** Keys of FNS receipt JSON `productCodeNew`, one per tag 1163 sub-tag (1300–1309, 1320–1325). */
export type ProductCodeKey = MarkingCodeKind | 'ean8' | 'ean13' | 'itf14' | 'gs1' | 'mi' | 'egais2' | 'egais3' | 'f1' | 'f2' | 'f3' | 'f4' | 'f5' | 'f6';

/**
 * `productIdType` as FNS receipt JSON shows it in `productCodeNew.<key>`. Observed in published FNS
 * receipts: itf14 (1303) = 5, gs1m (1305) = 6. The rest is inferred: numbering in sub-tag order anchored
 * at those two, with gs1 (1304) sharing gs1m's 6 (both GS1 element strings); no source confirms them.
 */
const PRODUCT_ID_TYPES = {
  undefined: 2, ean8: 3, ean13: 4, itf14: 5, gs1: 6, gs1m: 6, kmk: 7, mi: 8, egais2: 9, egais3: 10,
  f1: 11, f2: 12, f3: 13, f4: 14, f5: 15, f6: 16,
} as const satisfies Record<ProductCodeKey, number>;

/** FNS JSON `productIdType` per 1163 sub-tag (1300..1325): as FNS exports show it (5 itf14, 6 gs1m; the others inferred). */
export function productIdType(kind: ProductCodeKey): number {
  return PRODUCT_ID_TYPES[kind];
}

/** GTIN-14 mod-10 check digit (GS1 Gen Specs section 7.9.1: weights 3, 1, 3… from the right of the data digits). */
export function gtinCheckDigitValid(gtin14: string): boolean {
  if (!/^[0-9]{14}$/.test(gtin14)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(gtin14[i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(gtin14[13]);
}
