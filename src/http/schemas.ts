import { Type, type Static, type TSchema, type TStringOptions } from 'typebox';
import { FORBIDDEN_TEXT_PATTERN } from '../domain/text.js';
import { FAULT_KINDS } from '../devices/driver.js';

/**
 * Request and response schemas. They drive validation (ajv, strict types: no coercion of body
 * values), serialization and the OpenAPI document at /docs. Unknown body fields are ignored
 * (never stored) so clients written against the original API keep working.
 *
 * Every string a request carries (body, query) is guarded by the text rule of src/domain/text.ts:
 * `not: TEXT_GUARD` fails for a string holding a control character, an unpaired surrogate, a bidi
 * override or a noncharacter, and the error handler reports its `not` as `invalid_characters` with
 * the field's path. Request schemas use Text / NullableText / TextSafe, never a bare Type.String
 * (test/api/text-schemas.test.ts walks the OpenAPI document to keep it so). On a union the guard
 * sits on the union itself, so ajv checks it before the branches and reports one error.
 */
export const TEXT_GUARD = { type: 'string', pattern: FORBIDDEN_TEXT_PATTERN } as const;
/** A request string under the text rule. */
export const Text = (options: TStringOptions = {}) => Type.String({ ...options, not: TEXT_GUARD });
/** string | null under the text rule. */
export const NullableText = (options: TStringOptions = {}) => Type.Union([Type.String(options), Type.Null()], { not: TEXT_GUARD });
/** The text rule on a union with string branches (or on any value, e.g. a config property). */
export const TextSafe = <T extends TSchema[]>(anyOf: [...T], options: Record<string, unknown> = {}) => Type.Union(anyOf, { ...options, not: TEXT_GUARD });

