import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from '../support/server.js';
import { FORBIDDEN_TEXT_PATTERN } from '../../src/domain/text.js';
import { MARKING_CODE_PATTERN } from '../../src/http/schemas.js';

/**
 * Point 9, the guard against the next forgotten field: every string a request can carry — in a
 * body, a query or a path, on any route of the REST or admin API, as the OpenAPI document
 * describes them — is either guarded by the text rule (`not: { type: 'string', pattern }`), or
 * closed by an enum/const, or by a pattern made only of digits, signs and fixed separators.
 */
type Schema = Record<string, unknown>;

const isGuard = (s: unknown): boolean =>
  typeof s === 'object' && s !== null && (s as Schema).type === 'string' && (s as Schema).pattern === FORBIDDEN_TEXT_PATTERN;
/** `^\d{1,15}$`, `^[+-]\d{2}:\d{2}$`, `^([1-9]|[1-9]\d|100)$`: no class that admits arbitrary characters. */
const closedPattern = (p: unknown) => typeof p === 'string' && /^\^[\\d{}[\]()|0-9,+:?-]*\$$/.test(p) && !/\\[DSWswpP.]|\[\^|\./.test(p.replace(/\\d/g, ''));

function unguardedStrings(schema: unknown, at: string, out: string[]): void {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Schema;
  if (isGuard(s.not)) return; // the whole value (and every union branch of it) is guarded
  if (s.enum !== undefined || s.const !== undefined) return;
  if (s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string'))) {
    // A marking code: a whitelist of printable ASCII and GS, the one control character it needs.
    if (s.pattern === MARKING_CODE_PATTERN) return;
    if (!closedPattern(s.pattern)) out.push(at);
    return;
  }
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((b, i) => unguardedStrings(b, `${at}/${k}/${i}`, out));
  }
  if (s.properties) for (const [k, v] of Object.entries(s.properties as Schema)) unguardedStrings(v, `${at}.${k}`, out);
  if (s.items) unguardedStrings(s.items, `${at}[]`, out);
  if (s.additionalProperties === true) out.push(`${at}.* (any value)`);
  else if (s.additionalProperties) unguardedStrings(s.additionalProperties, `${at}.*`, out);
  if (s.type === undefined && s.anyOf === undefined && s.oneOf === undefined && s.allOf === undefined && s.$ref === undefined && s.not === undefined) out.push(`${at} (any value)`);
}

describe('request schemas', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer('sqlite');
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it('guard every string of every body, query and path parameter', async () => {
    await s.app.ready();
    const doc = s.app.swagger() as unknown as { paths: Record<string, Record<string, Schema>> };
    const out: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        for (const p of (op.parameters ?? []) as Schema[]) {
          if (p.in !== 'query' && p.in !== 'path') continue;
          checked++;
          unguardedStrings(p.schema, `${where} ${String(p.in)}:${String(p.name)}`, out);
        }
        const body = (op.requestBody as Schema | undefined)?.content as Record<string, { schema: unknown }> | undefined;
        for (const media of Object.values(body ?? {})) {
          checked++;
          unguardedStrings(media.schema, `${where} body`, out);
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(out).toEqual([]);
  });

  it('the pattern is what ajv compiles with the u flag: pairs pass, lone surrogates do not', () => {
    const re = new RegExp(FORBIDDEN_TEXT_PATTERN, 'u');
    expect(re.test('Чай 🍵 «x» "y"')).toBe(false);
    for (const c of ['\u0000', '\t', '\u007f', '\u009f', '\ud83c', '\udf75', '\u202a', '\u202e', '\u2066', '\u2069', '\ufeff', '\ufffe', '\uffff', '\u{1fffe}']) {
      expect(re.test(`a${c}b`), `U+${c.codePointAt(0)?.toString(16)}`).toBe(true);
    }
  });
});
