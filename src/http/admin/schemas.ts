import { Type } from 'typebox';
import { MARKING_POLICIES } from '../../domain/ffd12.js';
import { POOL_POLICY_KEYS } from '../../domain/pool.js';
import { NullableText, ReceiptListResponse, ReceiptResponse, Text, TEXT_GUARD } from '../schemas.js';

/**
 * TypeBox schemas of the admin API: validation, serialization and the OpenAPI document (/docs).
 * Request strings use Text / NullableText (the text rule of src/http/schemas.ts), never Type.String.
 */
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const IdParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,15}$' }) });
export const GroupReceiptParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,15}$' }), receipt_id: Type.String({ pattern: '^\\d{1,15}$' }) });
export const GroupDeliveryParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,15}$' }), delivery_id: Type.String({ pattern: '^\\d{1,15}$' }) });

export const LoginBody = Type.Object({
  login: Text({ minLength: 1, maxLength: 64 }),
  password: Text({ minLength: 1, maxLength: 256 }),
});

export const User = Type.Object({
  id: Type.Integer(),
  login: Type.String(),
  name: Type.String(),
  is_active: Type.Boolean(),
  is_superuser: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export const UserWithCounts = Type.Object({ ...User.properties, receipts: Type.Integer({ description: 'Receipts registered by the user' }) });

export const SessionInfo = Type.Object({
  user: User,
  csrf_token: Type.String({ description: 'Send back in the X-CSRF-Token header on every state-changing call' }),
  expires_at: Type.String(),
});
/** GET /session: the session, or `{ "user": null }` when there is no valid one (not a 401: the login page probes it). */
export const SessionProbe = Type.Union([SessionInfo, Type.Object({ user: Type.Null() })]);

export const UserCreateBody = Type.Object({
  login: Text({ minLength: 1, maxLength: 64, description: 'Latin letters, digits and . _ @ + -' }),
  name: Text({ maxLength: 128 }),
  password: Text({ minLength: 1, maxLength: 256 }),
  is_active: Type.Boolean({ default: true }),
  is_superuser: Type.Boolean({ default: false }),
});
export const UserPatchBody = Type.Object({
  name: Type.Optional(Text({ maxLength: 128 })),
  is_active: Type.Optional(Type.Boolean()),
  is_superuser: Type.Optional(Type.Boolean()),
});
export const PasswordBody = Type.Object({ password: Text({ minLength: 1, maxLength: 256 }) });

const groupFields = {
  name: Text({ minLength: 1, maxLength: 128 }),
  driver: Text({ minLength: 1, maxLength: 64, description: 'Driver model from GET /admin/api/drivers' }),
  // Any setting the driver's schema allows, each under the text rule (the schemas are flat).
  config: Type.Object({}, { additionalProperties: Type.Unknown({ not: TEXT_GUARD }), description: "Device settings, validated against the driver's config_schema" }),
  default_tax_system: Nullable(Type.Integer({ description: 'Tag 1055 used when a receipt omits tax_system: 1 OSN, 2 USN income, 4 USN income−expense, 8 ENVD, 16 ESHN, 32 patent' })),
  default_vat: Nullable(Type.Integer({ description: 'Tag 1199 code used when an item omits its VAT' })),
  auto_open_shift: Type.Boolean(),
  shift_duration: Type.Integer({ minimum: 1, maximum: 1440, description: 'Minutes before the worker closes the shift (≤ 24 h)' }),
  daily_close_time: NullableText({ maxLength: 5, description: 'HH:MM, device local time' }),
  // An enum, not a union of literals: ajv reports one error (`invalid_value` on marking_policy).
  marking_policy: Type.Enum([...MARKING_POLICIES], {
    description: 'What a marking check\'s answer does (FFD 1.2, tags 2106/2107): strict refuses a negative answer and an unreachable marking operator; offline_allowed (the default) refuses a negative answer and sells in autonomous mode when the operator cannot be reached; record_only sells whatever the answer and records it',
  }),
  enabled: Type.Boolean(),
  group_code: NullableText({ maxLength: 64, description: 'ATOL Online «код группы ККТ» (docs/atol-online.md): 1–64 Latin letters, digits and _ . -, unique; empty or null: the group is not reachable through /possystem' }),
  // The pool's health thresholds (docs/pools.md); the service names the field of a value out of range.
  pool_policy: Type.Object(
    Object.fromEntries(POOL_POLICY_KEYS.map((k) => [k, Type.Optional(Type.Integer())])),
    { additionalProperties: false, description: 'Health thresholds of the register pool: fn_expiry_days, fn_fill_percent, ofd_backlog_days, shift_margin_min, warn_days' },
  ),
  // The group's register events (docs/api.md "Register events"); the service checks it as a receipt's callback_url.
  events_url: NullableText({
    maxLength: 2048,
    description: 'http(s) URL the group\'s register events (register.fn_warning) are POSTed to, signed with the callback secret of the superuser who set it; the rules of a receipt\'s callback_url (CR_CALLBACK_ALLOW); empty or null: none',
  }),
};
export const GroupCreateBody = Type.Object({ ...groupFields, marking_policy: Type.Optional(groupFields.marking_policy), enabled: Type.Optional(groupFields.enabled), group_code: Type.Optional(groupFields.group_code), pool_policy: Type.Optional(groupFields.pool_policy), events_url: Type.Optional(groupFields.events_url) });
/** A register joining a pool: its driver and settings, as a group's. */
export const RegisterBody = Type.Object({ driver: groupFields.driver, config: groupFields.config });
export const RegisterPatchBody = Type.Object({
  driver: Type.Optional(groupFields.driver),
  config: Type.Optional(groupFields.config),
  service: Type.Optional(Type.Enum(['active', 'maintenance'], { description: 'active: takes receipts; maintenance («обслуживание»): no new receipts, drained (FN replacement, re-registration)' })),
});
export const RegisterParams = Type.Object({ id: Type.String({ pattern: '^\\d{1,15}$' }), register_id: Type.String({ pattern: '^\\d{1,15}$' }) });
export const GroupPatchBody = Type.Partial(Type.Object(groupFields));
export const AccessBody = Type.Object({ user_ids: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 10_000 }) });
export const AccessResponse = Type.Object({ user_ids: Type.Array(Type.Integer()) });

