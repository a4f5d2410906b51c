import { Type, type Static, type TSchema } from 'typebox';
import { NullableText, Text } from '../http/schemas.js';
import { AGENT_TYPES, MARK_CODE_KEYS, PAYMENT_METHODS, RETIRED_VAT_TYPES, SNO, V4_PAYMENT_OBJECTS, VAT_TYPES, type AtolVersion } from './protocol.js';

/**
 * The request bodies of the ATOL Online API, v4 (FFD 1.05) and v5 (FFD 1.2), as ATOL's published
 * schemas and tables define them (docs/atol-online.md): the limits of each field, the
 * enumerations, what is required. They drive validation (an error is ATOL's code 32 naming the
 * field as `<Kind>: #/pointer`) and the OpenAPI document at /docs.
 *
 * Like ATOL's schemas they allow properties they do not name (clients send extras, e.g. Bitrix's
 * correction_info.base_name): those are ignored. Every string is under cr-server's text rule
 * (src/http/schemas.ts): control characters never reach the FN. `null` is taken as "absent" for
 * the optional fields, as real clients send it (Bitrix sends `measure: null`).
 */
const Opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const OptText = (options: Parameters<typeof Text>[0] = {}) => Type.Optional(NullableText(options));
const Enum = (values: readonly string[], description?: string) => Type.Enum([...values], description === undefined ? {} : { description });

/** Money as ATOL sends it: a JSON number, 2 decimals (checked exactly on the decimal text when mapped). */
const Money = (max: number, description?: string) => Type.Number({ minimum: 0, maximum: max, ...(description === undefined ? {} : { description }) });
const PRICE_MAX = 42_949_673;
const SUM_MAX = 100_000_000;
const INN = '^([0-9]{10}|[0-9]{12})$';
/** ATOL's phone rule: up to 17 characters without spaces or backslashes, or "+" and up to 18. */
const Phone = Text({ maxLength: 19, pattern: '^([^\\s\\\\]{0,17}|\\+[^\\s\\\\]{1,18})$' });
const Phones = Opt(Type.Array(Phone, { maxItems: 8 }));

const VatTypes = Enum([...Object.keys(VAT_TYPES), ...RETIRED_VAT_TYPES], 'tag 1199: none, vat0, vat10, vat20, vat110, vat120, vat5, vat7, vat105, vat107, vat22, vat122 (vat18 and vat118 are refused)');

const Company = Type.Object({
  email: OptText({ maxLength: 64, description: 'tag 1117: not written, the register\'s registration decides' }),
  sno: Opt(Enum(Object.keys(SNO), 'tag 1055; absent: the group\'s default taxation system')),
  inn: Text({ maxLength: 12, description: 'tag 1018: must be the INN the register is registered for' }),
  payment_address: Text({ maxLength: 256, description: 'tag 1187: not written, the register\'s registration decides' }),
  location: OptText({ maxLength: 256, description: 'tag 1009: not written, the register\'s registration decides' }),
});

const clientFields = {
  email: OptText({ maxLength: 64, description: 'tag 1008' }),
  phone: OptText({ maxLength: 64, description: 'tag 1008' }),
  name: OptText({ maxLength: 256, description: 'tag 1227' }),
  inn: OptText({ pattern: INN, description: 'tag 1228' }),
};
const ClientV4 = Type.Object(clientFields);
const ClientV5 = Type.Object({
  ...clientFields,
  birthdate: OptText({ maxLength: 10, description: 'tag 1243: dd.mm.yyyy' }),
  citizenship: OptText({ maxLength: 3, description: 'tag 1244: OKSM code' }),
  document_code: OptText({ maxLength: 2, description: 'tag 1245' }),
  document_data: OptText({ maxLength: 64, description: 'tag 1246' }),
  address: OptText({ maxLength: 256, description: 'tag 1254' }),
});