const Money = TextSafe([Type.Number(), Type.String({ maxLength: 32 })], { description: 'Money: number or numeric string, at most 2 decimals' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A marking code as scanned, its GS separators (0x1D) included, or its base64. The one request
 * string allowed a control character: GS is part of a GS1 DataMatrix code (docs/api.md).
 */
export const MARKING_CODE_PATTERN = '^[\\x1d\\x20-\\x7e]+$';
export const MarkingCode = Type.String({ minLength: 1, maxLength: 512, pattern: MARKING_CODE_PATTERN, description: 'tag 2000: the code as scanned (GS = \\u001d) or its base64' });

const IndustryRequisiteSchema = Type.Object({
  foiv_id: Text({ maxLength: 3, description: 'tag 1262: id of the federal body, e.g. 030' }),
  doc_date: Text({ maxLength: 10, description: 'tag 1263: dd.mm.yyyy' }),
  doc_number: Text({ maxLength: 32, description: 'tag 1264' }),
  value: Text({ maxLength: 256, description: 'tag 1265, e.g. UUID=…&Time=… of the permit mode' }),
});

const AgentSchema = Type.Object({
  operation: Type.Optional(NullableText({ maxLength: 24, description: 'tag 1044' })),
  phones: Type.Optional(Nullable(Type.Array(Text({ maxLength: 32 }), { maxItems: 8, description: 'tag 1073' }))),
  operator_phones: Type.Optional(Nullable(Type.Array(Text({ maxLength: 32 }), { maxItems: 8, description: 'tag 1074' }))),
  transfer_operator_phones: Type.Optional(Nullable(Type.Array(Text({ maxLength: 32 }), { maxItems: 8, description: 'tag 1075' }))),
  transfer_operator_name: Type.Optional(NullableText({ maxLength: 64, description: 'tag 1026' })),
  transfer_operator_address: Type.Optional(NullableText({ maxLength: 256, description: 'tag 1005' })),
  transfer_operator_inn: Type.Optional(NullableText({ maxLength: 12, description: 'tag 1016' })),
});

export const ProductSchema = Type.Object({
  name: Text({ minLength: 1, maxLength: 128, description: 'tag 1030' }),
  price: Money,
  quantity: TextSafe([Type.Number(), Type.String({ maxLength: 32 })], { description: '> 0, at most 3 decimals (6 for weighed goods)' }),
  payment_state_int: Type.Integer({ description: 'tag 1214: 1 full prepayment … 4 full payment … 7 credit payment' }),
  commodity_type_int: Type.Integer({ description: 'tag 1212: 1 product, 4 service, ...' }),
  tax_type_int: Type.Optional(Nullable(Type.Integer({ description: 'VAT in the original codes 1..8' }))),
  tax_type: Type.Optional(NullableText({ maxLength: 16, description: 'VAT by name: none, vat0, vat5, vat7, vat10, vat20, vat22, vat105, vat107, vat110, vat120, vat122' })),
  quantity_unit: Type.Optional(NullableText({ maxLength: 16 })),
  quantity_prec: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 6 }))),
  // FFD 1.2 (docs/api.md "FFD 1.2 content"); a register registered for FFD 1.05 refuses them with 422.
  measure: Type.Optional(Nullable(Type.Integer({ description: 'tag 2108: 0 piece, 10 g, 11 kg, 12 t, 20 cm, 21 dm, 22 m, 30–32 area, 40 ml, 41 l, 42 m³, 50 kWh, 51 Gcal, 70–73 time, 80–83 data, 255 other' }))),
  marking_code: Type.Optional(Nullable(MarkingCode)),
  planned_status: Type.Optional(Nullable(Type.Integer({ description: 'tag 2003: 1 piece sold, 2 measured sold, 3 piece returned, 4 measured returned, 255 unchanged; default from receiptType' }))),
  fractional_quantity: Type.Optional(Nullable(Type.Object({
    numerator: Type.Integer({ minimum: 1 }),
    denominator: Type.Integer({ minimum: 2 }),
  }, { description: 'tag 1291: the part of one marked unit sold; quantity must be 1' }))),
  product_code: Type.Optional(Nullable(Type.Object({
    kind: Text({ maxLength: 16, description: 'tag 1163 sub-tag: undefined, ean8, ean13, itf14, gs1, mi, egais2, egais3, f1–f6' }),
    value: Text({ minLength: 1, maxLength: 38 }),
  }))),
  agent_sign: Type.Optional(Nullable(Type.Integer({ description: 'tag 1222: 1 bank paying agent, 2 bank paying subagent, 4 paying agent, 8 paying subagent, 16 attorney, 32 commission agent, 64 other agent' }))),
  agent: Type.Optional(Nullable(AgentSchema)),
  supplier: Type.Optional(Nullable(Type.Object({
    name: Type.Optional(NullableText({ maxLength: 256, description: 'tag 1225' })),
    phones: Type.Optional(Nullable(Type.Array(Text({ maxLength: 32 }), { maxItems: 8, description: 'tag 1171' }))),
    inn: Text({ maxLength: 12, description: 'tag 1226' }),
  }))),
  excise: Type.Optional(Nullable(Money)),
  country_code: Type.Optional(NullableText({ maxLength: 3, description: 'tag 1230: OKSM code, e.g. 643' })),
  customs_declaration: Type.Optional(NullableText({ maxLength: 32, description: 'tag 1231' })),
  additional_requisite: Type.Optional(NullableText({ maxLength: 64, description: 'tag 1191' })),
  industry_requisites: Type.Optional(Nullable(Type.Array(IndustryRequisiteSchema, { maxItems: 8, description: 'tag 1260' }))),
});

export const PaymentSchema = Type.Object({
  payment_type_int: Type.Integer({ description: '0 cash, 1 electronic, 2 prepayment, 3 credit, 4 other' }),
  payment_sum: Money,
});

