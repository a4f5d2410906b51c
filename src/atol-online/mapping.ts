import { VAT_RATES, vatOf, type Vat1199 } from '../domain/enums.js';
import { parseMoney } from '../domain/money.js';
import { lineCost, parseQuantity } from '../domain/quantity.js';
import type { AgentInput, IndustryRequisiteInput, ProductInput, ReceiptInput } from '../domain/receipt-input.js';
import type { FieldError } from '../domain/errors.js';
import { errorText } from '../domain/error-codes.js';
import { lookupTable } from '../domain/lookup.js';
import type { AtolFieldIssue } from './errors.js';
import {
  AGENT_TYPES, CORRECTION_TYPES, MARK_CODE_KEYS, OPERATIONS, PAYMENT_METHODS, RETIRED_VAT_TYPES, SNO, V4_PAYMENT_OBJECTS, VAT_TYPES,
  parseAtolTimestamp, type AtolOperation, type AtolVersion,
} from './protocol.js';

/**
 * An ATOL Online request → the native receipt (ReceiptInput), which then goes through the very same
 * validation as a receipt of the native API (validateReceipt, in the receipts service): the fiscal
 * rules live in one place. What this adds is ATOL's own rules the native API has no field for —
 * item `sum` and receipt `total` against price × quantity, `vat.sum` and `vats[]` against the rate,
 * the company INN against the register's — and the way back: every native field error is named
 * with the ATOL field it came from (`<Kind>: #/receipt/items/0/price`). The field mapping, and what
 * is accepted but not written, is in docs/atol-online.md.
 */

/** The fields of a v4 or v5 item, as the schemas of ./schemas.ts let them through. */
export interface AtolItem {
  name: string;
  price: number;
  quantity: number;
  sum: number;
  measurement_unit?: string | null;
  measure?: number | null;
  payment_method?: string | null;
  payment_object?: string | number | null;
  nomenclature_code?: string | null;
  vat?: { type: string; sum?: number | null } | null;
  agent_info?: AtolAgent | null;
  supplier_info?: { phones?: string[] | null; name?: string | null; inn?: string | null } | null;
  user_data?: string | null;
  excise?: number | null;
  country_code?: string | null;
  declaration_number?: string | null;
  mark_quantity?: { numerator: number; denominator: number } | null;
  mark_processing_mode?: string | null;
  mark_code?: Record<string, string | undefined> | null;
  sectoral_item_props?: AtolSectoral[] | null;
  planned_status?: number | null;
}

export interface AtolAgent {
  type: string;
  paying_agent?: { operation?: string | null; phones?: string[] | null } | null;
  receive_payments_operator?: { phones?: string[] | null } | null;
  money_transfer_operator?: { phones?: string[] | null; name?: string | null; address?: string | null; inn?: string | null } | null;
}

export interface AtolSectoral {
  federal_id: string;
  date: string;
  number: string;
  value: string;
}

interface AtolClient {
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  inn?: string | null;
  birthdate?: string | null;
  citizenship?: string | null;
  document_code?: string | null;
  document_data?: string | null;
  address?: string | null;
}

interface AtolCompany {
  email?: string | null;
  sno?: string | null;
  inn: string;
  payment_address: string;
  location?: string | null;
}

/** A receipt or a correction of either version, as the schemas let it through. */
export interface AtolDocument {
  client?: AtolClient | null;
  company: AtolCompany;
  agent_info?: AtolAgent | null;
  supplier_info?: { phones?: string[] | null } | null;
  items?: AtolItem[] | null;
  payments: { type: number; sum: number }[];
  vats?: { type: string; sum?: number | null }[] | null;
  total?: number | null;
  additional_check_props?: string | null;
  cashier?: string | null;
  cashier_inn?: string | null;
  additional_user_props?: { name: string; value: string } | null;
  operating_check_props?: { name: string; value: string; timestamp: string } | null;
  sectoral_check_props?: AtolSectoral[] | null;
  correction_info?: { type: string; base_date: string; base_number?: string | null; base_name?: string | null } | null;
}

