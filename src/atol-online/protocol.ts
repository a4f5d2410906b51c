import type { ReceiptType, TaxSystem, Vat1199 } from '../domain/enums.js';
import type { ProductCodeKind } from '../domain/ffd12.js';
import { lookupTable } from '../domain/lookup.js';

/**
 * The ATOL Online protocol's vocabulary (v4 = FFD 1.05, v5 = FFD 1.2) and how each word maps onto
 * cr-server's receipt: operations, enumerations, the error catalogue of the service, timestamps.
 * Sources and the full field mapping: docs/atol-online.md.
 */

export const ATOL_VERSIONS = ['v4', 'v5'] as const;
export type AtolVersion = (typeof ATOL_VERSIONS)[number];
export const isAtolVersion = (s: unknown): s is AtolVersion => s === 'v4' || s === 'v5';

/** The document operations: the native receiptType, the body's root, and the versions that have them. */
export const OPERATIONS = {
  sell: { receiptType: 1, correction: false, versions: ['v4', 'v5'] },
  sell_refund: { receiptType: 2, correction: false, versions: ['v4', 'v5'] },
  buy: { receiptType: 4, correction: false, versions: ['v4', 'v5'] },
  buy_refund: { receiptType: 5, correction: false, versions: ['v4', 'v5'] },
  sell_correction: { receiptType: 7, correction: true, versions: ['v4', 'v5'] },
  buy_correction: { receiptType: 9, correction: true, versions: ['v4', 'v5'] },
  sell_refund_correction: { receiptType: 8, correction: true, versions: ['v5'] },
  buy_refund_correction: { receiptType: 10, correction: true, versions: ['v5'] },
} as const satisfies Record<string, { receiptType: ReceiptType; correction: boolean; versions: readonly AtolVersion[] }>;
export type AtolOperation = keyof typeof OPERATIONS;
export const isAtolOperation = (s: unknown): s is AtolOperation => typeof s === 'string' && Object.hasOwn(OPERATIONS, s);
export const operationsOf = (v: AtolVersion): AtolOperation[] =>
  (Object.keys(OPERATIONS) as AtolOperation[]).filter((op) => (OPERATIONS[op].versions as readonly string[]).includes(v));

/** company.sno → 1055 (the API's tax_system values). */
export const SNO: Readonly<Record<string, TaxSystem>> = lookupTable({ osn: 1, usn_income: 2, usn_income_outcome: 4, envd: 8, esn: 16, patent: 32 });

/** payment_method (both versions) → 1214. */
export const PAYMENT_METHODS: Readonly<Record<string, number>> = lookupTable({
  full_prepayment: 1, prepayment: 2, advance: 3, full_payment: 4, partial_payment: 5, credit: 6, credit_payment: 7,
});

/**
 * v4 payment_object strings → 1212. `composite` (FFD 1.05's «составной предмет расчёта», no
 * longer used) and `award` share 12; v5 sends the 1212 value itself.
 */
export const V4_PAYMENT_OBJECTS: Readonly<Record<string, number>> = lookupTable({
  commodity: 1, excise: 2, job: 3, service: 4, gambling_bet: 5, gambling_prize: 6, lottery: 7, lottery_prize: 8,
  intellectual_activity: 9, payment: 10, agent_commission: 11, composite: 12, award: 12, another: 13, property_right: 14,
  'non-operating_gain': 15, insurance_premium: 16, sales_tax: 17, resort_fee: 18, deposit: 19, expense: 20,
  pension_insurance_ip: 21, pension_insurance: 22, medical_insurance_ip: 23, medical_insurance: 24, social_insurance: 25,
  casino_payment: 26,
});

/**
 * VAT type names (items[].vat.type, vats[].type) → 1199. They are the native `tax_type` names;
 * vat18 / vat118 (the 18 % rate gone since 2019) are refused as ATOL refuses them.
 */
export const VAT_TYPES: Readonly<Record<string, Vat1199>> = lookupTable({
  none: 6, vat0: 5, vat10: 2, vat20: 1, vat110: 4, vat120: 3, vat5: 7, vat7: 8, vat105: 9, vat107: 10, vat22: 11, vat122: 12,
});
export const RETIRED_VAT_TYPES: ReadonlySet<string> = new Set(['vat18', 'vat118']);

/** agent_info.type → 1057 / 1222. */
export const AGENT_TYPES: Readonly<Record<string, number>> = lookupTable({
  bank_paying_agent: 1, bank_paying_subagent: 2, paying_agent: 4, paying_subagent: 8, attorney: 16, commission_agent: 32, another: 64,
});

/**
 * v5 mark_code keys (exactly one per item) → where the value goes: a marking code the FN checks
 * (gs1m: the full code in base64, short: a tobacco pack's short code) or a product code of 1163.
 */