export const ReceiptBodySchema = Type.Object(
  {
    receiptType: Type.Integer({ description: '1 sell, 2 sell refund, 4 purchase, 5 purchase refund, 7–10 corrections' }),
    products: Type.Array(ProductSchema, { minItems: 1, maxItems: 1000 }),
    payments: Type.Array(PaymentSchema, { minItems: 1, maxItems: 32 }),
    email: Type.Optional(NullableText({ maxLength: 256 })),
    phone_number: Type.Optional(NullableText({ maxLength: 64 })),
    tax_system: Type.Optional(Nullable(Type.Integer())),
    order_id: Type.Optional(TextSafe([Type.Integer({ minimum: -9007199254740991, maximum: 9007199254740991 }), Type.String({ maxLength: 64 }), Type.Null()])),
    need_print: Type.Optional(Nullable(Type.Boolean())),
    mistaken_receipt_number: Type.Optional(NullableText({ maxLength: 16 })),
    correction_reason: Type.Optional(NullableText({ maxLength: 256 })),
    correction_date: Type.Optional(NullableText({ maxLength: 10 })),
    doc_number: Type.Optional(NullableText({ maxLength: 32 })),
    precept: Type.Optional(Nullable(Type.Boolean())),
    cashier: Type.Optional(Nullable(Type.Object({
      name: Text({ minLength: 1, maxLength: 64 }),
      inn: Type.Optional(NullableText({ pattern: '^(\\d{10}|\\d{12})$' })),
    }))),
    buyer: Type.Optional(Nullable(Type.Object({
      name: Type.Optional(NullableText({ maxLength: 256, description: 'tag 1227' })),
      inn: Type.Optional(NullableText({ maxLength: 12, description: 'tag 1228' })),
      birth_date: Type.Optional(NullableText({ maxLength: 10, description: 'tag 1243: dd.mm.yyyy' })),
      citizenship: Type.Optional(NullableText({ maxLength: 3, description: 'tag 1244: OKSM code' })),
      document_code: Type.Optional(NullableText({ maxLength: 2, description: 'tag 1245' })),
      document_data: Type.Optional(NullableText({ maxLength: 64, description: 'tag 1246' })),
      address: Type.Optional(NullableText({ maxLength: 256, description: 'tag 1254' })),
    }, { description: 'tag 1256' }))),
    operational_requisite: Type.Optional(Nullable(Type.Object({
      id: Type.Integer({ description: 'tag 1271, 0–255' }),
      data: Text({ maxLength: 64, description: 'tag 1272' }),
      date_time: Text({ maxLength: 19, description: 'tag 1273: local time, yyyy-mm-ddThh:mm[:ss]' }),
    }, { description: 'tag 1270' }))),
    industry_requisites: Type.Optional(Nullable(Type.Array(IndustryRequisiteSchema, { maxItems: 8, description: 'tag 1261' }))),
    user_requisite: Type.Optional(Nullable(Type.Object({
      name: Text({ maxLength: 64, description: 'tag 1085' }),
      value: Text({ maxLength: 256, description: 'tag 1086' }),
    }, { description: 'tag 1084' }))),
    agent_sign: Type.Optional(Nullable(Type.Integer({ description: 'tag 1057: every item is sold by an agent of this kind' }))),
    additional_requisite: Type.Optional(NullableText({ maxLength: 16, description: 'tag 1192 on any FFD 1.2 receipt (read back as mistaken_receipt_number, the same tag)' })),
    callback_url: Type.Optional(NullableText({ maxLength: 2048, description: 'http(s) URL the outcome is POSTed to (signed, retried; docs/api.md "Callbacks")' })),
  },
  { description: 'A receipt to register (api.md). Unknown fields are ignored.' },
);
export type ReceiptBody = Static<typeof ReceiptBodySchema>;

