import { DomainError, type FieldError } from './errors.js';
import {
  FFD12_ONLY_OBJECTS, RECEIPT_TYPES, TAX_TYPE_INT_TO_1199, TAX_TYPE_NAME_TO_1199,
  isMeasure, isPaymentMethod, isPaymentObject, isPaymentType, isReceiptType, isTaxSystem, isVat1199,
  type Measure, type Vat1199,
} from './enums.js';
import { parseMoney, type MoneyParseError } from './money.js';
import { lineCost, parseQuantity, type QuantityParseError } from './quantity.js';
import { normalizeEmail, normalizePhone } from './contact.js';
import { parseCorrectionDate } from './dates.js';
import { measureFromUnit, WEIGHED_MEASURES } from './units.js';
import type { FiscalReceipt, ReceiptItem, ReceiptPayment } from './receipt.js';
import type { ReceiptContext, ReceiptInput } from './receipt-input.js';
import { forbiddenCharacter, INVALID_CHARACTERS_MESSAGE } from './text.js';
import { validateItemExtras, validateReceiptExtras } from './validate-ffd12.js';

const MONEY_MESSAGES: Record<MoneyParseError, string> = {
  not_a_number: 'must be a number or a numeric string',
  too_many_decimals: 'must have at most 2 decimal places',
  negative: 'must not be negative',
  too_large: 'is too large',
};
const QTY_MESSAGES: Record<QuantityParseError, string> = {
  not_a_number: 'must be a number or a numeric string',
  too_many_decimals: 'has too many decimal places',
  not_positive: 'must be greater than 0',
  too_large: 'is too large',
};

/**
 * Turns a schema-valid request into the FiscalReceipt the device gets, checking every fiscal rule
 * of api.md first. Field errors (400) and fiscal impossibilities (422) are collected and thrown
 * together; nothing is stored when this throws.
 */