export interface AtolRequest {
  timestamp: string;
  external_id: string;
  service?: { callback_url?: string | null } | null;
  receipt?: AtolDocument;
  correction?: AtolDocument;
}

/** What the group's register and settings contribute. */
export interface MappingContext {
  /** From the register's registration: '105' refuses the 1.2-only fields natively, and needs 1192 on corrections. */
  ffdVersion: '105' | '120' | null;
  /** 1018 the register is registered for; null when not read yet (then not compared). */
  companyInn: string | null;
  /** The group's default VAT (1199) for v4 items without `vat`. */
  defaultVat: number | null;
}

export interface Mapped {
  input: ReceiptInput;
  /** ATOL rules broken (code 32 before anything is stored). */
  issues: AtolFieldIssue[];
  /** Native field error → the ATOL field it came from. */
  translate: (errors: readonly FieldError[]) => AtolFieldIssue[];
}

const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;
const text = (v: string | null | undefined): string | undefined => (present(v) && v.trim() !== '' ? v : undefined);

/** The VAT name the native API takes for an ATOL type (the names are the same; 18 % is gone). */
const vatCode = (type: string): Vat1199 | undefined => VAT_TYPES[type];

const VAT_LABELS: Readonly<Record<string, string>> = lookupTable({
  none: 'без НДС', vat0: 'НДС 0%', vat5: 'НДС 5%', vat7: 'НДС 7%', vat10: 'НДС 10%', vat20: 'НДС 20%', vat22: 'НДС 22%',
  vat105: 'НДС 5/105', vat107: 'НДС 7/107', vat110: 'НДС 10/110', vat120: 'НДС 20/120', vat122: 'НДС 22/122',
});

/**
 * VAT the shop stated (`vat.sum`, `vats[].sum`) against the VAT the register will write, which
 * it computes from the line sums: a difference of a kopeck per started unit of quantity is the
 * rounding of a per-unit computation; more means the shop booked a VAT the receipt would not carry.
 */
const vatTolerance = (quantityMicros: number) => 1 + Math.ceil(quantityMicros / 1_000_000);