export const MarkingCheckBody = Type.Object({
  marking_code: MarkingCode,
  planned_status: Type.Optional(Nullable(Type.Integer({ description: 'tag 2003; default 1 (2 for measured goods)' }))),
  measure: Type.Optional(Nullable(Type.Integer({ description: 'tag 2108; default 0 (piece)' }))),
  quantity: Type.Optional(Nullable(TextSafe([Type.Number(), Type.String({ maxLength: 32 })], { description: 'measured goods only (planned_status 2 or 4)' }))),
  fractional_quantity: Type.Optional(Nullable(Type.Object({ numerator: Type.Integer({ minimum: 1 }), denominator: Type.Integer({ minimum: 2 }) }))),
}, { description: 'A marking code to check without a receipt' });

/** A fault to inject into a virtual register (REST and dashboard API alike). */
export const FaultBody = Type.Object({
  kind: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k))),
  delay_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'For "slow" and "marking_slow": the delay of every affected operation' })),
  times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Operations affected; default: until cleared' })),
});

export const ErrorSchema = Type.Object({
  errors: Type.Array(Type.Object({ field: Type.Optional(Type.String()), code: Type.String(), message: Type.String() })),
});

export const GroupParams = Type.Object({ service_group_id: Type.String({ pattern: '^\\d{1,15}$' }) });
/** Which register of the group's pool a device operation is for (docs/pools.md); absent: the group's first. */
export const RegisterQuery = Type.Object({ register_id: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: 'Register (device) id from the group view’s `registers`; default: the group’s first register' })) });
export const registerOf = (q: { register_id?: string }): number | null => (q.register_id === undefined ? null : Number(q.register_id));
export const ReceiptParams = Type.Object({
  service_group_id: Type.String({ pattern: '^\\d{1,15}$' }),
  receipt_id: Type.String({ pattern: '^\\d{1,15}$' }),
});
/** One register-event delivery of a group (…/events/{delivery_id}). */
export const EventDeliveryParams = Type.Object({
  service_group_id: Type.String({ pattern: '^\\d{1,15}$' }),
  delivery_id: Type.String({ pattern: '^\\d{1,15}$' }),
});

export const RegisterResponse = Type.Object({ id: Type.String(), location: Type.String() });

export const ListQuery = Type.Object({
  date_start: Type.Optional(Text({ maxLength: 10 })),
  date_end: Type.Optional(Text({ maxLength: 10 })),
  order_id: Type.Optional(Text({ maxLength: 64 })),
  state: Type.Optional(Text({ maxLength: 16 })),
  limit: Type.Optional(Text({ pattern: '^([1-9]|[1-9]\\d|[1-4]\\d\\d|500)$', description: '1..500, default 100' })),
  cursor: Type.Optional(Text({ maxLength: 64 })),
});

const MoneyOut = Type.String({ pattern: '^-?\\d+\\.\\d{2}$' });
const NStr = Nullable(Type.String());
const NInt = Nullable(Type.Integer());

/** 2106 decoded (views/ffd12.ts). */
const MarkingCheckOut = Type.Object({
  result: Type.Integer(), fn_checked: Type.Boolean(), fn_valid: Type.Boolean(), operator_checked: Type.Boolean(),
  operator_status_correct: Type.Boolean(), autonomous: Type.Boolean(),
});
const IndustryRequisiteOut = Type.Object({ foiv_id: Type.String(), doc_date: Type.String(), doc_number: Type.String(), value: Type.String() });

