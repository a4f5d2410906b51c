import type { Generated } from 'kysely';

/**
 * Table types shared by both dialects. Timestamps are integer milliseconds since the epoch and
 * booleans are 0/1 integers, so SQLite and PostgreSQL return the same JavaScript values
 * (pg's int8 parser is set to Number per pool in db.ts). JSON columns are text, parsed once by the
 * repository that reads them, which hands out typed records.
 */
export interface Database {
  users: UsersTable;
  service_groups: ServiceGroupsTable;
  devices: DevicesTable;
  group_access: GroupAccessTable;
  receipts: ReceiptsTable;
  device_jobs: DeviceJobsTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  orphan_documents: OrphanDocumentsTable;
  login_trust: LoginTrustTable;
  // Completion callbacks (migration 007).
  callback_deliveries: CallbackDeliveriesTable;
  callback_attempts: CallbackAttemptsTable;
  // The ATOL Online-compatible API (migration 008).
  atol_tokens: AtolTokensTable;
  atol_receipts: AtolReceiptsTable;
  // Nodes driving registers, for the fair share of leases (migration 009).
  nodes: NodesTable;
}

export interface NodesTable {
  id: string;
  /** Database clock (ms) until which the node counts as alive; renewed at every reconcile pass. */
  seen_until: number;
}

