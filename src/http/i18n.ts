import { errorText, type Language } from '../domain/error-codes.js';
import type { FieldError } from '../domain/errors.js';

/** Russian when the client's first choice is Russian (`Accept-Language: ru`, `ru-RU,…`), else English. */
export function languageOf(acceptLanguage: string | undefined): Language {
  return acceptLanguage !== undefined && /^\s*ru\b/i.test(acceptLanguage) ? 'ru' : 'en';
}

/**
 * Messages in the client's language, by code from the one table (src/domain/error-codes.ts). The
 * code and field stay the same; clients never parse `message`. English keeps the call site's
 * message, which may name the field, the id or the limit; a code outside the table (a framework's
 * own) keeps it in every language.
 */
export function localize(errors: FieldError[], acceptLanguage: string | undefined): FieldError[] {
  if (languageOf(acceptLanguage) === 'en') return errors;
  return errors.map((e) => {
    const ru = errorText(e.code, 'ru');
    if (ru === undefined) return e;
    return { ...e, message: e.field ? `${e.field}: ${ru}` : ru };
  });
}
