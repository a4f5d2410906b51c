import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MARKING_CODE_TYPE, gtinCheckDigitValid, isMarkingCodeError, parseMarkingCode, productIdType,
  type MarkingCodeError, type ParsedMarkingCode,
} from './marking-code.js';

const GS = '\u001d';

function parsed(text: string, encoding: 'raw' | 'base64' | 'auto' = 'raw'): ParsedMarkingCode {
  const result = parseMarkingCode(text, encoding);
  if (isMarkingCodeError(result)) throw new Error(`expected a marking code, got ${JSON.stringify(result)}`);
  return result;
}
const failed = (text: string, encoding: 'raw' | 'base64' | 'auto' = 'raw'): MarkingCodeError | ParsedMarkingCode =>
  parseMarkingCode(text, encoding);

// Real codes from public sources. Each names where it was published.

// A code "from a real product" (91 key id + 92 check code of 44): github.com/shtrih-m/fr_drv_ng/issues/165,
// posted with the separator written as <0x1D>.
const SHOE_44 = `010401154803070721FWX00GG65908U${GS}91EE06${GS}92ty6nIoq1w2xrmcVLmKc3+cnhZxS/kgAnq7Bf5FH0CRQ=`;
// The example of the ATOL KKT driver v10 manual (marking code check), as copied into
// gitverse.ru/sysadminrus/AtolPython kktfunc/checkdm.py.
const ATOL_DOC_44 = `014494550435306821QXYXSALGLMYQQ${GS}91EE06${GS}92YWCXbmK6SN8vvwoxZFk7WAY8WoJNMGGr6Cgtiuja04c=`;
// "Пример кода обувной продукции" with an 88-character 92, printed in human-readable form
// (01)…(21)…(91)…(92)… at develop-1c.ru/base/chestnyi-znak/kody-markirovok/sostav-koda; written here
// as scanned, with GS after the variable-length 21 and 91.
const SHOE_88_CHECK = 'sOe6fy7lPT8lLffZ5WdQ7Rp8P>XLDwEGD1Wv4oY71o4&FVGTngrd45/<7&*(fglnxdszcyACRLvw;46-fjadfLGV';
const SHOE_88 = `010469025752852321G+mgsHw<DiLN_${GS}91EE05${GS}92${SHOE_88_CHECK}`;
// A medicine code with 240 (additional id), 17 (expiry) and an 88-character 92, given by the Shtrih-M
// maintainer in github.com/shtrih-m/fr_drv_ng/issues/96 (the issue wraps the 92 over two lines).
const MEDICINE_88 = `010460406000600021N4N57RSCBUZTQ${GS}2403004002910161218${GS}1724010191ffd0${GS}` +
  '92tIAF/YVoU4roQS3M/m4z78yFq0fc/WsSmLeX5QkF/YVWwy8IMYAeiQ91Xa2z/fFSJcOkb2N+uUUmfr4n0mOX0Q==';
// 93-check-code layout (dairy, water): the `cis` example of the Yandex Market partner API,
// yandex.ru/dev/market/partner-api/doc/ru/reference/orders/provideOrderItemIdentifiers — with a real GS.
const DAIRY_93 = `01030410947874432155Qbag!${GS}93Zjqw`;
// Beer (7-character serial + 93), as the Shtrih-M maintainer says it must read:
// github.com/shtrih-m/fr_drv_ng/issues/282.
const BEER_93 = `0104680046264732215l>VEUc${GS}93Is54`;
// Tobacco packs, 29 characters without AIs: github.com/shtrih-m/fr_drv_ng_examples/issues/39 and
// github.com/shtrih-m/fr_drv_ng/issues/145 (classed КМК by the KKT there).
const TOBACCO_39 = '04631325925035yFL5nJXnulldGVz';
const TOBACCO_145 = '04606203103348a3=EfODAB=UpGbL';
// A tyre's identification code without its crypto tail, "from a real sold tyre":
// github.com/evotor/integration-library/issues/342.
const TYRE_BARE = '010290000226063221ftQsjV_ioIfX%';