export const AnyObject = Type.Object({}, { additionalProperties: true });

export const Driver = Type.Object({
  model: Type.String(),
  title: Type.Object({ ru: Type.String(), en: Type.String() }),
  device_models: Type.Array(Type.String()),
  /** What its registers can do beyond the common operations (the dashboard offers the buttons by it). */
  capabilities: Type.Object({
    close_archive: Type.Boolean({ description: 'Closes the FN archive (POST …/registers/{register_id}/close-archive)' }),
  }),
  config_schema: AnyObject,
  defaults: AnyObject,
});

export const OverviewQuery = Type.Object({
  days: Type.Optional(Text({ pattern: '^([1-9]|[1-8]\\d|90)$', description: '1..90, default 14' })),
  tz_offset: Type.Optional(Text({ pattern: '^-?\\d{1,4}$', description: 'Minutes east of UTC for day boundaries (default: the server’s)' })),
});

export const AuditQuery = Type.Object({
  limit: Type.Optional(Text({ pattern: '^([1-9]|[1-9]\\d|1\\d\\d|200)$' })),
  before: Type.Optional(Text({ pattern: '^\\d{1,15}$' })),
});
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  user_id: Nullable(Type.Integer()),
  login: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  action: Type.String(),
  target: Nullable(Type.String()),
  details: Nullable(Type.String()),
  actor_login: Nullable(Type.String({ description: 'The current login of user_id (null: no user, or the user was deleted); `login` is the one written at the time' })),
});

export const DocumentsQuery = Type.Object({
  register_id: Type.Optional(Text({ pattern: '^\\d{1,15}$', description: 'A register of the pool (default: the first)' })),
  before: Type.Optional(Text({ pattern: '^\\d{1,10}$', description: 'Documents numbered below this FD number' })),
  limit: Type.Optional(Text({ pattern: '^([1-9]|[1-9]\\d|100)$', description: '1..100, default 50' })),
});
export const FiscalDocumentItem = Type.Object({
  fd_number: Type.Integer({ description: 'Tag 1040' }),
  kind: Type.String({ description: 'registration, openShift, receipt, correction, closeShift, stateReport' }),
  date_time: Type.String(),
  fiscal_sign: Type.String({ description: 'Tag 1077' }),
  shift_number: Type.Integer(),
  operation_type: Nullable(Type.Integer({ description: 'Tag 1054, receipts and corrections' })),
  total_sum: Nullable(Type.String({ description: 'Tag 1020, roubles' })),
  json: Type.Object({}, { additionalProperties: true, description: 'The document in the FNS/OFD JSON form' }),
});
export const DocumentsResponse = Type.Object({
  items: Type.Array(FiscalDocumentItem),
  next_before: Nullable(Type.Integer({ description: 'Pass as `before` for the next (older) page; null on the last page' })),
  last_fd_number: Type.Integer(),
});

export { FaultBody } from '../schemas.js';
export const FaultsResponse = Type.Object({
  active: Type.Array(Type.Object({ kind: Type.String(), delay_ms: Nullable(Type.Integer()), remaining: Nullable(Type.Integer()) })),
});

/** The dashboard's receipt: the API resource plus the login of the API user who sent it. */
export const AdminReceipt = Type.Object({ ...ReceiptResponse.properties, user_login: Nullable(Type.String({ description: 'Login of the API user who sent the receipt' })) });
export const AdminReceiptList = Type.Object({ items: Type.Array(AdminReceipt), next_cursor: ReceiptListResponse.properties.next_cursor });