export const MARK_CODE_KEYS: Readonly<Record<string, { marking: true } | { marking: false; kind: ProductCodeKind }>> = lookupTable({
  gs1m: { marking: true },
  short: { marking: true },
  unknown: { marking: false, kind: 'undefined' },
  ean8: { marking: false, kind: 'ean8' },
  ean13: { marking: false, kind: 'ean13' },
  itf14: { marking: false, kind: 'itf14' },
  gs10: { marking: false, kind: 'gs1' },
  fur: { marking: false, kind: 'mi' },
  egais20: { marking: false, kind: 'egais2' },
  egais30: { marking: false, kind: 'egais3' },
});

/** correction_info.type → 1173. */
export const CORRECTION_TYPES: Readonly<Record<string, 0 | 1>> = lookupTable({ self: 0, instruction: 1 });

/** Document states of the report. */
export type AtolStatus = 'wait' | 'done' | 'fail';
/** `error.type` values. */
export type AtolErrorType = 'system' | 'unknown' | 'driver' | 'timeout' | 'agent';

/**
 * The service's own error codes with their HTTP status and the status of the document the reply
 * carries (null: the reply names no document state). Texts are ATOL's, in Russian, as its clients
 * show them to shop owners.
 */
export const SERVICE_ERRORS = {
  processing_failed: { code: 1, http: 400, status: null, text: 'Ошибка обработки входящего документа' },
  missing_token: { code: 10, http: 401, status: null, text: 'Не распознан токен запроса' },
  expired_token: { code: 11, http: 401, status: null, text: 'Переданный токен не активен' },
  wrong_credentials: { code: 12, http: 401, status: null, text: 'Неверный логин или пароль' },
  user_blocked: { code: 14, http: 403, status: null, text: 'Пользователь заблокирован' },
  group_mismatch: { code: 20, http: 401, status: null, text: 'Переданный токен не соответствует коду группы' },
  protocol_mismatch: { code: 21, http: 401, status: null, text: 'Группа не поддерживает эту версию протокола' },
  missing_uuid: { code: 30, http: 400, status: 'fail', text: 'Передан некорректный UUID' },
  unsupported_operation: { code: 31, http: 400, status: null, text: 'Операция не поддерживается' },
  validation: { code: 32, http: 400, status: 'fail', text: 'Ошибка валидации входящего чека. Ошибочные поля : ' },
  duplicate: { code: 33, http: 400, status: 'wait', text: 'В системе существует чек с external_id' },
  not_ready: { code: 34, http: 200, status: 'wait', text: 'Состояние чека не найдено. Попробуйте позднее' },
  bad_request: { code: 40, http: 400, status: null, text: 'Некорректный запрос' },
  media_type: { code: 41, http: 415, status: null, text: 'Некорректный Content-Type' },
  server: { code: 50, http: 500, status: null, text: 'Ошибка сервера. Обратитесь к Администратору.' },
} as const satisfies Record<string, { code: number; http: number; status: AtolStatus | null; text: string }>;
export type ServiceErrorName = keyof typeof SERVICE_ERRORS;

const pad = (n: number) => String(n).padStart(2, '0');

/** `dd.mm.yyyy HH:MM:SS` of an instant, in the server's local time: the `timestamp` of every reply. */
export function atolTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * An FFD date-time as the register wrote it (ISO 8601 with the register's offset, FiscalResult
 * .dateTime) → `dd.mm.yyyy HH:MM:SS` in the register's local time, the time its QR code shows.
 */
export function registerLocalTimestamp(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(iso);
  if (!m) return iso;
  return `${m[3]}.${m[2]}.${m[1]} ${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

/**
 * `dd.mm.yyyy HH:MM:SS` (hour 00–24 as ATOL allows, 24:00:00 being the end of the day) → its
 * parts, or null when it is not a real date and time.
 */
export function parseAtolTimestamp(text: string): { date: string; iso: string } | null {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [d, mo, y, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0))) return null;
  return { date: `${m[1]}.${m[2]}.${m[3]}`, iso: `${m[3]}-${m[2]}-${m[1]}T${m[4]}:${m[5]}:${m[6]}` };
}

/**
 * ATOL's mask for service.callback_url (spec v4, table 2): http(s), a host of Latin or Cyrillic
 * letters and digits, an optional port, a path of the listed characters. A URL failing it does not
 * refuse the document: the report then carries `warnings.callback_url` and nothing is called.
 *
 * Written here in an equivalent form without ATOL's nested quantifier on the host,
 * `([-.\w]*[0-9a-zA-Zа-яА-Я])*`, which backtracks exponentially on a long URL that fails the mask.
 * `(:(0-9)*)*` is kept as ATOL wrote it (a literal "0-9"): ports pass through the path's characters.
 */
export const CALLBACK_URL_MASK = /^https?:\/\/[0-9a-zA-Zа-яА-Я](?:[-.\wа-яА-Я]*[0-9a-zA-Zа-яА-Я])?(?::(?:0-9)*)*\/?[a-zA-Z0-9а-яА-Я\-.?,'/\\+&=%$#_]*$/;
export const CALLBACK_MASK_WARNING = 'callback_url не соответствует маске';