describe('GS1 DataMatrix codes of Честный ЗНАК', () => {
  it('reads a 91 + 92(44) code as type 4 with the identification code alone in 1163', () => {
    expect(parsed(SHOE_44)).toEqual({
      raw: SHOE_44,
      codeType: MARKING_CODE_TYPE.checkCode44CheckedInFn,
      kind: 'gs1m',
      gtin: '04011548030707',
      serial: 'FWX00GG65908U',
      productCode: '010401154803070721FWX00GG65908U',
      keyId: 'EE06',
      checkCode: 'ty6nIoq1w2xrmcVLmKc3+cnhZxS/kgAnq7Bf5FH0CRQ=',
      extras: {},
    });
  });

  it('reads the ATOL manual example (GTIN 44945504353068)', () => {
    const code = parsed(ATOL_DOC_44);
    expect([code.gtin, code.serial, code.codeType, code.productCode])
      .toEqual(['44945504353068', 'QXYXSALGLMYQQ', 4, '014494550435306821QXYXSALGLMYQQ']);
  });

  it('reads a 92 of 88 characters as type 2', () => {
    const code = parsed(SHOE_88);
    expect([code.codeType, code.serial, code.keyId, code.checkCode]).toEqual([2, 'G+mgsHw<DiLN_', 'EE05', SHOE_88_CHECK]);
    expect(code.productCode).toBe('010469025752852321G+mgsHw<DiLN_');
  });

  it('keeps other AIs as extras (medicine: 240 and 17) and the raw code whole', () => {
    const code = parsed(MEDICINE_88);
    expect(code.extras).toEqual({ '240': '3004002910161218', '17': '240101' });
    expect([code.codeType, code.keyId, code.raw]).toEqual([2, 'ffd0', MEDICINE_88]);
    expect(code.productCode).toBe('010460406000600021N4N57RSCBUZTQ');
  });

  it.each([
    [DAIRY_93, '03041094787443', '55Qbag!', 'Zjqw'],
    [BEER_93, '04680046264732', '5l>VEUc', 'Is54'],
  ])('reads a 93 check code as type 5: %j', (text, gtin, serial, check) => {
    const code = parsed(text);
    expect([code.kind, code.codeType, code.gtin, code.serial, code.checkCode, code.keyId])
      .toEqual(['gs1m', 5, gtin, serial, check, null]);
    expect(code.productCode).toBe(`01${gtin}21${serial}`);
  });

  it('keeps a weight (3103) after the 93 check code as an extra, GS after the 93', () => {
    // Weighed dairy adds 3103 (net weight, kg, 3 decimals) — the dairy rules' AI table
    // (docs.cntd.ru/document/603206926); the code itself is the Yandex one above plus a weight.
    const code = parsed(`${DAIRY_93}${GS}3103000450`);
    expect([code.codeType, code.extras, code.raw]).toEqual([5, { '3103': '000450' }, `${DAIRY_93}${GS}3103000450`]);
  });

  it('reads an identification code without crypto tail as gs1m of type 0', () => {
    const code = parsed(TYRE_BARE);
    expect([code.kind, code.codeType, code.productCode, code.checkCode]).toEqual(['gs1m', 0, TYRE_BARE, null]);
  });

  it('reads a 92(44) without a 91 key id as type 3 (cannot be checked in the FN)', () => {
    const code = parsed(SHOE_44.replace(`${GS}91EE06`, ''));
    expect([code.codeType, code.keyId]).toEqual([MARKING_CODE_TYPE.checkCode44NotCheckedInFn, null]);
  });

  it('classes a GS1 string with a GTIN but no serial as an undefined (1300) code', () => {
    const code = parsed('010468004626473217240101');
    expect([code.kind, code.codeType, code.gtin, code.serial, code.productCode, code.extras])
      .toEqual(['undefined', 0, '04680046264732', null, '010468004626473217240101', { '17': '240101' }]);
  });
});