export interface UsersTable {
  id: Generated<number>;
  login: string;
  name: string;
  password_hash: string;
  is_active: number;
  is_superuser: number;
  /** Bumped on every password or status change: invalidates cached Basic-auth verifications. */
  credentials_version: number;
  /** HMAC key signing this user's callbacks (migration 007); made on first need. Never in a UserRecord. */
  callback_secret: string | null;
  /** The key before the last rotation: it signs too until 24 h after callback_secret_rotated_at. */
  callback_secret_previous: string | null;
  callback_secret_rotated_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ServiceGroupsTable {
  id: Generated<number>;
  name: string;
  enabled: number;
  /** The admin's «Пуск»/«Стоп»: whether the group's device should be driven. */
  running: number;
  /** 1055 value used when a receipt omits `tax_system`. */
  default_tax_system: number | null;
  /** 1199 value used when an item omits its VAT. */
  default_vat: number | null;
  auto_open_shift: number;
  /** Close the shift after this many minutes (≤ 1440, the 24 h FN limit). */
  shift_duration_min: number;
  /** Optional daily close time "HH:MM" in the device's time zone. */
  daily_close_time: string | null;
  /**
   * What a marking check's answer does to the receipt: a MarkingPolicy of src/domain/ffd12.ts
   * (migration 006; existing groups got 'offline_allowed'). Read through toGroupRecord, which
   * narrows it.
   */
  marking_policy: Generated<string>;
  /** The ATOL Online «код группы ККТ» (migration 008), unique when set; null: not reachable through /possystem. */
  group_code: string | null;
  /** JSON PoolPolicy (migration 009): the group's health thresholds; null: the defaults. */
  pool_policy: string | null;
  /** Where the group's register events (an FN forecast warning) are POSTed (migration 010); null: none. */
  events_url: string | null;
  /** The superuser who last set events_url: the events are signed with that user's callback secret. */
  events_user_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface DevicesTable {
  id: Generated<number>;
  group_id: number;
  /** The driver's id in the registry (`emulator`, `atol`, `shtrih`); column `model` before migration 004. */
  driver: string;
  /** JSON, validated against the driver's config schema. */
  config: string;
  /** 'stopped' | 'running' | 'error' */
  state: string;
  state_reason: string | null;
  /** JSON RegistrationInfo read from the device. */
  registration: string | null;
  /** JSON DeviceStatus last read from the device. */
  status: string | null;
  status_at: number | null;
  /** Node that drives the device (scale-out lease). */
  lease_owner: string | null;
  lease_until: number | null;
  /** Fencing token: increases at every change of the lease's owner (migration 003). */
  lease_epoch: Generated<number>;
  /** The FN journal has been checked for ownerless receipt documents up to this FD number. */
  reconciled_fd: number | null;
  /** A RegisterService of src/domain/pool.ts (migration 009): active, maintenance («обслуживание»: drained) or retired. */
  service: Generated<string>;
  /** A HealthLevel of src/domain/pool.ts as the register's worker last judged it; null: not yet. */
  health_level: string | null;
  /** JSON Health (level, reasons, forecast, at): why. */
  health: string | null;
  created_at: number;
  updated_at: number;
}

export interface GroupAccessTable {
  group_id: number;
  user_id: number;
}

export interface ReceiptsTable {
  id: Generated<number>;
  group_id: number;
  user_id: number;
  device_id: number | null;
  /** pending | processing | success | failed | in_doubt */
  state: string;
  attempts: number;
  /** JSON {code, message, device_code?, retryable} */
  error: string | null;
  idempotency_key: string | null;
  /** sha256 of the canonical request body, for idempotency comparisons. */
  request_hash: string;
  /** JSON FiscalReceipt (normalized). */
  request: string;
  order_id: string | null;
  receipt_type: number;
  total: number;
  /** The device's last FD number recorded right before the register call (in-doubt protocol). */
  fd_before: number | null;
  fd_number: number | null;
  /** JSON FiscalResult. */
  fiscal: string | null;
  created_at: number;
  updated_at: number;
  fiscalized_at: number | null;
  /** The device lease epoch under which the receipt was last claimed (fencing). */
  claim_epoch: number | null;
  /** Where the receipt's outcome is POSTed (migration 007); null: no callback. */
  callback_url: string | null;
}

export interface DeviceJobsTable {
  id: Generated<number>;
  group_id: number;
  user_id: number | null;
  /** The register the operation is for (migration 009). */
  device_id: number | null;
  /** open_shift | close_shift | x_report | document | documents */
  kind: string;
  /** JSON parameters of the operation (document numbers for reads). */
  params: string | null;
  /** pending | processing | success | failed */
  state: string;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** sha256 of the session token; the token itself lives only in the cookie. */
  id: string;
  user_id: number;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  expires_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  user_id: number | null;
  login: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  details: string | null;
}

/** A receipt document in an FN journal that no receipt owns (found by the reconciliation pass). */
export interface OrphanDocumentsTable {
  id: Generated<number>;
  device_id: number;
  group_id: number;
  fd_number: number;
  /** receipt | correction */
  kind: string;
  /** 1020, kopecks */
  total: number | null;
  /** 1012 as the document carries it */
  document_at: string | null;
  fiscal_sign: string | null;
  found_at: number;
  /** Node id of the worker that found it. */
  found_by: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

/** A (user, address) pair that logged in successfully: its failures alone count against it. */
export interface LoginTrustTable {
  user_id: number;
  ip: string;
  /** Trust ends when the user's credentials change. */
  credentials_version: number;
  expires_at: number;
}

/**
 * The callbacks outbox (migration 007): one row per notification of a receipt's final state (or a
 * resend), written in the transaction of that state, or of a register event of a group (migration
 * 010), written in the transaction of the register's health that records it. Times are the
 * database's clock.
 */
export interface CallbackDeliveriesTable {
  id: Generated<number>;
  /** UUID, the same on every attempt of this delivery (receivers deduplicate by it). */
  event_id: string;
  /** The receipt whose outcome this is; null for a register event of the group (migration 010). */
  receipt_id: number | null;
  group_id: number;
  user_id: number;
  url: string;
  /** receipt.success | receipt.failed | register.fn_warning */
  event: string;
  /** outcome (written with the receipt's final state) | resend (asked for by a user) | event (a register event, migration 010) */
  kind: string;
  /** pending | delivered | failed */
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  /** The node sending the current attempt, its claim's token, and until when the claim holds. */
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: number | null;
  /** A register event's body (JSON), fixed when the event happened; null for receipt deliveries (rendered from the receipt). */
  payload: string | null;
}

export interface CallbackAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  at: number;
  /** The receiver's HTTP status; null when no answer came. */
  status: number | null;
  latency_ms: number;
  /** Why the attempt failed without an HTTP answer (destination_not_allowed, timeout, …); null otherwise. */
  error: string | null;
  /** The node that sent it. */
  node: string;
}

/** A token of the ATOL Online API's getToken (migration 008): valid 24 h, on every node. */
export interface AtolTokensTable {
  /** sha256 (hex) of the token; the token itself is only in the client's hands. */
  token_hash: string;
  user_id: number;
  /** The user's credentials_version at issue: a password or status change ends the token. */
  credentials_version: number;
  created_at: number;
  expires_at: number;
}

/** The ATOL Online document of a native receipt (migration 008). */
export interface AtolReceiptsTable {
  /** The document's id in the ATOL API (`uuid` of the registration and report replies). */
  uuid: string;
  receipt_id: number;
  group_id: number;
  /** The group code the document was sent to (echoed in reports even if the group's code changes). */
  group_code: string;
  /** The client's id of the document, unique per group (ATOL's idempotency key). */
  external_id: string;
  /** 'v4' | 'v5' */
  version: string;
  /** sell | sell_refund | buy | buy_refund | sell_correction | buy_correction | sell_refund_correction | buy_refund_correction */
  operation: string;
  /** The request's `timestamp` as the client sent it (dd.mm.yyyy HH:MM:SS). */
  client_timestamp: string;
  /** `service.callback_url` as sent (echoed in reports); null when none. */
  callback_url: string | null;
  /** Why the callback URL is not called (ATOL's `warnings.callback_url`); null when it is, or there is none. */
  callback_warning: string | null;
  /** JSON (string | null)[]: each v5 item's mark_code value as sent (null: unmarked); null when none. */
  mark_codes: string | null;
  created_at: number;
}
