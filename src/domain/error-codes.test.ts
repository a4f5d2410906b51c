import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOC_FILE, withErrorCodes } from '../../scripts/error-codes-doc.js';
import { localize } from '../http/i18n.js';
import {
  DEVICE_ERROR_CODE_LIST,
  ERROR_CODES,
  errorCatalog,
  isErrorCode,
  validationCode,
  validationCodes,
  VALIDATION_KEYWORD_CODES,
  type DeviceErrorCode,
  type ErrorCode,
} from './error-codes.js';

const SRC = join(import.meta.dirname, '..');
const CYRILLIC = /[А-Яа-яЁё]{2,}/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [path] : [];
  });
}

const CODE = String.raw`'([a-z][a-z0-9_]*)'`;
/** A field argument: a quoted or template string, a name, or undefined. */
const FIELD = String.raw`(?:'[^']*'|\x60[^\x60]*\x60|[\w.]+)`;
const KIND = String.raw`'[a-z_]+'`;

/**
 * Where a code is written as a literal: the places that construct an error (a `code:` property, the
 * error helpers, DomainError / DeviceError), the codes /ready answers, the overview's attention items
 * and the devices' warnings.
 */
const USES: { re: RegExp; status?: number }[] = [
  { re: new RegExp(String.raw`new DomainError\('invalid', \{[^}]*?\bcode: ${CODE}`, 'g'), status: 400 },
  { re: new RegExp(String.raw`new DomainError\('unauthenticated', \{[^}]*?\bcode: ${CODE}`, 'g'), status: 401 },
  { re: new RegExp(String.raw`new DomainError\('forbidden', \{[^}]*?\bcode: ${CODE}`, 'g'), status: 403 },
  { re: new RegExp(String.raw`new DomainError\('conflict', \{[^}]*?\bcode: ${CODE}`, 'g'), status: 409 },
  { re: new RegExp(String.raw`new DomainError\('unavailable', \{[^}]*?\bcode: ${CODE}`, 'g'), status: 503 },
  { re: new RegExp(String.raw`sendErrors\(reply, request, (\d{3}), \[\{ code: ${CODE}`, 'g') },
  { re: new RegExp(String.raw`\bcode: ${CODE}`, 'g') },
  { re: new RegExp(String.raw`sendErrors\(reply, request, (\d{3}), \[tableError\(${CODE}\)`, 'g') },
  { re: new RegExp(String.raw`\btableError\(${CODE}\)`, 'g') },
  // Status and code pairs: [408, 'request_timeout'], { 405: 'method_not_allowed' }.
  { re: new RegExp(String.raw`\[(\d{3}), ${CODE}\]`, 'g') },
  { re: new RegExp(String.raw`\b(\d{3}): ${CODE}`, 'g') },
  // A code chosen by a condition: `code: cond ? 'a' : 'b'`, `code: x ?? 'a'`.
  { re: new RegExp(String.raw`\bcode: [^,}'\n]*(?:\?\?|\?) ${CODE}`, 'g') },
  { re: new RegExp(String.raw`\bcode: [^,}\n]*\? '[a-z_]+' : ${CODE}`, 'g') },
  { re: new RegExp(String.raw`\binvalid\(\s*${FIELD}\s*,\s*${CODE}`, 'g'), status: 400 },
  { re: new RegExp(String.raw`\bunprocessable\(\s*${FIELD}\s*,\s*${CODE}`, 'g'), status: 422 },
  { re: new RegExp(String.raw`\berr\(\s*${FIELD}\s*,\s*${CODE}`, 'g') },
  { re: new RegExp(String.raw`\bfiscal\(\s*${FIELD}\s*,\s*${CODE}`, 'g') },
  { re: new RegExp(String.raw`\bnotFound\(\s*${CODE}`, 'g'), status: 404 },
  { re: new RegExp(String.raw`\bconflict\(\s*${CODE}`, 'g'), status: 409 },
  { re: new RegExp(String.raw`\brateLimited\(\s*${CODE}`, 'g'), status: 429 },
  { re: new RegExp(String.raw`\bstorageUnavailable\(\s*${CODE}`, 'g'), status: 503 },
  { re: new RegExp(String.raw`\bnotReady\(\s*request,\s*reply,\s*${CODE}`, 'g'), status: 503 },
  { re: new RegExp(String.raw`\brejected\(\s*${CODE}`, 'g') },
  { re: new RegExp(String.raw`new DeviceError\(\s*${KIND}\s*,\s*${CODE}`, 'g') },
  { re: new RegExp(String.raw`\badd\(\s*(?:'error'|'warning'|[^,]+\?\s*'error'\s*:\s*'warning')\s*,\s*${CODE}`, 'g') },
  { re: new RegExp(String.raw`\b(?:warnings|out)\.push\(${CODE}\)`, 'g') },
];