describe('tobacco pack codes', () => {
  it.each([
    [TOBACCO_39, '04631325925035', 'yFL5nJX', 'dGVz'],
    [TOBACCO_145, '04606203103348', 'a3=EfOD', 'pGbL'],
  ])('reads %j as a short code (2100 = 1, 1306 kmk)', (text, gtin, serial, check) => {
    expect(parsed(text, 'auto')).toEqual({
      raw: text, codeType: MARKING_CODE_TYPE.short, kind: 'kmk', gtin, serial, productCode: gtin + serial,
      keyId: null, checkCode: check, extras: {},
    });
  });

  it('refuses a pack code whose GTIN check digit is wrong', () => {
    expect(failed('04631325925036yFL5nJXnulldGVz')).toEqual({ problem: 'bad_gtin_check_digit', gtin: '04631325925036' });
  });
});

describe('input forms', () => {
  it('accepts base64 (ATOL Online sends the code so) explicitly and in auto mode', () => {
    const b64 = Buffer.from(ATOL_DOC_44, 'latin1').toString('base64');
    expect(b64.startsWith('MDE')).toBe(true);
    expect(parsed(b64, 'base64')).toEqual(parsed(ATOL_DOC_44));
    expect(parsed(b64, 'auto')).toEqual(parsed(ATOL_DOC_44));
    expect(parsed(Buffer.from(TOBACCO_145).toString('base64'), 'auto').kind).toBe('kmk');
  });

  it('refuses malformed base64 and text that decodes to something other than a code', () => {
    expect(failed('MDEwNDY*', 'base64')).toEqual({ problem: 'bad_base64' });
    expect(failed('MDF', 'base64')).toEqual({ problem: 'bad_base64' }); // trailing bits set: not canonical
    expect(failed('M', 'base64')).toEqual({ problem: 'bad_base64' });
    expect(failed('0J/RgNC40LLQtdGC', 'base64')).toEqual({ problem: 'bad_characters' }); // UTF-8 Cyrillic
  });

  it('does not decode in auto mode what is a raw code', () => {
    expect(parsed(TYRE_BARE, 'auto').productCode).toBe(TYRE_BARE); // digit-led: raw
    expect(parsed('TWFu', 'auto').raw).toBe('TWFu'); // decodes to "Man": not digit-led, kept raw
  });

  it('does not decode base64 in raw mode: the 44 characters are an unrecognised code too long for 1300', () => {
    expect(failed(Buffer.from(BEER_93).toString('base64'), 'raw')).toEqual({ problem: 'too_long' });
  });

  it.each([
    ['<GS>', SHOE_44.replaceAll(GS, '<GS>')],
    // A JSON string escaped twice, the mistake the Yandex Market API doc warns about.
    ['literal \\u001d', DAIRY_93.replace(GS, '\\u001d')],
    ['literal \\u001D', ATOL_DOC_44.replaceAll(GS, '\\u001D')],
  ])('normalises the %s separator spelling to 0x1D', (_name, text) => {
    const expected = parsed(text.replaceAll('<GS>', GS).replaceAll('\\u001d', GS).replaceAll('\\u001D', GS));
    expect(parsed(text)).toEqual(expected);
    expect(parsed(text).raw.includes(GS)).toBe(true);
  });

  it('strips a ]d2 symbology identifier, a leading FNC1 and the scanner\'s CR/LF', () => {
    expect(parsed(`]d2${GS}${BEER_93}\r\n`)).toEqual(parsed(BEER_93));
    expect(parsed(`${GS}${SHOE_44}`).raw).toBe(SHOE_44);
  });

  it('recovers a code scanned without any GS (keyboard-wedge scanner) and puts the GS back in raw', () => {
    expect(parsed(BEER_93.replaceAll(GS, ''))).toEqual(parsed(BEER_93));
    expect(parsed(SHOE_44.replaceAll(GS, ''))).toEqual(parsed(SHOE_44));
  });

  it('cannot recover a code without GS whose serial is followed by a variable-length AI (240)', () => {
    expect(failed(MEDICINE_88.replaceAll(GS, ''))).toEqual({ problem: 'bad_length', ai: '21' });
  });

  it('accepts a missing GS after the fixed-length 91 and a redundant one after 01', () => {
    expect(parsed(SHOE_44.replace(`EE06${GS}92`, 'EE0692'))).toEqual(parsed(SHOE_44));
    expect(parsed(BEER_93.replace('0104680046264732', `0104680046264732${GS}`))).toEqual(parsed(BEER_93));
  });

  it('passes an unrecognised code on as 1300 undefined, as FFD allows', () => {
    // A fur КиЗ of the form СС-ЦЦЦЦЦЦ-СССССССССС (mask in github.com/alekciy/php-ecom-sber-sdk
    // docs/Model/CartItemsItemsInnerMarkCode.md) is no GS1 code.
    expect(parsed('RU-430301-ABCDEF1234')).toEqual({
      raw: 'RU-430301-ABCDEF1234', codeType: 0, kind: 'undefined', gtin: null, serial: null,
      productCode: 'RU-430301-ABCDEF1234', keyId: null, checkCode: null, extras: {},
    });
  });
});

