import { MEASURES, PAYMENT_METHODS, PAYMENT_OBJECTS, PAYMENT_TYPES, TAX_SYSTEMS, VAT_RATES } from '../../../domain/enums.js';
import type { FfdVersion } from '../../../domain/enums.js';
import { isObject } from '../protocol.js';
import type { JsonObject } from '../protocol.js';
import { JsonTaskError, WEB_ERRORS } from './errors.js';

/**
 * Field checks of the JSON tasks, worded the way the driver's own task scripts word them: each
 * script's validateTask() turns InvalidJsonValueError / InvalidJsonTypeError /
 * JsonValueNotFoundError into LIBFPTR_ERROR_RECEIPT_PARSE_ERROR (501) with the texts below, and
 * names the field by its dotted path ("items[0].tax.type"). The JSON type names in the second
 * message are ours: the scripts' own names were not in the material read.
 */
const parseError = (message: string): JsonTaskError => new JsonTaskError(WEB_ERRORS.RECEIPT_PARSE_ERROR, message);
export const missing = (path: string): JsonTaskError => parseError(`Поле "${path}" отсутствует`);
export const wrongType = (path: string, expected: JsonType): JsonTaskError =>
  parseError(`Поле "${path}" имеет неверный тип (ожидается "${expected}")`);
export const badValue = (path: string, value: unknown): JsonTaskError => parseError(`Некорректное значение поля "${path}" (${String(value)})`);

type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** Reads one JSON object of a task; every getter throws the vendor's 501 for a bad field. */
export class Fields {
  constructor(
    readonly raw: JsonObject,
    private readonly prefix = '',
  ) {}

  path(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}.${key}`;
  }

  private get(key: string, type: JsonType, required: boolean): unknown {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (required) throw missing(this.path(key));
      return undefined;
    }
    const ok =
      type === 'array' ? Array.isArray(v) : type === 'object' ? isObject(v) : type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === type;
    if (!ok) throw wrongType(this.path(key), type);
    return v;
  }

  string(key: string): string {
    return this.get(key, 'string', true) as string;
  }
  optString(key: string): string | undefined {
    return this.get(key, 'string', false) as string | undefined;
  }
  number(key: string): number {
    return this.get(key, 'number', true) as number;
  }
  optNumber(key: string): number | undefined {
    return this.get(key, 'number', false) as number | undefined;
  }
  optBoolean(key: string): boolean | undefined {
    return this.get(key, 'boolean', false) as boolean | undefined;
  }
  optObject(key: string): Fields | undefined {
    const v = this.get(key, 'object', false) as JsonObject | undefined;
    return v === undefined ? undefined : new Fields(v, this.path(key));
  }
  object(key: string): Fields {
    return new Fields(this.get(key, 'object', true) as JsonObject, this.path(key));
  }
  /** An array of objects, each as Fields under `key[i]`. */
  objects(key: string, required: boolean): Fields[] {
    const list = this.get(key, 'array', required) as unknown[] | undefined;
    return (list ?? []).map((e, i) => {
      const path = `${this.path(key)}[${i}]`;
      if (!isObject(e)) throw wrongType(path, 'object');
      return new Fields(e, path);
    });
  }
  /** A string that must be one of `values` (the scripts' mustStringValues). */
  oneOf(key: string, values: ReadonlySet<string>, required: boolean): string | undefined {
    const v = required ? this.string(key) : this.optString(key);
    if (v !== undefined && !values.has(v)) throw badValue(this.path(key), v);
    return v;
  }
}

const names = (table: Record<number, string>): ReadonlySet<string> => new Set(Object.values(table));
const TAXATION_TYPES = names(TAX_SYSTEMS);
const VAT_NAMES: ReadonlySet<string> = new Set(Object.values(VAT_RATES).map((v) => v.name));
const PAYMENT_TYPE_NAMES: ReadonlySet<string> = new Set(Object.values(PAYMENT_TYPES).map((v) => v.name));
const PAYMENT_METHOD_NAMES = names(PAYMENT_METHODS);
const PAYMENT_OBJECT_NAMES = names(PAYMENT_OBJECTS);
const MEASURE_NAMES = names(MEASURES);
const CORRECTION_TYPES: ReadonlySet<string> = new Set(['self', 'instruction']);
/** 1178 as the scripts check it: /^(\d{4}).(\d{2}).(\d{2})$/, written "yyyy.mm.dd". */
const ATOL_DATE = /^\d{4}.\d{2}.\d{2}$/;

/** `operator{name, vatin}` of receipts, shift reports, cash in/out (1021, 1203). */
export function checkOperator(f: Fields): void {
  const op = f.optObject('operator');
  if (op === undefined) return;
  op.string('name');
  op.optString('vatin');
}

/** What openShift / closeShift / reportX / reportOfdExchangeStatus accept. */
export function checkReportTask(f: Fields): void {
  checkOperator(f);
  f.optBoolean('electronically');
}

function checkPosition(p: Fields, ffd: FfdVersion): void {
  p.string('name');
  p.number('price');
  p.number('quantity');
  p.number('amount');
  p.object('tax').oneOf('type', VAT_NAMES, true);
  // The register needs 1214 and 1212 on every position; whether the driver would default them
  // is not in the material read, so the emulator asks for them.
  p.oneOf('paymentMethod', PAYMENT_METHOD_NAMES, true);
  p.oneOf('paymentObject', PAYMENT_OBJECT_NAMES, true);
  if (ffd === '120') p.oneOf('measurementUnit', MEASURE_NAMES, false);
  else p.optString('measurementUnit');
}

function checkPayment(p: Fields): void {
  const t = p.raw.type;
  // The scripts take the name or a number, also as a string (parseInt; user payment types 5..9).
  if (typeof t === 'number' || (typeof t === 'string' && /^\d+$/.test(t))) {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 0) throw badValue(p.path('type'), t);
  } else {
    p.oneOf('type', PAYMENT_TYPE_NAMES, true);
  }
  p.number('sum');
}

/**
 * The checks of the receipt and correction scripts (sell, sellReturnCorrection, ...): types of
 * every field the emulated register reads, and the enumerations it knows. Values the device
 * itself judges (sums, shift state, registered taxation system) are left to the register.
 */
export function checkReceiptTask(f: Fields, ffd: FfdVersion): void {
  checkOperator(f);
  f.oneOf('correctionType', CORRECTION_TYPES, false);
  f.optString('correctionBaseName');
  f.optString('correctionBaseNumber');
  const baseDate = f.optString('correctionBaseDate');
  if (baseDate !== undefined && !ATOL_DATE.test(baseDate)) throw badValue('correctionBaseDate', baseDate);
  f.optBoolean('electronically');
  f.oneOf('taxationType', TAXATION_TYPES, false);
  f.optNumber('total');
  f.optString('additionalAttribute');
  const client = f.optObject('clientInfo');
  client?.optString('emailOrPhone');
  for (const item of f.objects('items', true)) {
    const type = item.string('type');
    if (type === 'position') checkPosition(item, ffd);
  }
  f.objects('payments', true).forEach(checkPayment);
  for (const tax of f.objects('taxes', false)) {
    tax.oneOf('type', VAT_NAMES, true);
    tax.number('sum');
  }
}