export const ReceiptResponse = Type.Object({
  id: Type.Integer(),
  order_id: Nullable(Type.Union([Type.Integer(), Type.String()])),
  user_id: Type.Integer(),
  service_id: Type.Integer(),
  state: Type.String({ enum: ['pending', 'processing', 'success', 'failed', 'in_doubt'] }),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), device_code: Type.Optional(NStr), retryable: Type.Optional(Type.Boolean()) })),
  mistaken_receipt_number: NStr,
  email: NStr,
  phone_number: NStr,
  receiptType: Type.Integer(),
  tax_system: Type.Integer(),
  need_print: Type.Boolean(),
  cashier: Nullable(Type.Object({ name: Type.String(), inn: NStr })),
  correction_data: Nullable(Type.Object({ correction_reason: Type.String(), correction_date: Type.String(), doc_number: Type.String(), precept: Type.Boolean() })),
  registrator_id: NInt,
  fiscal_sign: NStr,
  receipt_num: NInt,
  shift_num: NInt,
  receipt_in_shift_num: NInt,
  registration_datetime: NStr,
  payments_total: MoneyOut,
  commodities_total_cost: MoneyOut,
  change: MoneyOut,
  commodities: Type.Array(Type.Object({
    name: Type.String(), quantity: Type.String(), price: MoneyOut, total: MoneyOut,
    commodity_type_int: Type.Integer(), payment_state_int: Type.Integer(), quantity_prec: Type.Integer(),
    quantity_unit: NStr, tax_type_int: NInt, tax_type: Type.String(),
    measure: Type.Integer({ description: 'tag 2108' }),
    // FFD 1.2 content: present when the product carries any (docs/api.md "FFD 1.2 content").
    marking_code: Type.Optional(NStr),
    planned_status: Type.Optional(NInt),
    marking_check: Type.Optional(Nullable(MarkingCheckOut)),
    fractional_quantity: Type.Optional(Nullable(Type.Object({ numerator: Type.Integer(), denominator: Type.Integer() }))),
    product_code: Type.Optional(Nullable(Type.Object({ kind: Type.String(), value: Type.String() }))),
    agent_sign: Type.Optional(NInt),
    agent: Type.Optional(Nullable(Type.Object({
      operation: NStr, phones: Type.Array(Type.String()), operator_phones: Type.Array(Type.String()), transfer_operator_phones: Type.Array(Type.String()),
      transfer_operator_name: NStr, transfer_operator_address: NStr, transfer_operator_inn: NStr,
    }))),
    supplier: Type.Optional(Nullable(Type.Object({ name: NStr, phones: Type.Array(Type.String()), inn: Type.String() }))),
    excise: Type.Optional(Nullable(MoneyOut)),
    country_code: Type.Optional(NStr),
    customs_declaration: Type.Optional(NStr),
    additional_requisite: Type.Optional(NStr),
    industry_requisites: Type.Optional(Type.Array(IndustryRequisiteOut)),
  })),
  buyer: Type.Optional(Nullable(Type.Object({ name: NStr, inn: NStr, birth_date: NStr, citizenship: NStr, document_code: NStr, document_data: NStr, address: NStr }))),
  operational_requisite: Type.Optional(Nullable(Type.Object({ id: Type.Integer(), data: Type.String(), date_time: Type.String() }))),
  industry_requisites: Type.Optional(Type.Array(IndustryRequisiteOut)),
  user_requisite: Type.Optional(Nullable(Type.Object({ name: Type.String(), value: Type.String() }))),
  agent_sign: Type.Optional(NInt),
  payments: Type.Array(Type.Object({ payment_sum: MoneyOut, paymetn_sum: MoneyOut, payment_type_int: Type.Integer() })),
  registration_number: NStr,
  registrator_serial: NStr,
  fn_serial: NStr,
  ffd_version: NStr,
  ofd_name: NStr,
  ffd_inn: NStr,
  ofd_inn: NStr,
  company_name: NStr,
  company_inn: NStr,
  operations_address: NStr,
  operations_place: NStr,
  qr: NStr,
  created_at: Type.String(),
  updated_at: Type.String(),
  callback: Type.Optional(Nullable(Type.Object({
    url: Type.String(),
    state: Nullable(Type.String({ enum: ['pending', 'delivered', 'failed'], description: 'the latest delivery; null until the receipt is final' })),
    attempts: Type.Integer(),
    last_status: NInt,
    last_error: NStr,
    next_attempt_at: NStr,
    delivered_at: NStr,
  }, { description: 'the completion callback (null without callback_url)' }))),
});

export const ReceiptListResponse = Type.Object({ items: Type.Array(ReceiptResponse), next_cursor: NStr });
