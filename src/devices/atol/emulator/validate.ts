import { MEASURES, PAYMENT_METHODS, PAYMENT_OBJECTS, PAYMENT_TYPES, TAX_SYSTEMS, VAT_RATES } from '../../../domain/enums.js';
import type { FfdVersion } from '../../../domain/enums.js';
import { AGENT_TYPES, ESTIMATED_STATUS, IMC_TYPES } from '../marking.js';
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
export const wrongType = (path: string, expected: string): JsonTaskError =>
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
  /** An array of strings; an element of another type is named by its index (`phones[1]`). */
  strings(key: string): string[] | undefined {
    const list = this.get(key, 'array', false) as unknown[] | undefined;
    list?.forEach((e, i) => {
      if (typeof e !== 'string') throw wrongType(`${this.path(key)}[${i}]`, 'string');
    });
    return list as string[] | undefined;
  }
  /**
   * A dictionary value or missing (the scripts' mustDictValueOrMissing): a string that must be one
   * of `names`, or a number the script passes on as it is.
   */
  dict(key: string, names: ReadonlySet<string>): string | number | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (typeof v !== 'string') throw wrongType(this.path(key), 'string|number|undefined');
    if (!names.has(v)) throw badValue(this.path(key), v);
    return v;
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
/** 1178 and 1263 as the scripts check them: /^(\d{4}).(\d{2}).(\d{2})$/, written "yyyy.mm.dd". */
const ATOL_DATE = /^\d{4}.\d{2}.\d{2}$/;
/** 1273 as base_receipt checks it (reggieDateTime), written "yyyy.mm.dd HH:MM:SS". */
const ATOL_DATE_TIME = /^\d{4}.\d{2}.\d{2} \d{2}:\d{2}:\d{2}$/;
const IMC_TYPE_NAMES: ReadonlySet<string> = new Set(Object.keys(IMC_TYPES));
const ESTIMATED_STATUS_NAMES: ReadonlySet<string> = new Set(Object.values(ESTIMATED_STATUS));
const AGENT_NAMES: ReadonlySet<string> = new Set(AGENT_TYPES.map(([, name]) => name));
/** `productCodes` keys (validatePositionItem; 1300–1325). */
const PRODUCT_CODE_KEYS = [
  'undefined', 'ean8', 'ean13', 'itf14', 'gs10', 'gs1m', 'short', 'furs', 'egais20', 'egais30', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6',
] as const;
const LEGACY_MARK_TYPES: ReadonlySet<string> = new Set(['other', 'egais20', 'egais30']);
const NOMENCLATURE_TYPES: ReadonlySet<string> = new Set(['furs', 'medicines', 'tobacco', 'shoes']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

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
  checkPositionExtras(p);
}

/** `imcParams` of a position (validatePositionItem) and `params` of beginMarkingCodeValidation (json_validateMarks). */
export function checkImcParams(m: Fields): void {
  m.string('imc');
  m.dict('imcType', IMC_TYPE_NAMES);
  m.optString('itemFractionalAmount');
  m.dict('itemEstimatedStatus', ESTIMATED_STATUS_NAMES);
  m.optNumber('imcModeProcessing');
}

/** agentInfo of a position or a receipt (validateAgentInfo). */
function checkAgentInfo(a: Fields): void {
  const agents = a.strings('agents');
  agents?.forEach((name, i) => {
    if (!AGENT_NAMES.has(name)) throw badValue(`${a.path('agents')}[${i}]`, name);
  });
  a.optBoolean('agentsPrint');
  a.optBoolean('agentDataPrint');
  const paying = a.optObject('payingAgent');
  paying?.optString('operation');
  paying?.strings('phones');
  a.optObject('receivePaymentsOperator')?.strings('phones');
  const transfer = a.optObject('moneyTransferOperator');
  if (transfer) {
    transfer.optString('name');
    transfer.optString('address');
    transfer.optString('vatin');
    transfer.strings('phones');
  }
}

/** supplierInfo of a position or a receipt (validateSupplierInfo). */
function checkSupplierInfo(s: Fields): void {
  s.optString('name');
  s.optString('vatin');
  s.optBoolean('supplierPrint');
  s.optBoolean('supplierVatinPrint');
  s.strings('phones');
}

