import type { FfdVersion } from '../../domain/enums.js';
import type {
  AgentData,
  BuyerInfo,
  IndustryRequisite,
  ItemExtras,
  OperationalRequisite,
  PlannedStatus,
  ProductCodeKind,
  ReceiptExtras,
  Supplier,
} from '../../domain/ffd12.js';
import { DeviceError } from '../driver.js';
import { ATOL_ERRORS } from './errors.js';
import {
  AGENT_TYPES,
  ESTIMATED_STATUS,
  IMC_TYPES,
  agentNames,
  checkBitsOf,
  codeOfImc,
  fractionOf,
  fractionText,
  imcOf,
  itemInfoCheckResultOf,
  plannedStatusOf,
} from './marking.js';
import { kopecksToRubles, rublesToKopecks } from './money.js';
import { isObject } from './protocol.js';
import type {
  AtolAgentInfo,
  AtolClientInfo,
  AtolIndustryInfo,
  AtolOperationInfo,
  AtolPosition,
  AtolSupplierInfo,
  JsonObject,
} from './protocol.js';
import { TaskError, bad } from './task-error.js';

/**
 * FFD 1.2 content of a receipt (ItemExtras / ReceiptExtras, docs/domain.md §1.8) ↔ the fields of the
 * ATOL JSON receipt task that carry it. Field names and formats are the driver's task scripts'
 * (AlexanderYekat/atolexamplesjson `myscripts_items.js` executePosition, `myscripts_base_receipt.js`
 * execute, `myscripts_validators.js`); the date formats are confirmed by ExLuzZziVo/KKTServiceLib
 * (`IndustryRequisiteParams` "yyyy.MM.dd", `OperationParams` "yyyy.MM.dd HH:mm:ss").
 *
 * | tag | ATOL JSON |
 * |---|---|
 * | 2000 → 1163, 2003, 2102, 2106, 1291 | `items[].imcParams{imc (base64), imcType, itemEstimatedStatus, imcModeProcessing, itemInfoCheckResult{5 bools}, itemFractionalAmount "n/d"}` |
 * | 1163 (unmarked) | `items[].productCodes{undefined, ean8, ean13, itf14, gs10, gs1m, short, furs, egais20, egais30, f1..f6}` |
 * | 1222 | `items[].agentInfo.agents[]` (bankPayingAgent … another) |
 * | 1223 | `items[].agentInfo{payingAgent{operation 1044, phones 1073}, receivePaymentsOperator{phones 1074}, moneyTransferOperator{phones 1075, name 1026, address 1005, vatin 1016}}` |
 * | 1224 / 1226 | `items[].supplierInfo{name 1225, phones 1171, vatin 1226}` |
 * | 1229, 1230, 1231, 1191 | `items[].exciseSum` (rubles), `countryCode`, `customsDeclaration`, `additionalAttribute` |
 * | 1260 / 1261 | `items[].industryInfo[]` / `industryInfo[]` `{fois 1262, date 1263 "yyyy.mm.dd", number 1264, industryAttribute 1265}` |
 * | 1256 | `clientInfo{name 1227, vatin 1228, birthDate 1243, citizenship 1244, identityDocumentCode 1245, identityDocumentData 1246, address 1254}` |
 * | 1270 | `operationInfo{id 1271, data 1272, dateTime 1273 "yyyy.mm.dd HH:MM:SS"}` |
 * | 1084 | an `items[]` element `{type: "userAttribute", name 1085, value 1086}` |
 */

// ---- helpers ----

/** ProductCodeKind (1163 sub-tag) ↔ the key of `productCodes` (items.executePosition: 1304 is `gs10`, 1306 `short`, 1307 `furs`). */
const PRODUCT_CODE_KEYS: Readonly<Record<ProductCodeKind, string>> = {
  undefined: 'undefined',
  ean8: 'ean8',
  ean13: 'ean13',
  itf14: 'itf14',
  gs1: 'gs10',
  gs1m: 'gs1m',
  kmk: 'short',
  mi: 'furs',
  egais2: 'egais20',
  egais3: 'egais30',
  f1: 'f1',
  f2: 'f2',
  f3: 'f3',
  f4: 'f4',
  f5: 'f5',
  f6: 'f6',
};
const KIND_BY_KEY = new Map(Object.entries(PRODUCT_CODE_KEYS).map(([kind, key]) => [key, kind as ProductCodeKind]));