describe('refusals', () => {
  it.each([['', 'raw'], ['  \r\n', 'raw'], [']d2', 'raw'], [GS, 'raw'], ['', 'base64'], ['', 'auto']] as const)(
    'refuses %j (%s) as empty', (text, encoding) => {
      expect(failed(text, encoding)).toEqual({ problem: 'empty' });
    });

  it('refuses a GTIN whose check digit is wrong', () => {
    expect(failed(SHOE_44.replace('04011548030707', '04011548030708')))
      .toEqual({ problem: 'bad_gtin_check_digit', gtin: '04011548030708' });
  });

  it('names an unknown AI and where it starts', () => {
    // fr_drv_ng#282 as posted: the separator typed as the four characters \u1d.
    expect(failed('0104680046264732\\u1d215l>VEUc\\u1d93Is54')).toEqual({ problem: 'unknown_ai', ai: '\\u', at: 16 });
    expect(failed(`${BEER_93}${GS}23ABC`)).toEqual({ problem: 'unknown_ai', ai: '23', at: BEER_93.length + 1 });
    // The human-readable (01)…(21)… form cannot be parsed: parentheses are serial characters.
    expect(failed('(01)04680046264732(21)5l>VEUc(93)Is54')).toEqual({ problem: 'unknown_ai', ai: '(0', at: 0 });
  });

  it('refuses one AI twice with different data', () => {
    expect(failed(`${BEER_93}${GS}93AAAA`)).toEqual({ problem: 'unknown_ai', ai: '93', at: BEER_93.length + 1 });
    expect(parsed(`${BEER_93}${GS}93Is54`).raw).toBe(BEER_93);
  });

  it.each([
    ['a truncated 92', SHOE_44.slice(0, -10), '92'],
    ['a 91 of 3 characters', SHOE_44.replace('91EE06', '91EE0'), '91'],
    ['a serial of 21 characters', `0104680046264732215l>VEUc5l>VEUc5l>VEUc${GS}93Is54`, '21'],
    ['an empty serial', `010468004626473221${GS}93Is54`, '21'],
    ['a short GTIN', `01046800462647${GS}215l>VEUc`, '01'],
  ])('refuses %s as bad_length', (_name, text, ai) => {
    expect(failed(text)).toEqual({ problem: 'bad_length', ai });
  });

  it.each([
    ['Cyrillic letters (scanner in the Russian keyboard layout)', '0104680046264732215д>МУГс93Шы54'],
    ['a space inside a serial', `0104680046264732215l VEUc${GS}93Is54`],
    ['a control character', `${BEER_93}\u0007`],
    ['letters in the GTIN (HRI mangled by 1C: github.com/andrei-karpov/1c_kkt_54fz/issues/21)', 'MDExKTA0NjIwMDcwMjMwNzIxKDIxKTVzcmwnVWZsWA=='],
  ])('refuses %s as bad_characters', (_name, text) => {
    expect(failed(text, 'auto')).toEqual({ problem: 'bad_characters' });
  });

  it('refuses what does not fit tag 2000 (256) or 1300 (32)', () => {
    const long = `${BEER_93}${GS}99${'C'.repeat(90)}${GS}98${'D'.repeat(90)}${GS}97`; // 32 + 93 + 93 + 3 = 221
    expect(parsed(`${long}${'E'.repeat(35)}`).raw).toHaveLength(256);
    expect(failed(`${long}${'E'.repeat(36)}`)).toEqual({ problem: 'too_long' });
    expect(failed('X'.repeat(2000))).toEqual({ problem: 'too_long' });
    expect(parsed(`RU-${'A'.repeat(29)}`).kind).toBe('undefined'); // 32: fits 1300
    expect(failed(`RU-${'A'.repeat(30)}`)).toEqual({ problem: 'too_long' });
    expect(failed('01046800462647321724010110ABCDEFGHIJKLMNOP')).toEqual({ problem: 'too_long' }); // GS1 without serial, 42 > 32
  });
});

