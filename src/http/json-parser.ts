import sjson from 'secure-json-parse';
import { DomainError } from '../domain/errors.js';

export const MAX_JSON_DEPTH = 32;

/**
 * JSON bodies: nesting deeper than MAX_JSON_DEPTH is refused before parsing (a hostile body of
 * 100k nested arrays costs nothing to send), and `__proto__` / `constructor.prototype` keys are
 * refused by secure-json-parse (prototype poisoning).
 */
export function parseJsonBody(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new DomainError('invalid', { code: 'too_deep', message: `JSON nesting deeper than ${MAX_JSON_DEPTH} levels` });
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (e) {
    throw new DomainError('invalid', { code: 'malformed_json', message: `The body is not valid JSON: ${e instanceof Error ? e.message : 'parse error'}` });
  }
}