const refused = (message: string): DeviceError => new DeviceError('rejected', 'invalid_document', message);
const notSupported = (message: string): DeviceError => new DeviceError('rejected', 'not_supported', message);

/** 1263 "dd.mm.yyyy" → the task's "yyyy.mm.dd" (the script reverses it back). */
function toAtolDocDate(date: string): string {
  const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(date);
  if (!m) throw refused(`1263: "${date}" is not dd.mm.yyyy`);
  return `${m[3]}.${m[2]}.${m[1]}`;
}

/** 1273 ISO local time → "yyyy.mm.dd HH:MM:SS" (the script's reggieDateTime). */
function toAtolDateTime(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(iso);
  if (!m) throw refused(`1273: "${iso}" is not an ISO date-time`);
  return `${m[1]}.${m[2]}.${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

const industryInfo = (r: IndustryRequisite): AtolIndustryInfo => ({
  fois: r.foivId,
  date: toAtolDocDate(r.docDate),
  number: r.docNumber,
  industryAttribute: r.value,
});

function agentInfo(sign: number | null, a: AgentData | null): AtolAgentInfo | null {
  const out: AtolAgentInfo = {};
  if (sign !== null) out.agents = agentNames(sign);
  if (a) {
    if (a.operation !== null || a.agentPhones.length > 0) {
      out.payingAgent = { ...(a.operation !== null ? { operation: a.operation } : {}), ...(a.agentPhones.length > 0 ? { phones: a.agentPhones } : {}) };
    }
    if (a.operatorPhones.length > 0) out.receivePaymentsOperator = { phones: a.operatorPhones };
    const mto: NonNullable<AtolAgentInfo['moneyTransferOperator']> = {};
    if (a.transferOperatorPhones.length > 0) mto.phones = a.transferOperatorPhones;
    if (a.transferOperatorName !== null) mto.name = a.transferOperatorName;
    if (a.transferOperatorAddress !== null) mto.address = a.transferOperatorAddress;
    if (a.transferOperatorInn !== null) mto.vatin = a.transferOperatorInn;
    if (Object.keys(mto).length > 0) out.moneyTransferOperator = mto;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function supplierInfo(s: Supplier): AtolSupplierInfo {
  const out: AtolSupplierInfo = { vatin: s.inn };
  if (s.name !== null) out.name = s.name;
  if (s.phones.length > 0) out.phones = s.phones;
  return out;
}

/** Whether an item carries any FFD 1.2 content. */
export const hasItemExtras = (x: ItemExtras | undefined): boolean =>
  x !== undefined &&
  (x.marking !== null || x.productCode !== null || x.fractional !== null || x.agentSign !== null || x.agent !== null ||
    x.supplier !== null || x.excise !== null || x.countryCode !== null || x.customsDeclaration !== null ||
    x.additionalRequisite !== null || x.industry.length > 0);

/** Whether a receipt carries any FFD 1.2 content of its own. */
export const hasReceiptExtras = (x: ReceiptExtras | undefined): boolean =>
  x !== undefined && (x.buyer !== null || x.operational !== null || x.industry.length > 0 || x.userRequisite !== null || x.agentSign !== null);

// ---- FiscalReceipt → task (the driver's side) ----

/**
 * The FFD 1.2 fields of one position. `check` is the item's 2106 (RegisterOptions.marking);
 * `receiptAgentSign` is the receipt's agent sign: the scripts write the receipt's 1057 only below
 * FFD 1.2 (base_receipt execute: `ffd < LIBFPTR_FFD_1_2`), so in 1.2 every line carries it as 1222.
 */
export function positionExtras(x: ItemExtras | undefined, check: number | null, receiptAgentSign: number | null): Partial<AtolPosition> {
  const p: Partial<AtolPosition> = {};
  if (x?.marking) {
    if (x.productCode !== null) throw refused('an item carries one 1163: a marking code or another product code, not both');
    p.imcParams = {
      imc: imcOf(x.marking.code),
      // The KKT recognises 2100 itself, as it does for the check (beginMarkingCodeValidation).
      imcType: 'auto',
      itemEstimatedStatus: ESTIMATED_STATUS[x.marking.plannedStatus],
      // 2102: FFD 1.2 allows only 0.
      imcModeProcessing: 0,
      ...(x.fractional ? { itemFractionalAmount: fractionText(x.fractional) } : {}),
      ...(check !== null ? { itemInfoCheckResult: itemInfoCheckResultOf(check) } : {}),
    };
  } else if (x?.fractional) {
    // libfptr sets 1291 only inside imcParams (LIBFPTR_PARAM_MARKING_FRACTIONAL_QUANTITY).
    throw notSupported('1291 (fractional quantity) without a marking code cannot be sent in an ATOL task');
  }
  if (x && !x.marking && x.productCode) p.productCodes = { [PRODUCT_CODE_KEYS[x.productCode.kind]]: x.productCode.value };
  const agents = agentInfo(x?.agentSign ?? receiptAgentSign, x?.agent ?? null);
  if (agents) p.agentInfo = agents;
  if (!x) return p;
  if (x.supplier) p.supplierInfo = supplierInfo(x.supplier);
  if (x.excise !== null) p.exciseSum = kopecksToRubles(x.excise);
  if (x.countryCode !== null) p.countryCode = x.countryCode;
  if (x.customsDeclaration !== null) p.customsDeclaration = x.customsDeclaration;
  if (x.additionalRequisite !== null) p.additionalAttribute = x.additionalRequisite;
  if (x.industry.length > 0) p.industryInfo = x.industry.map(industryInfo);
  return p;
}

/** 1256 members of `clientInfo` (FFD 1.2), to merge with `emailOrPhone`. */
export function clientInfoOf(b: BuyerInfo): AtolClientInfo {
  const c: AtolClientInfo = {};
  if (b.name !== null) c.name = b.name;
  if (b.inn !== null) c.vatin = b.inn;
  if (b.birthDate !== null) c.birthDate = b.birthDate;
  if (b.citizenship !== null) c.citizenship = b.citizenship;
  if (b.documentCode !== null) c.identityDocumentCode = b.documentCode;
  if (b.documentData !== null) c.identityDocumentData = b.documentData;
  if (b.address !== null) c.address = b.address;
  return c;
}

export const operationInfoOf = (o: OperationalRequisite): AtolOperationInfo => ({ id: o.id, data: o.data, dateTime: toAtolDateTime(o.dateTime) });

export const industryInfoOf = (list: readonly IndustryRequisite[]): AtolIndustryInfo[] => list.map(industryInfo);

// ---- task → FiscalReceipt (the emulator's side) ----

const opt = (o: JsonObject, key: string): string | null => {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw bad(`${key}: expected a string`);
  return v;
};
const strings = (o: JsonObject, key: string): string[] => {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((e): e is string => typeof e === 'string')) throw bad(`${key}: expected an array of strings`);
  return v;
};
const sub = (o: JsonObject, key: string): JsonObject | null => {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw bad(`${key}: expected an object`);
  return v;
};
const objects = (o: JsonObject, key: string): JsonObject[] => {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObject)) throw bad(`${key}: expected an array of objects`);
  return v;
};
/** A requisite the FN needs and the task left out: the device's own refusal (161). */
const required = (value: string | null, what: string): string => {
  if (value === null) throw new TaskError(ATOL_ERRORS.NO_REQUIRED_FISCAL_PROPERTY, `${what} is required`);
  return value;
};
const unsupported = (what: string): TaskError => new TaskError(ATOL_ERRORS.NOT_SUPPORTED, `${what}: the register cannot store it`);

function fromAtolDocDate(date: string): string {
  // The script checks /^(\d{4}).(\d{2}).(\d{2})$/ and reverses the parts into 1263's dd.mm.yyyy.
  const m = /^(\d{4}).(\d{2}).(\d{2})$/.exec(date);
  if (!m) throw bad(`industryInfo.date: "${date}"`);
  return `${m[3]}.${m[2]}.${m[1]}`;
}

function readIndustry(o: JsonObject, path: string): IndustryRequisite[] {
  return objects(o, path).map((r) => ({
    foivId: required(opt(r, 'fois'), `${path}.fois (1262)`),
    docDate: fromAtolDocDate(required(opt(r, 'date'), `${path}.date (1263)`)),
    docNumber: required(opt(r, 'number'), `${path}.number (1264)`),
    value: required(opt(r, 'industryAttribute'), `${path}.industryAttribute (1265)`),
  }));
}

function readAgentSign(a: JsonObject): number | null {
  const names = strings(a, 'agents');
  if (names.length === 0) return null;
  return names.reduce((sign, name) => {
    const bit = AGENT_TYPES.find(([, n]) => n === name)?.[0];
    if (bit === undefined) throw bad(`agentInfo.agents: unknown ${JSON.stringify(name)}`);
    return sign | bit;
  }, 0);
}

function readAgentData(a: JsonObject): AgentData | null {
  const paying = sub(a, 'payingAgent');
  const receiving = sub(a, 'receivePaymentsOperator');
  const transfer = sub(a, 'moneyTransferOperator');
  if (!paying && !receiving && !transfer) return null;
  return {
    operation: paying ? opt(paying, 'operation') : null,
    agentPhones: paying ? strings(paying, 'phones') : [],
    operatorPhones: receiving ? strings(receiving, 'phones') : [],
    transferOperatorPhones: transfer ? strings(transfer, 'phones') : [],
    transferOperatorName: transfer ? opt(transfer, 'name') : null,
    transferOperatorAddress: transfer ? opt(transfer, 'address') : null,
    transferOperatorInn: transfer ? opt(transfer, 'vatin') : null,
  };
}

function readProductCode(o: JsonObject): ItemExtras['productCode'] {
  const codes = sub(o, 'productCodes');
  if (!codes) return null;
  // `codes[]` lets libfptr pick the sub-tag itself; the register needs to be told which it is.
  if (codes.codes !== undefined) throw unsupported('productCodes.codes (1163 without its sub-tag)');
  const entries = Object.entries(codes).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length !== 1) throw bad('productCodes: exactly one product code per position (1163 holds one sub-tag)');
  const [key, value] = entries[0] ?? ['', ''];
  const kind = KIND_BY_KEY.get(key);
  if (kind === undefined || typeof value !== 'string') throw bad(`productCodes.${key}`);
  return { kind, value };
}

/** What the emulator needs to pick a 2003 the task left out: the scripts set it only when given. */
export interface MarkingDefaults {
  /** sellReturn / buy: the unit comes back */
  returned: boolean;
  /** a measure other than pieces */
  measured: boolean;
}

function defaultStatus(d: MarkingDefaults, fractional: boolean): PlannedStatus {
  const measured = d.measured || fractional;
  if (d.returned) return measured ? 4 : 3;
  return measured ? 2 : 1;
}

export interface PositionExtrasRead {
  extras: ItemExtras | undefined;
  /** 2106 from `imcParams.itemInfoCheckResult`, null when the task gave none */
  check: number | null;
}

/** FFD 1.2 fields of a position, as the script reads them for the register's FFD version. */
export function readPositionExtras(o: JsonObject, ffd: FfdVersion, defaults: MarkingDefaults): PositionExtrasRead {
  // The 1.05 fields of a legacy task (1162): the register keeps 1163 only.
  if (o.markingCode !== undefined || o.nomenclatureCode !== undefined) throw unsupported('markingCode / nomenclatureCode (1162)');
  const imc = sub(o, 'imcParams');
  const agent = sub(o, 'agentInfo');
  const supplier = sub(o, 'supplierInfo');
  const written105 = [imc, agent, supplier, o.exciseSum, o.countryCode, o.customsDeclaration, o.additionalAttribute];
  if (ffd === '105') {
    // productCodes and industryInfo are FFD 1.2 only: the script skips them on 1.05 (ffd >= LIBFPTR_FFD_1_2).
    if (written105.some((v) => v !== undefined && v !== null)) throw unsupported('FFD 1.2 position fields on an FFD 1.05 register');
    return { extras: undefined, check: null };
  }
  let marking: ItemExtras['marking'] = null;
  let fractional: ItemExtras['fractional'] = null;
  let check: number | null = null;
  if (imc) {
    const code = opt(imc, 'imc');
    if (code === null) throw bad('imcParams.imc: required');
    const fraction = opt(imc, 'itemFractionalAmount');
    if (fraction !== null) {
      fractional = fractionOf(fraction);
      if (fractional === null) throw bad(`imcParams.itemFractionalAmount: "${fraction}"`);
    }
    const mode = imc.imcModeProcessing;
    if (mode !== undefined && mode !== 0) throw bad('imcParams.imcModeProcessing: FFD 1.2 allows only 0 (2102)');
    const status = imc.itemEstimatedStatus;
    const plannedStatus = status === undefined ? defaultStatus(defaults, fractional !== null) : plannedStatusOf(status);
    if (plannedStatus === undefined) throw bad(`imcParams.itemEstimatedStatus: ${JSON.stringify(status)}`);
    if (imc.imcType !== undefined && typeof imc.imcType === 'string' && !Object.hasOwn(IMC_TYPES, imc.imcType)) {
      throw bad(`imcParams.imcType: ${imc.imcType}`);
    }
    const result = sub(imc, 'itemInfoCheckResult');
    if (result) check = checkBitsOf(result);
    marking = { code: codeOfImc(code), plannedStatus };
  }
  const extras: ItemExtras = {
    marking,
    productCode: readProductCode(o),
    fractional,
    agentSign: agent ? readAgentSign(agent) : null,
    agent: agent ? readAgentData(agent) : null,
    supplier: supplier ? { name: opt(supplier, 'name'), phones: strings(supplier, 'phones'), inn: required(opt(supplier, 'vatin'), 'supplierInfo.vatin (1226)') } : null,
    excise: typeof o.exciseSum === 'number' ? rublesToKopecks(o.exciseSum) : null,
    countryCode: opt(o, 'countryCode'),
    customsDeclaration: opt(o, 'customsDeclaration'),
    additionalRequisite: opt(o, 'additionalAttribute'),
    industry: readIndustry(o, 'industryInfo'),
  };
  if (extras.marking !== null && extras.productCode !== null) throw bad('productCodes: a marked position carries its 1163 in imcParams');
  return { extras: hasItemExtras(extras) ? extras : undefined, check };
}

const BUYER_FIELDS = ['name', 'vatin', 'birthDate', 'citizenship', 'identityDocumentCode', 'identityDocumentData', 'address'] as const;

/** 1273 "yyyy.mm.dd HH:MM:SS" → ISO local time. */
function fromAtolDateTime(s: string): string {
  const m = /^(\d{4}).(\d{2}).(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) throw bad(`operationInfo.dateTime: "${s}"`);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

/**
 * FFD 1.2 fields of the receipt itself, as the script reads them for the register's version.
 * `userAttributes` are the task's 1084 elements.
 */
export function readReceiptExtras(task: JsonObject, ffd: FfdVersion, userAttributes: readonly JsonObject[]): ReceiptExtras | undefined {
  const client = sub(task, 'clientInfo');
  const agent = sub(task, 'agentInfo');
  // Receipt-level 1223 / 1224 / 1226 and 1057: cr-server's receipt has no place for them.
  if (sub(task, 'supplierInfo')) throw unsupported('supplierInfo at receipt level');
  if (agent && readAgentData(agent) !== null) throw unsupported('agentInfo data at receipt level');
  if (userAttributes.length > 1) throw unsupported('more than one userAttribute (1084)');
  if (ffd === '105') {
    // 1.05 writes clientInfo.name / vatin as 1227 / 1228, agents as 1057, and 1084: all outside what
    // the register keeps for 1.05. operationInfo, industryInfo and the other buyer fields are 1.2 only.
    const buyer105 = client !== null && (client.name !== undefined || client.vatin !== undefined);
    if (buyer105 || (agent !== null && readAgentSign(agent) !== null) || userAttributes.length > 0) {
      throw unsupported('buyer, agent or user requisites on an FFD 1.05 register');
    }
    return undefined;
  }
  // FFD 1.2: the receipt's `agentInfo.agents` (1057) is skipped by the script; lines carry 1222.
  let buyer: BuyerInfo | null = null;
  if (client && BUYER_FIELDS.some((k) => client[k] !== undefined && client[k] !== null)) {
    buyer = {
      name: opt(client, 'name'),
      inn: opt(client, 'vatin'),
      birthDate: opt(client, 'birthDate'),
      citizenship: opt(client, 'citizenship'),
      documentCode: opt(client, 'identityDocumentCode'),
      documentData: opt(client, 'identityDocumentData'),
      address: opt(client, 'address'),
    };
  }
  let operational: OperationalRequisite | null = null;
  const op = sub(task, 'operationInfo');
  if (op) {
    const id = op.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 255) throw new TaskError(ATOL_ERRORS.NO_REQUIRED_FISCAL_PROPERTY, 'operationInfo.id (1271) is required, 0..255');
    operational = { id, data: required(opt(op, 'data'), 'operationInfo.data (1272)'), dateTime: fromAtolDateTime(required(opt(op, 'dateTime'), 'operationInfo.dateTime (1273)')) };
  }
  const ua = userAttributes[0];
  const extras: ReceiptExtras = {
    buyer,
    operational,
    industry: readIndustry(task, 'industryInfo'),
    userRequisite: ua ? { name: required(opt(ua, 'name'), 'userAttribute.name (1085)'), value: required(opt(ua, 'value'), 'userAttribute.value (1086)') } : null,
    agentSign: null,
  };
  return hasReceiptExtras(extras) ? extras : undefined;
}