describe('tag 1163 never carries the crypto tail', () => {
  const cset82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
  const base64Chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const chars = (alphabet: string, min: number, max: number) =>
    fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
  const gtin = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 13, maxLength: 13 }).map((d) => {
    const sum = d.reduce((s, v, i) => s + v * (i % 2 === 0 ? 3 : 1), 0);
    return d.join('') + String((10 - (sum % 10)) % 10);
  });
  const tail = fc.oneof(
    fc.tuple(chars(base64Chars, 4, 4), chars(base64Chars, 44, 44)).map(([k, c]) => ({ text: `91${k}${GS}92${c}`, type: 4, check: c })),
    fc.tuple(chars(base64Chars, 4, 4), chars(base64Chars, 88, 88)).map(([k, c]) => ({ text: `91${k}${GS}92${c}`, type: 2, check: c })),
    chars(cset82, 4, 4).map((c) => ({ text: `93${c}`, type: 5, check: c })),
  );

  it('for any 01 + 21 + check code, 1163 is 01+GTIN+21+serial and the raw code round-trips', () => {
    fc.assert(fc.property(gtin, chars(cset82, 1, 20), tail, (g, serial, t) => {
      const text = `01${g}21${serial}${GS}${t.text}`;
      const code = parsed(text);
      expect(code.productCode).toBe(`01${g}21${serial}`);
      expect(code.checkCode).toBe(t.check);
      expect(code.codeType).toBe(t.type);
      expect(code.raw).toBe(text);
      expect(parsed(code.raw)).toEqual(code);
    }));
  });
});

describe('helpers', () => {
  it('checks GTIN-14 mod-10 check digits', () => {
    for (const g of ['04011548030707', '03041094787443', '04680046264732', '04631325925035', '44945504353068']) {
      expect(gtinCheckDigitValid(g)).toBe(true);
    }
    expect(gtinCheckDigitValid('04011548030708')).toBe(false);
    expect(gtinCheckDigitValid('4011548030707')).toBe(false);
    expect(gtinCheckDigitValid('0401154803070A')).toBe(false);
  });

  it('gives FNS productIdType: observed itf14 = 5, gs1m = 6; kmk and undefined inferred', () => {
    expect([productIdType('itf14'), productIdType('gs1m'), productIdType('kmk'), productIdType('undefined')]).toEqual([5, 6, 7, 2]);
  });
});