/** Tables of codes in the drivers and storage: `*_ERROR_CODES = { code: … }` keys and `… Problem/Warning = 'a' | 'b'` unions. */
function tableCodes(text: string): { codes: string[]; device: boolean }[] {
  const out: { codes: string[]; device: boolean }[] = [];
  for (const m of text.matchAll(/\b[A-Z]+_ERROR_CODES\s*=\s*\{([^}]*)\}/g)) {
    out.push({ codes: [...(m[1] ?? '').matchAll(/^\s*([a-z][a-z0-9_]*):/gm)].map((k) => k[1] ?? ''), device: true });
  }
  for (const m of text.matchAll(/\btype \w*(?:Problem|Warning)\s*=\s*((?:\s*\|?\s*'[a-z_]+')+)/g)) {
    out.push({ codes: [...(m[1] ?? '').matchAll(/'([a-z_]+)'/g)].map((k) => k[1] ?? ''), device: false });
  }
  return out;
}

interface Use {
  code: string;
  file: string;
  status?: number;
}

function usesIn(file: string): Use[] {
  const text = readFileSync(file, 'utf8');
  const name = relative(SRC, file);
  const uses: Use[] = [];
  for (const { re, status } of USES) {
    for (const m of text.matchAll(re)) {
      const [a, b] = [m[1] ?? '', m[2]];
      if (b !== undefined) uses.push({ code: b, file: name, status: Number(a) });
      else uses.push({ code: a, file: name, ...(status !== undefined ? { status } : {}) });
    }
  }
  for (const t of tableCodes(text)) for (const code of t.codes) uses.push({ code, file: name });
  return uses;
}

const FILES = sourceFiles(SRC);
const USED = FILES.flatMap(usesIn);