const AgentInfo = Type.Object({
  type: Enum(Object.keys(AGENT_TYPES), 'tag 1057 / 1222'),
  paying_agent: Opt(Type.Object({ operation: OptText({ maxLength: 24, description: 'tag 1044' }), phones: Phones })),
  receive_payments_operator: Opt(Type.Object({ phones: Phones })),
  money_transfer_operator: Opt(Type.Object({
    phones: Phones,
    name: OptText({ maxLength: 64, description: 'tag 1026' }),
    address: OptText({ maxLength: 256, description: 'tag 1005' }),
    inn: OptText({ pattern: INN, description: 'tag 1016' }),
  })),
});
const SupplierInfo = Type.Object({
  phones: Phones,
  name: OptText({ maxLength: 256, description: 'tag 1225' }),
  inn: OptText({ maxLength: 12, description: 'tag 1226' }),
});

const Vat = Type.Object({ type: VatTypes, sum: Opt(Money(SUM_MAX, 'tag 1200: the VAT in the item sum, checked against the rate')) });
const Vats = Type.Array(Type.Object({ type: VatTypes, sum: Opt(Money(SUM_MAX)) }), { minItems: 1, maxItems: 6 });
const Payments = Type.Array(
  Type.Object({
    type: Type.Integer({ minimum: 0, maximum: 9, description: '0 cash, 1 electronic, 2 prepayment, 3 credit, 4 other; 5–9 as 0–4' }),
    sum: Money(SUM_MAX),
  }),
  { minItems: 1, maxItems: 10 },
);

const SectoralProps = Type.Array(Type.Object({
  federal_id: Text({ maxLength: 3, description: 'tag 1262' }),
  date: Text({ maxLength: 10, description: 'tag 1263: dd.mm.yyyy' }),
  number: Text({ maxLength: 32, description: 'tag 1264' }),
  value: Text({ maxLength: 256, description: 'tag 1265' }),
}), { maxItems: 8 });

const itemFields = {
  name: Text({ minLength: 1, maxLength: 128, description: 'tag 1030' }),
  price: Money(PRICE_MAX, 'tag 1079'),
  quantity: Type.Number({ exclusiveMinimum: 0, maximum: 100_000, description: 'tag 1023, up to 3 decimals' }),
  sum: Money(PRICE_MAX, 'tag 1043: must equal price × quantity rounded to kopecks'),
  agent_info: Opt(AgentInfo),
  supplier_info: Opt(SupplierInfo),
  user_data: OptText({ maxLength: 64, description: 'tag 1191' }),
  excise: Opt(Money(PRICE_MAX, 'tag 1229')),
  country_code: OptText({ minLength: 1, maxLength: 3, pattern: '^[0-9]*$', description: 'tag 1230' }),
  declaration_number: OptText({ minLength: 1, maxLength: 32, description: 'tag 1231' }),
};
const ItemV4 = Type.Object({
  ...itemFields,
  measurement_unit: OptText({ maxLength: 16, description: 'tag 1197' }),
  payment_method: Opt(Enum(Object.keys(PAYMENT_METHODS), 'tag 1214; default full_prepayment')),
  payment_object: Opt(Enum(Object.keys(V4_PAYMENT_OBJECTS), 'tag 1212; default commodity')),
  nomenclature_code: OptText({ maxLength: 150, description: 'tag 1162 (FFD 1.05): not supported, refused' }),
  vat: Opt(Vat),
});
const ItemV5 = Type.Object({
  ...itemFields,
  measure: Opt(Type.Integer({ minimum: 0, maximum: 255, description: 'tag 2108; null or absent: 0 (piece)' })),
  payment_method: Enum(Object.keys(PAYMENT_METHODS), 'tag 1214'),
  payment_object: Type.Integer({ minimum: 1, maximum: 33, description: 'tag 1212' }),
  vat: Vat,
  mark_quantity: Opt(Type.Object({ numerator: Type.Integer({ minimum: 1 }), denominator: Type.Integer({ minimum: 1 }) }, { description: 'tag 1291' })),
  mark_processing_mode: OptText({ maxLength: 1, pattern: '^0$', description: 'tag 2102: "0"' }),
  mark_code: Opt(Type.Object(
    Object.fromEntries(Object.keys(MARK_CODE_KEYS).map((k) => [k, Type.Optional(Text({ minLength: 1, maxLength: k === 'gs1m' ? 512 : 64 }))])),
    { minProperties: 1, maxProperties: 1, description: 'tag 1163: exactly one of gs1m (base64), short, ean8, ean13, itf14, gs10, fur, egais20, egais30, unknown' },
  )),
  sectoral_item_props: Opt(SectoralProps),
  planned_status: Opt(Type.Integer({ description: 'tag 2003: 1–4, 255' })),
});