/** industryInfo[] (1260 / 1261): the scripts name the members without the index ("industryInfo.date"). */
function checkIndustryInfo(f: Fields): void {
  const path = f.path('industryInfo');
  for (const r of f.objects('industryInfo', false)) {
    const e = new Fields(r.raw, path);
    e.optString('fois');
    e.optString('number');
    e.optString('industryAttribute');
    const date = e.optString('date');
    if (date !== undefined && !ATOL_DATE.test(date)) throw badValue(e.path('date'), date);
  }
}

/** The FFD 1.2 members of a position (validatePositionItem). */
function checkPositionExtras(p: Fields): void {
  const code = p.raw.nomenclatureCode;
  if (code !== undefined && code !== null && typeof code !== 'string' && typeof code !== 'object') {
    throw wrongType(p.path('nomenclatureCode'), 'object|string|undefined');
  }
  if (typeof code === 'object' && code !== null) {
    const n = p.object('nomenclatureCode');
    n.oneOf('type', NOMENCLATURE_TYPES, true);
    n.optString('gtin');
    n.string('serial');
  }
  const legacy = p.optObject('markingCode');
  if (legacy) {
    legacy.string('mark');
    legacy.oneOf('type', LEGACY_MARK_TYPES, false);
  }
  const imc = p.optObject('imcParams');
  if (imc) {
    checkImcParams(imc);
    const barcode = imc.optString('imcBarcode');
    if (barcode !== undefined && !BASE64.test(barcode)) throw badValue(imc.path('imcBarcode'), 'not-base64-string');
    const check = imc.optObject('itemInfoCheckResult');
    if (check) {
      for (const flag of ['imcCheckFlag', 'imcCheckResult', 'imcStatusInfo', 'imcEstimatedStatusCorrect', 'ecrStandAloneFlag']) {
        if (typeof check.raw[flag] !== 'boolean') throw check.raw[flag] === undefined ? missing(check.path(flag)) : wrongType(check.path(flag), 'boolean');
      }
    }
  }
  const agent = p.optObject('agentInfo');
  if (agent) checkAgentInfo(agent);
  const supplier = p.optObject('supplierInfo');
  if (supplier) checkSupplierInfo(supplier);
  p.optString('additionalAttribute');
  p.optBoolean('additionalAttributePrint');
  const excise = p.optNumber('exciseSum');
  if (excise !== undefined && excise < 0) throw badValue(p.path('exciseSum'), excise);
  p.optString('countryCode');
  p.optString('customsDeclaration');
  checkIndustryInfo(p);
  const codes = p.optObject('productCodes');
  if (codes) {
    const tags = PRODUCT_CODE_KEYS.filter((k) => codes.optString(k) !== undefined).length > 0;
    const list = codes.strings('codes') !== undefined;
    // Either the sub-tags by name or the `codes[]` list libfptr sorts itself, never both or neither.
    if (tags === list) throw badValue(codes.path('codes[]'), 'collision of array and tags');
  }
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
  f.optBoolean('validateMarkingCodes');
  const client = f.optObject('clientInfo');
  if (client) {
    for (const key of ['emailOrPhone', 'vatin', 'name', 'birthDate', 'citizenship', 'identityDocumentCode', 'identityDocumentData', 'address']) {
      client.optString(key);
    }
  }
  const op = f.optObject('operationInfo');
  if (op) {
    op.optNumber('id');
    op.optString('data');
    const dateTime = op.optString('dateTime');
    if (dateTime !== undefined && !ATOL_DATE_TIME.test(dateTime)) throw badValue(op.path('dateTime'), dateTime);
  }
  checkIndustryInfo(f);
  const agent = f.optObject('agentInfo');
  if (agent) checkAgentInfo(agent);
  const supplier = f.optObject('supplierInfo');
  if (supplier) checkSupplierInfo(supplier);
  for (const item of f.objects('items', true)) {
    const type = item.string('type');
    if (type === 'position') checkPosition(item, ffd);
    if (type === 'userAttribute') {
      item.optString('name');
      item.optString('value');
      item.optBoolean('print');
    }
    if (type === 'additionalAttribute') {
      item.string('value');
      item.optBoolean('print');
    }
  }
  f.objects('payments', true).forEach(checkPayment);
  for (const tax of f.objects('taxes', false)) {
    tax.oneOf('type', VAT_NAMES, true);
    tax.number('sum');
  }
}
