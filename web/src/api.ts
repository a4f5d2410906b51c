/** The admin JSON API client: session cookie + X-CSRF-Token on every state-changing call. */

export interface FieldError {
  field?: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: FieldError[],
  ) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
  }
  /** The first error naming this field (e.g. `login`, `config.company_inn`). */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

let csrf = '';
let onUnauthorized: () => void = () => undefined;

export function setCsrf(token: string): void {
  csrf = token;
}
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const lang = localStorage.getItem('cr-lang') ?? 'ru';
  headers['accept-language'] = lang;
  const res = await fetch(`/admin/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const errors = (data as { errors?: FieldError[] } | null)?.errors ?? [{ code: 'http_error', message: `HTTP ${res.status}` }];
    if (res.status === 401 && path !== '/session') onUnauthorized();
    throw new ApiError(res.status, errors);
  }
  return data as T;
}

export interface User {
  id: number;
  login: string;
  name: string;
  is_active: boolean;
  is_superuser: boolean;
  created_at: string;
  updated_at: string;
  receipts?: number;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
  features: { print_view: boolean };
}

export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export interface Driver {
  model: string;
  title: { ru: string; en: string };
  device_models: string[];
  config_schema: JsonSchema;
  defaults: Record<string, unknown>;
}

export interface DeviceView {
  id: number;
  model: string;
  state: string;
  state_reason: string | null;
  online: boolean;
  status_at: string | null;
  registration: null | {
    registration_number: string;
    registrator_serial: string;
    fn_serial: string;
    ffd_version: string;
    company_name: string;
    company_inn: string;
    ofd_name: string;
    ofd_inn: string;
    operations_address: string;
    operations_place: string;
    tax_systems: number;
    model: string;
  };
  shift: null | { state: string; number: number; opened_at: string | null; expires_at: string | null; age_seconds: number | null; receipts_in_shift: number };
  last_fd_number: number | null;
  fn: null | { serial: string; ffd_version: string; phase: string; expires_at: string | null; memory_used: number | null };
  ofd: null | { unsent_count: number; oldest_unsent_at: string | null };
  paper_present: boolean | null;
  warnings: string[];
  /** The scale-out lease (admin view only): the node driving the device, its fencing epoch, until when. */
  lease_owner?: string | null;
  lease_epoch?: number;
  lease_until?: string | null;
}

export interface Group {
  id: number;
  name: string;
  enabled: boolean;
  running: boolean;
  device_model: string | null;
  state: 'running' | 'stopped' | 'disabled' | 'error';
  state_reason: string | null;
  settings: { default_tax_system: number | null; default_vat: number | null; auto_open_shift: boolean; shift_duration: number; daily_close_time: string | null };
  queue_length: number;
  last_receipt_at: string | null;
  /** Unacknowledged fiscal documents in the FN that no receipt owns. */
  orphan_documents: number;
  device: DeviceView | null;
  driver: string | null;
  driver_title: { ru: string; en: string } | null;
  device_model_name: string | null;
  config: Record<string, unknown>;
  access: number[];
  /** A virtual register driven by this node: the fault simulation panel applies. */
  faults_available: boolean;
}

export interface Receipt {
  id: number;
  order_id: string | number | null;
  user_id: number;
  service_id: number;
  state: 'pending' | 'processing' | 'success' | 'failed' | 'in_doubt';
  error: { code: string; message: string; device_code?: string | null; retryable?: boolean } | null;
  receiptType: number;
  tax_system: number;
  email: string | null;
  phone_number: string | null;
  fiscal_sign: string | null;
  receipt_num: number | null;
  shift_num: number | null;
  receipt_in_shift_num: number | null;
  registration_datetime: string | null;
  payments_total: string;
  commodities_total_cost: string;
  commodities: { name: string; quantity: string; price: string; total: string; commodity_type_int: number; payment_state_int: number; tax_type: string }[];
  payments: { payment_sum: string; payment_type_int: number }[];
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface Overview {
  days: string[];
  groups: { id: number; name: string; state: string; counts: number[]; sums: number[]; by_state: Record<string, number> }[];
  attention: { group_id: number; group_name: string; severity: 'error' | 'warning'; code: string; message: string; count?: number }[];
}

export interface AuditEntry {
  id: number;
  at: string;
  user_id: number | null;
  login: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  details: string | null;
}

export interface FiscalDocument {
  fd_number: number;
  kind: string;
  date_time: string;
  fiscal_sign: string;
  shift_number: number;
  operation_type: number | null;
  total_sum: string | null;
  json: Record<string, unknown>;
}

export interface DocumentsPage {
  items: FiscalDocument[];
  next_before: number | null;
  last_fd_number: number;
}

export type FaultKind = 'offline' | 'lose_answer_after_close' | 'disconnect_before_close' | 'paper_out' | 'slow' | 'fn_full' | 'fn_expired';

export interface ActiveFaults {
  active: { kind: FaultKind; delay_ms: number | null; remaining: number | null }[];
}

/** A fiscal document found in an FN journal that no receipt owns (GET /orphan-documents). */
export interface OrphanDocument {
  id: number;
  group_id: number;
  group_name: string;
  device_id: number;
  fd_number: number;
  kind: string;
  /** Roubles. */
  total_sum: string | null;
  document_at: string | null;
  fiscal_sign: string | null;
  found_at: string;
  found_by: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface OrphanList {
  items: OrphanDocument[];
  /** Unacknowledged ones (of the filtered group), whatever the other filters say. */
  open_count: number;
}