const receiptExtrasV5 = {
  cashier_inn: OptText({ pattern: '^[0-9]{12}$', description: 'tag 1203' }),
  operating_check_props: Opt(Type.Object({
    name: Text({ maxLength: 3, pattern: '^[0-9]{1,3}$', description: 'tag 1271' }),
    value: Text({ maxLength: 64, description: 'tag 1272' }),
    timestamp: Text({ maxLength: 19, description: 'tag 1273: dd.mm.yyyy HH:MM:SS' }),
  })),
  sectoral_check_props: Opt(SectoralProps),
  timezone: Opt(Type.Integer({ minimum: 1, maximum: 11, description: 'tag 1011: not written, the register\'s clock decides' })),
};
const commonReceipt = {
  additional_check_props: OptText({ maxLength: 16, description: 'tag 1192' }),
  cashier: OptText({ maxLength: 64, description: 'tag 1021' }),
  additional_user_props: Opt(Type.Object({ name: Text({ maxLength: 64 }), value: Text({ maxLength: 256 }) }, { description: 'tag 1084' })),
  device_number: OptText({ maxLength: 20, description: 'tag 1036: not written' }),
  internet: Opt(Type.Boolean({ description: 'tag 1125: the register\'s registration (1108) decides' })),
};

/** The receipt of a version: its client and item schemas around the fields both versions share. */
const receiptOf = <C extends TSchema, I extends TSchema>(client: C, item: I) => ({
  client,
  company: Company,
  agent_info: Opt(AgentInfo),
  supplier_info: Opt(Type.Object({ phones: Phones })),
  items: Type.Array(item, { minItems: 1, maxItems: 100 }),
  payments: Payments,
  vats: Opt(Vats),
  total: Money(SUM_MAX, 'tag 1020'),
  ...commonReceipt,
});
const ReceiptV4 = Type.Object(receiptOf(ClientV4, ItemV4));
const ReceiptV5 = Type.Object({ ...receiptOf(ClientV5, ItemV5), ...receiptExtrasV5 });

const CorrectionInfoV4 = Type.Object({
  type: Enum(['self', 'instruction'], 'tag 1173'),
  base_date: Text({ maxLength: 19, description: 'tag 1178: dd.mm.yyyy (a time after it is ignored)' }),
  base_number: Text({ maxLength: 32, description: 'tag 1179' }),
  base_name: OptText({ maxLength: 256, description: 'tag 1177 (sent by some clients)' }),
});
const CorrectionInfoV5 = Type.Object({
  type: Enum(['self', 'instruction'], 'tag 1173'),
  base_date: Text({ maxLength: 19, description: 'tag 1178: dd.mm.yyyy' }),
  base_number: OptText({ maxLength: 32, description: 'tag 1179: required for instruction' }),
  base_name: OptText({ maxLength: 256, description: 'tag 1177' }),
});
const CorrectionV4 = Type.Object({
  company: Company,
  cashier: OptText({ maxLength: 64, description: 'tag 1021' }),
  correction_info: CorrectionInfoV4,
  payments: Payments,
  vats: Vats,
  device_number: OptText({ maxLength: 20 }),
});
const CorrectionV5 = Type.Object({
  company: Company,
  client: Opt(ClientV5),
  correction_info: CorrectionInfoV5,
  items: Type.Array(ItemV5, { minItems: 1, maxItems: 100 }),
  payments: Payments,
  vats: Opt(Vats),
  total: Money(SUM_MAX, 'tag 1020'),
  ...commonReceipt,
  ...receiptExtrasV5,
});

const envelope = {
  timestamp: Text({ maxLength: 19, description: 'the document\'s time, dd.mm.yyyy HH:MM:SS' }),
  external_id: Text({ minLength: 1, maxLength: 128, description: 'the client\'s id of the document, unique per group code: a resend answers with the first uuid' }),
  service: Opt(Type.Object({ callback_url: OptText({ maxLength: 256, description: 'where the report is POSTed when final (ATOL\'s mask; else warnings.callback_url)' }) })),
  ism_optional: Opt(Type.Boolean({ description: 'accepted; the group\'s marking policy decides what a failed marking check does' })),
};