export function validateReceipt(input: ReceiptInput, ctx: ReceiptContext): FiscalReceipt {
  const bad: FieldError[] = [];
  const impossible: FieldError[] = [];
  const err = (field: string, code: string, message: string) => bad.push({ field, code, message: `${field} ${message}` });
  const fiscal = (field: string | undefined, code: string, message: string) =>
    impossible.push(field === undefined ? { code, message } : { field, code, message });

  // Text the device or the OFD would refuse (src/domain/text.ts). The HTTP schema refuses it first;
  // this keeps the rule for any other caller. A field refused here gets no other error.
  const refused = new Set<string>();
  const text = (field: string, value: unknown) => {
    const c = typeof value === 'string' ? forbiddenCharacter(value) : null;
    if (c) {
      err(field, 'invalid_characters', `${INVALID_CHARACTERS_MESSAGE} (${c})`);
      refused.add(field);
    }
  };
  input.products.forEach((p, i) => {
    for (const k of ['name', 'price', 'quantity', 'tax_type', 'quantity_unit'] as const) text(`products[${i}].${k}`, p[k]);
  });
  input.payments.forEach((p, i) => text(`payments[${i}].payment_sum`, p.payment_sum));
  for (const k of ['email', 'phone_number', 'order_id', 'mistaken_receipt_number', 'correction_reason', 'correction_date', 'doc_number'] as const) text(k, input[k]);
  if (input.cashier) {
    text('cashier.name', input.cashier.name);
    text('cashier.inn', input.cashier.inn);
  }

  if (!isReceiptType(input.receiptType)) err('receiptType', 'invalid_receipt_type', 'must be one of 1, 2, 4, 5, 7, 8, 9, 10');
  const type = isReceiptType(input.receiptType) ? RECEIPT_TYPES[input.receiptType] : null;
  const isCorrection = type?.correction ?? false;
  const ffd12Ctx = { ffdVersion: ctx.ffdVersion, receiptType: isReceiptType(input.receiptType) ? input.receiptType : null };
  const ffd12Report = {
    invalid: (field: string, code: string, message: string) => bad.push({ field, code, message }),
    unprocessable: (field: string, code: string, message: string) => fiscal(field, code, message),
  };

  // Taxation system (1055): the request's, else the group's default.
  const taxRaw = input.tax_system ?? ctx.defaultTaxSystem;
  if (taxRaw === null || taxRaw === undefined) err('tax_system', 'required', 'is required (the service group has no default)');
  else if (!isTaxSystem(taxRaw)) err('tax_system', 'invalid_tax_system', 'must be one of 1, 2, 4, 8, 16, 32');
  else if (ctx.registeredTaxSystems !== null && (ctx.registeredTaxSystems & taxRaw) === 0) {
    fiscal('tax_system', 'tax_system_not_registered', `tax_system ${taxRaw} is not one the device is registered for`);
  }

  // Cashier (1021): mandatory unless the register works in automatic mode (1001).
  if (ctx.cashierRequired === true && !input.cashier) {
    fiscal('cashier', 'cashier_required', 'cashier is required: the register is not registered in automatic mode');
  }

  // Buyer contact (1008).
  let email: string | null = null;
  let phone: string | null = null;
  if (input.email !== undefined && input.email !== null && input.email !== '') {
    email = normalizeEmail(input.email);
    if (!email) err('email', 'invalid_email', 'is not a valid e-mail address (at most 64 characters)');
  }
  if (input.phone_number !== undefined && input.phone_number !== null && input.phone_number !== '') {
    phone = normalizePhone(input.phone_number);
    if (!phone) err('phone_number', 'invalid_phone', 'must contain 10 to 15 digits');
  }
  const contactGiven = (input.email ?? '') !== '' || (input.phone_number ?? '') !== '';
  if (!contactGiven) err('email', 'contact_required', 'or phone_number is required');

  const items: ReceiptItem[] = input.products.map((p, i): ReceiptItem => {
    const f = `products[${i}]`;
    const name = p.name.trim();
    if (name.length === 0) err(`${f}.name`, 'required', 'must not be empty');
    const price = parseMoney(p.price);
    if (typeof price === 'string') err(`${f}.price`, `invalid_money`, MONEY_MESSAGES[price]);
    let measure: Measure = measureFromUnit(p.quantity_unit ?? null);
    if (p.measure !== undefined && p.measure !== null) {
      if (!isMeasure(p.measure)) err(`${f}.measure`, 'invalid_measure', 'is not a measure of quantity (tag 2108: 0, 10–12, 20–22, 30–32, 40–42, 50, 51, 70–73, 80–83, 255)');
      else measure = p.measure;
    }
    const quantity = parseQuantity(p.quantity, WEIGHED_MEASURES.has(measure) ? 6 : 3);
    if (typeof quantity === 'string') err(`${f}.quantity`, 'invalid_quantity', QTY_MESSAGES[quantity]);
    if (!isPaymentMethod(p.payment_state_int)) err(`${f}.payment_state_int`, 'invalid_payment_state', 'must be one of 1..7');
    if (!isPaymentObject(p.commodity_type_int)) err(`${f}.commodity_type_int`, 'invalid_commodity_type', 'is not a known subject of calculation (tag 1212)');
    else if (ctx.ffdVersion === '105' && FFD12_ONLY_OBJECTS.has(p.commodity_type_int)) {
      fiscal(`${f}.commodity_type_int`, 'commodity_type_requires_ffd_1_2', `${f}.commodity_type_int ${p.commodity_type_int} exists only in FFD 1.2`);
    }
    let vat: Vat1199 = isVat1199(ctx.defaultVat) ? ctx.defaultVat : 6;
    const hasInt = p.tax_type_int !== undefined && p.tax_type_int !== null;
    const hasName = p.tax_type !== undefined && p.tax_type !== null;
    if (hasInt && hasName) err(`${f}.tax_type`, 'conflicting_fields', 'and tax_type_int must not both be given');
    else if (hasInt) {
      const v = TAX_TYPE_INT_TO_1199[p.tax_type_int as number];
      if (v === undefined) err(`${f}.tax_type_int`, 'invalid_tax_type', 'must be one of 1..8');
      else vat = v;
    } else if (hasName) {
      const v = TAX_TYPE_NAME_TO_1199[p.tax_type as string];
      if (v === undefined) err(`${f}.tax_type`, 'invalid_tax_type', `must be one of ${Object.keys(TAX_TYPE_NAME_TO_1199).join(', ')}`);
      else vat = v;
    }
    const priceK = typeof price === 'number' ? price : 0;
    const qty = typeof quantity === 'number' ? quantity : 0;
    const paymentObject = isPaymentObject(p.commodity_type_int) ? p.commodity_type_int : 1;
    const ffd12 = validateItemExtras(p, f, ffd12Ctx, { measure, quantity: qty, paymentObject }, ffd12Report);
    return {
      name,
      price: priceK,
      quantity: qty,
      total: lineCost(priceK, qty),
      vat,
      paymentMethod: isPaymentMethod(p.payment_state_int) ? p.payment_state_int : 4,
      paymentObject,
      unit: p.quantity_unit ?? null,
      measure,
      quantityPrec: p.quantity_prec ?? null,
      taxTypeInt: hasInt ? (p.tax_type_int as number) : null,
      ...(ffd12 ? { ffd12 } : {}),
    };
  });
  // One marked unit, one line: the FN refuses a code it already accepted for this receipt.
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const code = it.ffd12?.marking?.code;
    if (code === undefined) return;
    const first = seen.get(code);
    if (first !== undefined) err(`products[${i}].marking_code`, 'duplicate_marking_code', `is the same code as products[${first}].marking_code`);
    else seen.set(code, i);
  });
  const receiptFfd12 = validateReceiptExtras(input, ffd12Ctx, ctx.today, ffd12Report);

  const payments: ReceiptPayment[] = input.payments.map((p, i) => {
    const f = `payments[${i}]`;
    if (!isPaymentType(p.payment_type_int)) err(`${f}.payment_type_int`, 'invalid_payment_type', 'must be one of 0..4');
    const sum = parseMoney(p.payment_sum);
    if (typeof sum === 'string') err(`${f}.payment_sum`, 'invalid_money', MONEY_MESSAGES[sum]);
    return { type: isPaymentType(p.payment_type_int) ? p.payment_type_int : 0, sum: typeof sum === 'number' ? sum : 0 };
  });

  // Correction fields (1173, 1174 {1177, 1178, 1179}): required on corrections, refused elsewhere.
  const corrFields = ['correction_reason', 'correction_date', 'doc_number', 'precept'] as const;
  let correction: FiscalReceipt['correction'] = null;
  if (isCorrection) {
    for (const k of corrFields) {
      const v = input[k];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) err(k, 'required', 'is required for correction receipts');
    }
    let date: string | null = null;
    if (typeof input.correction_date === 'string' && input.correction_date.trim() !== '') {
      date = parseCorrectionDate(input.correction_date);
      if (!date) err('correction_date', 'invalid_date', 'must be an existing date as dd.mm.yyyy, dd:mm:yyyy or yyyy-mm-dd');
      else if (date > ctx.today) err('correction_date', 'date_in_future', 'must not be in the future');
    }
    if (ctx.ffdVersion === '105' && type && (type.operationType === 2 || type.operationType === 4)) {
      fiscal('receiptType', 'correction_type_not_supported', 'FFD 1.05 devices only register sell (7) and buy (9) corrections');
    }
    if (ctx.ffdVersion === '105' && (input.mistaken_receipt_number ?? '').trim() === '') {
      err('mistaken_receipt_number', 'required', 'is required for corrections on FFD 1.05 devices');
    }
    correction = {
      type: input.precept === true ? 1 : 0,
      reason: (input.correction_reason ?? '').trim(),
      date: date ?? '',
      docNumber: (input.doc_number ?? '').trim(),
    };
  } else {
    for (const k of [...corrFields, 'mistaken_receipt_number'] as const) {
      const v = input[k];
      if (v !== undefined && v !== null && v !== '') err(k, 'not_allowed', 'is allowed only on correction receipts (receiptType 7–10)');
    }
  }

  // 1192, the receipt's additional requisite: the original API names it mistaken_receipt_number and
  // allows it on corrections; FFD 1.2 allows it on every receipt, as additional_requisite.
  let requisite1192 = correction !== null ? (input.mistaken_receipt_number ?? '').trim() : '';
  const additional = (input.additional_requisite ?? '').trim();
  if (additional !== '') {
    text('additional_requisite', input.additional_requisite);
    if (ctx.ffdVersion === '105') fiscal('additional_requisite', 'requires_ffd_1_2', 'additional_requisite exists only in FFD 1.2; the register is registered for FFD 1.05');
    else if (requisite1192 !== '') err('additional_requisite', 'conflicting_fields', 'and mistaken_receipt_number are the same tag 1192: give one');
    else if (additional.length > 16) err('additional_requisite', 'too_long', 'must be at most 16 characters (tag 1192)');
    else requisite1192 = additional;
  }

  if (bad.length > 0) throw new DomainError('invalid', bad.filter((e) => e.code === 'invalid_characters' || !refused.has(e.field ?? '')));

  // Fiscal rules (api.md, domain.md §2.4), checked on exact integers.
  const total = items.reduce((a, it) => a + it.total, 0);
  items.forEach((it, i) => {
    if (it.total === 0) fiscal(`products[${i}]`, 'zero_item_total', `products[${i}] costs 0.00 after rounding price × quantity`);
  });
  if (total <= 0) fiscal('products', 'zero_total', 'the receipt total must be greater than 0');
  const paid = payments.reduce((a, p) => a + p.sum, 0);
  const cash = payments.filter((p) => p.type === 0).reduce((a, p) => a + p.sum, 0);
  const nonCash = paid - cash;
  if (paid < total) fiscal('payments', 'insufficient_payment', 'the sum of payments is less than the receipt total');
  else if (nonCash > total) fiscal('payments', 'noncash_exceeds_total', 'non-cash payments exceed the receipt total; only cash may exceed it');
  if (impossible.length > 0) throw new DomainError('unprocessable', impossible);

  const receiptType = input.receiptType as keyof typeof RECEIPT_TYPES;
  return {
    receiptType,
    operationType: RECEIPT_TYPES[receiptType].operationType,
    taxSystem: taxRaw as FiscalReceipt['taxSystem'],
    items,
    payments,
    total,
    change: paid - total,
    email,
    phone,
    correction,
    mistakenReceiptNumber: requisite1192 === '' ? null : requisite1192,
    cashier: input.cashier ? { name: input.cashier.name.trim(), inn: input.cashier.inn ?? null } : null,
    needPrint: input.need_print === true,
    ...(receiptFfd12 ? { ffd12: receiptFfd12 } : {}),
  };
}