/** "PropertyRequired", "StringTooLong" … for the native codes the schema keywords produce; the code in PascalCase otherwise. */
function kindOfCode(code: string): string {
  const known: Record<string, string> = {
    required: 'PropertyRequired', too_long: 'StringTooLong', too_short: 'StringTooShort', invalid_format: 'PatternMismatch',
    invalid_characters: 'PatternMismatch', invalid_value: 'NotInEnumeration', too_many_items: 'TooManyItems', too_few_items: 'TooFewItems',
    invalid_type: 'InvalidType',
  };
  return known[code] ?? code.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Native agent fields → the ATOL agent_info path they come from. */
const AGENT_PATHS: Record<string, string> = {
  operation: 'agent_info/paying_agent/operation',
  phones: 'agent_info/paying_agent/phones',
  operator_phones: 'agent_info/receive_payments_operator/phones',
  transfer_operator_phones: 'agent_info/money_transfer_operator/phones',
  transfer_operator_name: 'agent_info/money_transfer_operator/name',
  transfer_operator_address: 'agent_info/money_transfer_operator/address',
  transfer_operator_inn: 'agent_info/money_transfer_operator/inn',
};
const BUYER_PATHS: Record<string, string> = {
  name: 'name', inn: 'inn', birth_date: 'birthdate', citizenship: 'citizenship', document_code: 'document_code', document_data: 'document_data', address: 'address',
};
const INDUSTRY_PATHS: Record<string, string> = { foiv_id: 'federal_id', doc_date: 'date', doc_number: 'number', value: 'value' };
const PRODUCT_PATHS: Record<string, string> = {
  name: 'name', price: 'price', quantity: 'quantity', payment_state_int: 'payment_method', commodity_type_int: 'payment_object',
  tax_type: 'vat/type', tax_type_int: 'vat/type', quantity_unit: 'measurement_unit', measure: 'measure', planned_status: 'planned_status',
  fractional_quantity: 'mark_quantity', agent_sign: 'agent_info/type', supplier: 'supplier_info', excise: 'excise', country_code: 'country_code',
  customs_declaration: 'declaration_number', additional_requisite: 'user_data', agent: 'agent_info',
};

/** Splits "products[0].agent.phones[1]" into ["products", "0", "agent", "phones", "1"]. */
const segments = (field: string): string[] => field.replace(/\[(\d+)\]/g, '.$1').split('.').filter((s) => s !== '');

export function mapRequest(version: AtolVersion, operation: AtolOperation, body: AtolRequest, ctx: MappingContext): Mapped {
  const op = OPERATIONS[operation];
  const root = op.correction ? 'correction' : 'receipt';
  const doc = (op.correction ? body.correction : body.receipt) as AtolDocument;
  const issues: AtolFieldIssue[] = [];
  const issue = (kind: string, path: string, detail?: string) => issues.push({ kind, pointer: `#/${path}`, ...(detail === undefined ? {} : { detail }) });
  /** Where each native product came from: an item of the request, or (a v4 correction) a line of `vats`. */
  const productPaths: string[] = [];
  /** The mark_code key each product's code came from. */
  const markKeys: (string | null)[] = [];

  if (parseAtolTimestamp(body.timestamp) === null) issue('PatternMismatch', 'timestamp', 'ожидается dd.mm.yyyy HH:MM:SS');

  // 1018: a document for another organisation is never registered on this register.
  const inn = doc.company.inn.trim();
  if (ctx.companyInn !== null && inn !== ctx.companyInn.trim()) {
    issue('IncorrectValue', `${root}/company/inn`, `ИНН ${inn} не совпадает с ИНН ${ctx.companyInn.trim()}, на который зарегистрирована касса группы; попыток регистрировать чек не производилось`);
  }

  const input: ReceiptInput = { receiptType: op.receiptType, products: [], payments: [] };
  if (body.external_id.length <= 64) input.order_id = body.external_id;
  if (present(doc.company.sno)) input.tax_system = SNO[doc.company.sno] ?? null;

  // 1008: the buyer's contact. A correction has no client in v4: the seller's own address (company.email) takes it.
  const client = doc.client ?? undefined;
  const email = text(client?.email) ?? (op.correction ? text(doc.company.email) : undefined);
  const phone = text(client?.phone);
  const contactPath = client ? `${root}/client` : `${root}/company/email`;
  if (email !== undefined) input.email = email;
  if (phone !== undefined) input.phone_number = phone;
  if (email === undefined && phone === undefined && op.correction) {
    issue('PropertyRequired', `${root}/company/email`, 'cr-server отправляет электронную копию каждого документа: нужен client.email, client.phone или company.email');
  }

  // 1256: the buyer, when any of its fields is given.
  if (client) {
    const buyer = {
      name: text(client.name), inn: text(client.inn), birth_date: text(client.birthdate), citizenship: text(client.citizenship),
      document_code: text(client.document_code), document_data: text(client.document_data), address: text(client.address),
    };
    if (Object.values(buyer).some((v) => v !== undefined)) {
      input.buyer = Object.fromEntries(Object.entries(buyer).filter(([, v]) => v !== undefined));
    }
  }

  // 1021 / 1203.
  if (text(doc.cashier) !== undefined) input.cashier = { name: (doc.cashier ?? '').trim(), ...(text(doc.cashier_inn) !== undefined ? { inn: doc.cashier_inn ?? null } : {}) };
  else if (text(doc.cashier_inn) !== undefined) issue('PropertyRequired', `${root}/cashier`, 'cashier_inn передаётся вместе с cashier');

  if (present(doc.additional_user_props)) input.user_requisite = { name: doc.additional_user_props.name, value: doc.additional_user_props.value };
  if (present(doc.operating_check_props)) {
    const p = doc.operating_check_props;
    const at = parseAtolTimestamp(p.timestamp);
    if (at === null) issue('PatternMismatch', `${root}/operating_check_props/timestamp`, 'ожидается dd.mm.yyyy HH:MM:SS');
    input.operational_requisite = { id: Number(p.name), data: p.value, date_time: at?.iso ?? p.timestamp };
  }
  if (present(doc.sectoral_check_props) && doc.sectoral_check_props.length > 0) input.industry_requisites = doc.sectoral_check_props.map(industry);

  // Receipt-level agent (1057): its data belongs to the lines under FFD 1.2, so it is given to every
  // line that has no agent of its own; the receipt carries the sign.
  const receiptAgent = doc.agent_info ?? undefined;
  if (receiptAgent) input.agent_sign = AGENT_TYPES[receiptAgent.type] ?? null;
  const receiptAgentData = receiptAgent && (receiptAgent.paying_agent || receiptAgent.receive_payments_operator || receiptAgent.money_transfer_operator) ? receiptAgent : undefined;
  const receiptSupplierPhones = doc.supplier_info?.phones ?? null;

  // Lines.
  const items = doc.items ?? [];
  let itemsTotal = 0;
  items.forEach((it, i) => {
    const path = `${root}/items/${i}`;
    productPaths.push(path);
    const p = product(it, path, version, receiptAgentData, receiptSupplierPhones);
    input.products.push(p.input);
    markKeys.push(p.markKey);
    if (p.total !== null) itemsTotal += p.total;
  });

  // Payments; ATOL's extended types 5–9 are the fiscal types 0–4 in the order ATOL lists them.
  input.payments = doc.payments.map((p) => ({ payment_type_int: p.type >= 5 ? p.type - 5 : p.type, payment_sum: p.sum }));

  if (op.correction) mapCorrection(version, doc, input, productPaths, markKeys);

  // 1020: ATOL lets `total` differ from Σ sum by rounding (at most 0.99); the register writes Σ sum.
  if (items.length > 0 && present(doc.total)) {
    const total = parseMoney(doc.total);
    if (typeof total === 'number' && Math.abs(total - itemsTotal) > 99) {
      issue('IncorrectValue', `${root}/total`, `итог ${formatRub(total)} не равен сумме позиций ${formatRub(itemsTotal)}`);
    }
  }
  // vats[]: the receipt's VAT per rate, against the lines at that rate.
  if (items.length > 0 && present(doc.vats)) checkVats(doc.vats, input.products, `${root}/vats`);

  // 1192, the receipt's additional requisite: on FFD 1.05 corrections it is the field the native API
  // requires (mistaken_receipt_number), elsewhere additional_requisite.
  const props1192 = text(doc.additional_check_props);
  if (op.correction && ctx.ffdVersion === '105') {
    const basis = text(doc.correction_info?.base_number);
    const value = props1192 ?? basis?.slice(0, 16);
    if (value !== undefined) input.mistaken_receipt_number = value;
  } else if (props1192 !== undefined) {
    input.additional_requisite = props1192;
  }

  function product(it: AtolItem, path: string, v: AtolVersion, agentData: AtolAgent | undefined, supplierPhones: string[] | null): { input: ProductInput; total: number | null; markKey: string | null } {
    const out: ProductInput = {
      name: it.name,
      price: it.price,
      quantity: it.quantity,
      payment_state_int: present(it.payment_method) ? (PAYMENT_METHODS[it.payment_method] ?? 0) : 1,
      commodity_type_int: typeof it.payment_object === 'number' ? it.payment_object : present(it.payment_object) ? (V4_PAYMENT_OBJECTS[it.payment_object] ?? 0) : 1,
    };
    if (v === 'v4' && text(it.measurement_unit) !== undefined) out.quantity_unit = it.measurement_unit ?? null;
    if (v === 'v5' && present(it.measure)) out.measure = it.measure;

    // VAT: the type by its name; an item without one (v4) takes the group's default.
    let vat: number | null = ctx.defaultVat;
    if (present(it.vat)) {
      if (RETIRED_VAT_TYPES.has(it.vat.type)) issue('NotInEnumeration', `${path}/vat/type`, `ставка ${it.vat.type} не применяется с 01.01.2019`);
      else out.tax_type = it.vat.type;
      vat = vatCode(it.vat.type) ?? null;
    }

    // 1043: the register writes round(price × quantity); a line whose sum says otherwise would change.
    const price = parseMoney(it.price);
    const qty = parseQuantity(it.quantity, 6);
    const sum = parseMoney(it.sum);
    let total: number | null = null;
    if (typeof price === 'number' && typeof qty === 'number') {
      total = lineCost(price, qty);
      if (typeof sum === 'number' && sum !== total) {
        issue('IncorrectValue', `${path}/sum`, `сумма ${formatRub(sum)} не равна цене × количество ${formatRub(total)}; скидку передайте в цене`);
      } else if (typeof sum !== 'number') {
        issue('NumberNotMultipleOf', `${path}/sum`, 'не более 2 знаков после запятой');
      }
      if (present(it.vat) && present(it.vat.sum) && vat !== null && present(VAT_TYPES[it.vat.type])) {
        const stated = parseMoney(it.vat.sum);
        const computed = vatOf(total, vat as Vat1199);
        if (typeof stated !== 'number' || Math.abs(stated - computed) > vatTolerance(qty)) {
          issue('IncorrectValue', `${path}/vat/sum`, `НДС ${typeof stated === 'number' ? formatRub(stated) : String(it.vat.sum)} не соответствует ставке ${it.vat.type} от суммы ${formatRub(total)} (${formatRub(computed)})`);
        }
      }
    }

    if (text(it.nomenclature_code) !== undefined) {
      issue('NotSupported', `${path}/nomenclature_code`, 'тег 1162 (ФФД 1.05) не поддерживается; маркированный товар передаётся в протоколе v5 (mark_code)');
    }

    // 1163: a marking code the FN checks, or a product code.
    let markKey: string | null = null;
    if (present(it.mark_code)) {
      const entries = Object.entries(it.mark_code).filter(([, value]) => present(value));
      const [key, value] = entries[0] ?? ['', ''];
      const rule = MARK_CODE_KEYS[key];
      markKey = key;
      if (entries.length !== 1 || rule === undefined || value === undefined) issue('NotOneOf', `${path}/mark_code`, 'нужен ровно один вид кода');
      else if (rule.marking) out.marking_code = value;
      else out.product_code = { kind: rule.kind, value };
    }
    if (present(it.mark_quantity)) out.fractional_quantity = { numerator: it.mark_quantity.numerator, denominator: it.mark_quantity.denominator };
    if (present(it.planned_status)) out.planned_status = it.planned_status;
    if (present(it.sectoral_item_props) && it.sectoral_item_props.length > 0) out.industry_requisites = it.sectoral_item_props.map(industry);

    const agent = it.agent_info ?? agentData;
    if (agent) {
      out.agent_sign = AGENT_TYPES[agent.type] ?? null;
      const data = agentInput(agent);
      if (data) out.agent = data;
    }
    if (present(it.supplier_info)) {
      const s = it.supplier_info;
      const phones = s.phones ?? supplierPhones;
      out.supplier = { inn: s.inn ?? '', ...(text(s.name) !== undefined ? { name: s.name ?? null } : {}), ...(present(phones) && phones.length > 0 ? { phones } : {}) };
    }
    if (text(it.user_data) !== undefined) out.additional_requisite = it.user_data ?? null;
    if (present(it.excise)) out.excise = it.excise;
    // OKSM codes are three digits; ATOL takes 1–3 (its own padding is spaces, FFD's is the leading zeros).
    if (text(it.country_code) !== undefined) out.country_code = (it.country_code ?? '').padStart(3, '0');
    if (text(it.declaration_number) !== undefined) out.customs_declaration = it.declaration_number ?? null;
    return { input: out, total, markKey };
  }

  function mapCorrection(v: AtolVersion, d: AtolDocument, into: ReceiptInput, paths: string[], keys: (string | null)[]): void {
    const info = d.correction_info;
    if (!info) return;
    const type = CORRECTION_TYPES[info.type] ?? 0;
    into.precept = type === 1;
    // 1178: the date; some clients send a time after it (ATOL's own example does), which FFD has no place for.
    const date = /^(\d{2}\.\d{2}\.\d{4})(?: \d{2}:\d{2}:\d{2})?$/.exec(info.base_date.trim())?.[1];
    if (date === undefined) issue('PatternMismatch', `${root}/correction_info/base_date`, 'ожидается dd.mm.yyyy');
    into.correction_date = date ?? info.base_date;
    // 1179: mandatory for a correction by instruction; a self-correction has no document number.
    const number = text(info.base_number);
    if (number === undefined && type === 1) issue('PropertyRequired', `${root}/correction_info/base_number`, 'обязателен для коррекции по предписанию');
    into.doc_number = number ?? 'б/н';
    // 1177 (FFD 1.05): the basis's name, when the client sends one; else what kind of correction it is.
    into.correction_reason = text(info.base_name) ?? (type === 1 ? 'Коррекция по предписанию' : 'Самостоятельная коррекция');

    // A v4 correction has no lines: one line per VAT rate of `vats`, for the sums the payments make.
    if (v === 'v4' && present(d.vats)) {
      const total = d.payments.reduce((a, p) => {
        const s = parseMoney(p.sum);
        return a + (typeof s === 'number' ? s : 0);
      }, 0);
      const lines = correctionLines(d.vats, total);
      if (typeof lines === 'string') {
        issue('IncorrectValue', `${root}/vats`, lines);
        return;
      }
      for (const line of lines) {
        paths.push(line.index < 0 ? `${root}/vats` : `${root}/vats/${line.index}`);
        keys.push(null);
        into.products.push({
          name: `Коррекция, ${VAT_LABELS[line.type] ?? line.type}`,
          price: formatRub(line.sum),
          quantity: 1,
          payment_state_int: 4,
          commodity_type_int: 13,
          tax_type: line.type,
        });
      }
    }
  }

  function checkVats(vats: NonNullable<AtolDocument['vats']>, products: ProductInput[], path: string): void {
    vats.forEach((entry, j) => {
      if (RETIRED_VAT_TYPES.has(entry.type)) {
        issue('NotInEnumeration', `${path}/${j}/type`, `ставка ${entry.type} не применяется с 01.01.2019`);
        return;
      }
      const code = vatCode(entry.type);
      const at = products.map((p, i) => ({ p, i })).filter(({ p }) => (p.tax_type ?? null) === entry.type || (p.tax_type === undefined && ctx.defaultVat === code));
      if (at.length === 0) {
        issue('IncorrectValue', `${path}/${j}/type`, `в чеке нет позиций со ставкой ${entry.type}`);
        return;
      }
      if (code === undefined || code === 5 || code === 6 || !present(entry.sum)) return;
      let computed = 0;
      let units = 0;
      for (const { p } of at) {
        const price = parseMoney(p.price);
        const qty = parseQuantity(p.quantity, 6);
        if (typeof price !== 'number' || typeof qty !== 'number') return;
        computed += vatOf(lineCost(price, qty), code);
        units += qty;
      }
      const stated = parseMoney(entry.sum);
      if (typeof stated !== 'number' || Math.abs(stated - computed) > vatTolerance(units)) {
        issue('IncorrectValue', `${path}/${j}/sum`, `НДС по ставке ${entry.type} ${typeof stated === 'number' ? formatRub(stated) : String(entry.sum)} не равен НДС позиций ${formatRub(computed)}`);
      }
    });
  }

  function translate(errors: readonly FieldError[]): AtolFieldIssue[] {
    return errors.map((e) => {
      const detail = errorText(e.code, 'ru');
      return { kind: kindOfCode(e.code), pointer: pointerOf(e.field), ...(detail === undefined ? { detail: e.message } : { detail }) };
    });
  }

  /** The ATOL field a native field came from. */
  function pointerOf(field: string | undefined): string {
    if (field === undefined || field === '') return `#/${root}`;
    const s = segments(field);
    const [head, a, b, c, d] = s;
    switch (head) {
      case 'products': {
        if (a === undefined) return `#/${root}/items`;
        const i = Number(a);
        const base = productPaths[i] ?? `${root}/items/${a}`;
        if (b === undefined || base.includes('/vats/')) return `#/${base}`;
        if (b === 'marking_code' || b === 'product_code') return `#/${base}/mark_code${markKeys[i] ? `/${markKeys[i] ?? ''}` : ''}`;
        if (b === 'agent' && c !== undefined) return `#/${base}/${AGENT_PATHS[c] ?? 'agent_info'}${d === undefined ? '' : `/${d}`}`;
        if (b === 'supplier') return `#/${base}/supplier_info${c === undefined ? '' : `/${c}${d === undefined ? '' : `/${d}`}`}`;
        if (b === 'industry_requisites') return `#/${base}/sectoral_item_props${c === undefined ? '' : `/${c}${d === undefined ? '' : `/${INDUSTRY_PATHS[d] ?? d}`}`}`;
        return `#/${base}/${PRODUCT_PATHS[b] ?? b}`;
      }
      case 'payments':
        if (a === undefined) return `#/${root}/payments`;
        return `#/${root}/payments/${a}${b === 'payment_sum' ? '/sum' : b === 'payment_type_int' ? '/type' : ''}`;
      case 'email':
        return `#/${client ? `${root}/client/email` : contactPath}`;
      case 'phone_number':
        return `#/${root}/client/phone`;
      case 'tax_system':
        return `#/${root}/company/sno`;
      case 'cashier':
        return `#/${root}/${a === 'inn' ? 'cashier_inn' : 'cashier'}`;
      case 'buyer':
        return `#/${root}/client${a === undefined ? '' : `/${BUYER_PATHS[a] ?? a}`}`;
      case 'operational_requisite':
        return `#/${root}/operating_check_props${a === undefined ? '' : `/${({ id: 'name', data: 'value', date_time: 'timestamp' } as Record<string, string>)[a] ?? a}`}`;
      case 'industry_requisites':
        return `#/${root}/sectoral_check_props${a === undefined ? '' : `/${a}${b === undefined ? '' : `/${INDUSTRY_PATHS[b] ?? b}`}`}`;
      case 'user_requisite':
        return `#/${root}/additional_user_props${a === undefined ? '' : `/${a}`}`;
      case 'agent_sign':
        return `#/${root}/agent_info/type`;
      case 'additional_requisite':
        return `#/${root}/additional_check_props`;
      case 'mistaken_receipt_number':
      case 'doc_number':
        return `#/${root}/correction_info/base_number`;
      case 'correction_reason':
        return `#/${root}/correction_info/base_name`;
      case 'correction_date':
        return `#/${root}/correction_info/base_date`;
      case 'precept':
        return `#/${root}/correction_info/type`;
      case 'order_id':
        return '#/external_id';
      case 'callback_url':
        return '#/service/callback_url';
      default:
        return `#/${root}`;
    }
  }

  return { input, issues, translate };
}

function industry(x: AtolSectoral): IndustryRequisiteInput {
  return { foiv_id: x.federal_id, doc_date: x.date, doc_number: x.number, value: x.value };
}

function agentInput(a: AtolAgent): AgentInput | null {
  const out: AgentInput = {};
  if (present(a.paying_agent?.operation)) out.operation = a.paying_agent.operation;
  if (present(a.paying_agent?.phones)) out.phones = a.paying_agent.phones;
  if (present(a.receive_payments_operator?.phones)) out.operator_phones = a.receive_payments_operator.phones;
  const mto = a.money_transfer_operator;
  if (present(mto?.phones)) out.transfer_operator_phones = mto.phones;
  if (present(mto?.name)) out.transfer_operator_name = mto.name;
  if (present(mto?.address)) out.transfer_operator_address = mto.address;
  if (present(mto?.inn)) out.transfer_operator_inn = mto.inn;
  return Object.keys(out).length > 0 ? out : null;
}

/** Kopecks → "1750.00", as the native API takes money in text. */
function formatRub(k: number): string {
  return `${Math.trunc(k / 100)}.${String(k % 100).padStart(2, '0')}`;
}

/**
 * A v4 correction carries payments and the VAT per rate, no lines: the lines the register needs are
 * made from `vats`. A rate with a VAT r % holds the sum whose VAT it is (VAT × (100 + r) / r, the
 * VAT being rounded to kopecks, within a few kopecks); "none" and "vat0" hold what the other rates
 * leave of the payments (or the turnover the client put in their `sum`); what no line takes is a line
 * without VAT (index -1: not a line of `vats`). The sums then must add up to the payments and give
 * back each stated VAT; a text says why when they cannot.
 */
export function correctionLines(vats: readonly { type: string; sum?: number | null }[], total: number): { index: number; type: string; sum: number }[] | string {
  const lines: { index: number; type: string; sum: number; rate: number | null; vat: number }[] = [];
  for (const [index, v] of vats.entries()) {
    const code = vatCode(v.type);
    if (code === undefined) return `ставка ${v.type} не поддерживается`;
    const stated = present(v.sum) ? parseMoney(v.sum) : 0;
    if (typeof stated !== 'number') return `сумма НДС по ставке ${v.type}: не более 2 знаков после запятой`;
    const rate = VAT_RATES[code].rate || null;
    lines.push({ index, type: v.type, rate, vat: stated, sum: rate === null ? stated : Math.round((stated * (100 + rate)) / rate) });
  }
  const taxed = lines.filter((l) => l.rate !== null);
  const zero = lines.filter((l) => l.rate === null);
  const assigned = lines.reduce((a, l) => a + l.sum, 0);
  let rest = total - assigned;
  const open = zero.filter((l) => l.sum === 0);
  if (rest !== 0 && open.length === 1 && open[0]) {
    open[0].sum += rest;
    rest = 0;
  }
  if (rest !== 0) {
    // The rounding of VAT to kopecks: move the difference to the largest taxed line if its VAT stays the same.
    const largest = [...taxed].sort((x, y) => y.sum - x.sum)[0];
    if (largest && largest.rate !== null && vatOf(largest.sum + rest, vatCode(largest.type) as Vat1199) === largest.vat) {
      largest.sum += rest;
      rest = 0;
    }
  }
  // What the stated VAT does not account for was paid without VAT (1105), as the FN would count it.
  if (rest > 0) {
    lines.push({ index: -1, type: 'none', rate: null, vat: 0, sum: rest });
    rest = 0;
  }
  if (rest !== 0 || lines.some((l) => l.sum < 0)) return `суммы по ставкам НДС (${formatRub(assigned)}) не сходятся с суммой оплат (${formatRub(total)})`;
  for (const l of taxed) {
    if (vatOf(l.sum, vatCode(l.type) as Vat1199) !== l.vat) return `НДС ${formatRub(l.vat)} по ставке ${l.type} не получается из суммы ${formatRub(l.sum)}`;
  }
  const out = lines.filter((l) => l.sum > 0).map(({ index, type, sum }) => ({ index, type, sum }));
  if (out.length === 0) return 'сумма коррекции равна нулю';
  return out;
}