export const ReceiptRequestV4 = Type.Object({ ...envelope, receipt: ReceiptV4 }, { description: 'ATOL Online v4 sell, sell_refund, buy, buy_refund' });
export const ReceiptRequestV5 = Type.Object({ ...envelope, receipt: ReceiptV5 }, { description: 'ATOL Online v5 sell, sell_refund, buy, buy_refund' });
export const CorrectionRequestV4 = Type.Object({ ...envelope, correction: CorrectionV4 }, { description: 'ATOL Online v4 sell_correction, buy_correction' });
export const CorrectionRequestV5 = Type.Object({ ...envelope, correction: CorrectionV5 }, { description: 'ATOL Online v5 corrections' });

export type ReceiptRequestV4Body = Static<typeof ReceiptRequestV4>;
export type ReceiptRequestV5Body = Static<typeof ReceiptRequestV5>;
export type CorrectionRequestV4Body = Static<typeof CorrectionRequestV4>;
export type CorrectionRequestV5Body = Static<typeof CorrectionRequestV5>;
export type AtolItemV4 = Static<typeof ItemV4>;
export type AtolItemV5 = Static<typeof ItemV5>;
export type AtolAgentInfo = Static<typeof AgentInfo>;
export type AtolClientV5 = Static<typeof ClientV5>;
export type AtolCompany = Static<typeof Company>;
export type AtolVat = Static<typeof Vat>;
export type AtolSectoralProps = Static<typeof SectoralProps>;

/** The body schema of an operation: the receipt root for sales and purchases, the correction root for corrections. */
export function requestSchema(version: AtolVersion, correction: boolean): TSchema {
  if (version === 'v4') return correction ? CorrectionRequestV4 : ReceiptRequestV4;
  return correction ? CorrectionRequestV5 : ReceiptRequestV5;
}

export const GetTokenBody = Type.Object({
  login: Text({ minLength: 1, maxLength: 100, pattern: '^[^\\s]+$' }),
  pass: Text({ minLength: 1, maxLength: 256 }),
  source: OptText({ maxLength: 100 }),
}, { description: 'The login and password of a cr-server user' });
export const GetTokenQuery = GetTokenBody;
export type GetTokenInput = Static<typeof GetTokenBody>;

/** ?token= (or the legacy ?tokenid=) when the client cannot send the Token header. */
export const TokenQuery = Type.Object({
  token: Type.Optional(Text({ maxLength: 1000 })),
  tokenid: Type.Optional(Text({ maxLength: 1000 })),
});
export const GroupParams = Type.Object({ group_code: Text({ minLength: 1, maxLength: 100 }) });
export const OperationParams = Type.Object({ group_code: Text({ minLength: 1, maxLength: 100 }), operation: Text({ minLength: 1, maxLength: 64 }) });
export const ReportParams = Type.Object({ group_code: Text({ minLength: 1, maxLength: 100 }), uuid: Text({ minLength: 1, maxLength: 128 }) });

const ErrorObject = Type.Object({
  error_id: Type.String(), code: Type.Integer(), text: Type.String(),
  type: Type.String({ enum: ['system', 'unknown', 'driver', 'timeout', 'agent'] }),
});
const NullableError = Type.Union([ErrorObject, Type.Null()]);

export const TokenResponse = Type.Object({ token: Type.Optional(Type.String()), error: NullableError, timestamp: Type.String() });
export const RegistrationResponse = Type.Object({
  uuid: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ enum: ['wait', 'done', 'fail'] })),
  error: NullableError,
  timestamp: Type.String(),
});
export const ReportResponse = Type.Object({
  uuid: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ enum: ['wait', 'done', 'fail'] })),
  error: NullableError,
  payload: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
  timestamp: Type.String(),
  group_code: Type.Optional(Type.String()),
  daemon_code: Type.Optional(Type.String()),
  device_code: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  external_id: Type.Optional(Type.String()),
  callback_url: Type.Optional(Type.String()),
  warnings: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
});