describe('the table of error codes', () => {
  it('gives every code a kind, English and Russian text', () => {
    for (const e of errorCatalog()) {
      expect(e.en.trim(), e.code).not.toBe('');
      expect(e.ru.trim(), e.code).not.toBe('');
      expect(e.ru, `${e.code}: the Russian text is Russian`).toMatch(CYRILLIC);
      expect(e.en, `${e.code}: the English text is English`).not.toMatch(CYRILLIC);
      expect(e.code).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });

  it('gives each kind its HTTP status', () => {
    const first: Partial<Record<string, number | null>> = {
      validation: 400, unprocessable: 422, auth: 401, rate_limited: 429, forbidden: 403, not_found: 404,
      conflict: 409, unavailable: 503, internal: 500, device: 503, receipt: null, attention: null,
    };
    for (const e of errorCatalog()) {
      const expected = first[e.kind];
      if (expected === undefined) expect(e.status.length, e.code).toBeGreaterThan(0);
      else if (expected === null) expect(e.status, e.code).toEqual([]);
      else expect(e.status[0], e.code).toBe(expected);
      if (e.device) expect(e.status, `${e.code}: a failed device read answers 503`).toContain(503);
    }
  });

  it('finds the codes it scans for (the scan itself works)', () => {
    const codes = new Set(USED.map((u) => u.code));
    for (const c of ['invalid_money', 'receipt_not_found', 'device_timeout', 'lease_lost', 'fn_state_mismatch', 'paper_out', 'service_group_stopped', 'data_dir_missing', 'migrations_pending', 'orphan_documents']) {
      expect(codes, c).toContain(c);
    }
    expect(USED.length).toBeGreaterThan(150);
  });

  it('holds every code the source uses', () => {
    const missing = USED.filter((u) => !isErrorCode(u.code)).map((u) => `${u.code} (${u.file})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('holds no code the source does not use', () => {
    // The validation codes come from the keyword mapping; `invalid` is its answer for any other keyword.
    const used = new Set<string>([...USED.map((u) => u.code), ...Object.values(VALIDATION_KEYWORD_CODES), validationCode('anyOtherKeyword')]);
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).toEqual([]);
  });

  it('lists the status every use answers with', () => {
    const wrong = USED.filter((u) => u.status !== undefined && isErrorCode(u.code) && !(ERROR_CODES[u.code].status as readonly number[]).includes(u.status))
      .map((u) => `${u.code} ${u.status ?? ''} (${u.file})`);
    expect([...new Set(wrong)]).toEqual([]);
  });

  it('marks as device codes the codes of the drivers\' and worker\'s DeviceErrors', () => {
    const deviceUses = FILES.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return [
        ...[...text.matchAll(new RegExp(String.raw`new DeviceError\(\s*${KIND}\s*,\s*${CODE}`, 'g'))].map((m) => m[1] ?? ''),
        ...[...text.matchAll(new RegExp(String.raw`\brejected\(\s*${CODE}`, 'g'))].map((m) => m[1] ?? ''),
        ...tableCodes(text).filter((t) => t.device).flatMap((t) => t.codes),
      ];
    });
    const notDevice = deviceUses.filter((c) => !(DEVICE_ERROR_CODE_LIST as readonly string[]).includes(c));
    expect([...new Set(notDevice)]).toEqual([]);
    const fromWorker: DeviceErrorCode[] = ['device_timeout', 'lease_lost', 'fn_state_mismatch', 'storage_unavailable'];
    for (const c of fromWorker) expect(DEVICE_ERROR_CODE_LIST).toContain(c);
  });

  it('is what docs/api.md lists (npx tsx scripts/error-codes-doc.ts writes it)', () => {
    const doc = readFileSync(API_DOC_FILE, 'utf8');
    expect(withErrorCodes(doc) === doc, 'docs/api.md error codes section is out of date').toBe(true);
    for (const e of errorCatalog()) expect(doc).toContain(`| \`${e.code}\` |`);
  });
});

describe('validation codes', () => {
  it('maps each keyword once', () => {
    expect(validationCode('required')).toBe('required');
    expect(validationCode('type')).toBe('invalid_type');
    expect(validationCode('not')).toBe('invalid_characters');
    expect(validationCode('additionalProperties')).toBe('unknown_field');
    expect(validationCode('somethingNew')).toBe('invalid');
    expect(validationCode('constructor')).toBe('invalid');
  });

  it('names a failed union of types invalid_type and a failed union of constants invalid_value', () => {
    // As ajv and TypeBox report them: the branches first, then the union, at the same path.
    const money = [
      { keyword: 'type', instancePath: '/products/0/price', params: { type: 'number' } },
      { keyword: 'type', instancePath: '/products/0/price', params: { type: 'string' } },
      { keyword: 'anyOf', instancePath: '/products/0/price', params: {} },
    ];
    expect(validationCodes(money)).toEqual(['invalid_type', 'invalid_type', 'invalid_type']);
    const ffd = [
      { keyword: 'const', instancePath: '/ffd_version', params: { allowedValue: '105' } },
      { keyword: 'const', instancePath: '/ffd_version', params: { allowedValue: '120' } },
      { keyword: 'anyOf', instancePath: '/ffd_version', params: {} },
    ];
    expect(validationCodes(ffd)).toEqual(['invalid_value', 'invalid_value', 'invalid_value']);
    const nullableEnum = [...ffd, { keyword: 'type', instancePath: '/ffd_version', params: { type: 'null' } }, { keyword: 'anyOf', instancePath: '/ffd_version', params: {} }];
    expect(validationCodes(nullableEnum).at(-1)).toBe('invalid_value');
    // A union's branches end where the path changes.
    expect(validationCodes([{ keyword: 'const', instancePath: '/a' }, { keyword: 'type', instancePath: '/b' }, { keyword: 'anyOf', instancePath: '/b' }]).at(-1)).toBe('invalid_type');
  });
});

describe('localize', () => {
  const errors = [{ field: 'products[0].price', code: 'invalid_money', message: 'products[0].price must be money' }, { code: 'receipt_not_found', message: 'Receipt 5 does not exist' }];

  it('answers Russian from the table for Accept-Language: ru', () => {
    const ru = localize(errors, 'ru-RU,ru;q=0.9,en;q=0.8');
    expect(ru[0]).toEqual({ field: 'products[0].price', code: 'invalid_money', message: `products[0].price: ${ERROR_CODES.invalid_money.ru}` });
    expect(ru[1]?.message).toBe(ERROR_CODES.receipt_not_found.ru);
  });

  it('keeps the English message of the call site otherwise', () => {
    expect(localize(errors, undefined)).toBe(errors);
    expect(localize(errors, 'en-US,ru;q=0.5')).toBe(errors);
  });

  it('keeps a code outside the table as it is', () => {
    const own = [{ code: 'fst_err_something', message: 'Fastify says no' }];
    expect(localize(own, 'ru')).toEqual(own);
  });

  it('types the codes', () => {
    const code: ErrorCode = 'invalid_money';
    expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('no_such_code')).toBe(false);
  });
});
