import { Type, type Static, type TSchema, type TStringOptions } from 'typebox';
import { FORBIDDEN_TEXT_PATTERN } from '../domain/text.js';

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
  },
  { description: 'A receipt to register (api.md). Unknown fields are ignored.' },
);
export type ReceiptBody = Static<typeof ReceiptBodySchema>;

export const ErrorSchema = Type.Object({
  errors: Type.Array(Type.Object({ field: Type.Optional(Type.String()), code: Type.String(), message: Type.String() })),
});

export const GroupParams = Type.Object({ service_group_id: Type.String({ pattern: '^\\d{1,15}$' }) });
export const ReceiptParams = Type.Object({
  service_group_id: Type.String({ pattern: '^\\d{1,15}$' }),
  receipt_id: Type.String({ pattern: '^\\d{1,15}$' }),
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
  })),
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
});

export const ReceiptListResponse = Type.Object({ items: Type.Array(ReceiptResponse), next_cursor: NStr });
