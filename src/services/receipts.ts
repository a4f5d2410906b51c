import { createHash } from 'node:crypto';
import { DomainError, notFound } from '../domain/errors.js';
import { validateReceipt } from '../domain/validate-receipt.js';
import type { ReceiptInput } from '../domain/receipt-input.js';
import { parseQueryDate } from '../domain/dates.js';
import { RECEIPT_STATES, type ReceiptState } from '../domain/enums.js';
import type { StoredRequest } from '../domain/records.js';
import type { GroupForReceipts, GroupRepository } from '../storage/groups.js';
import type { ReceiptRecord, ReceiptRepository } from '../storage/receipts.js';
import type { CallbackRepository } from '../storage/callbacks.js';
import { checkCallbackUrl, createDestinationPolicy, type DestinationPolicy } from '../callbacks/destination.js';
import type { UserRepository } from '../storage/users.js';
import { callerId, requireGroupAccess, requireGroupForReceipts } from './access.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Auditor } from './auditor.js';

/** The group and device a receipt goes to, once the caller's access was checked. */
export type ReceiptTarget = Omit<GroupForReceipts, 'allowed'>;

export interface ReceiptListQuery {
  date_start?: string;
  date_end?: string;
  order_id?: string;
  state?: string;
  limit?: number;
  cursor?: string;
}

/** One page size policy for every receipt list (API and dashboard): 100 by default, at most 500 (ListQuery). */
export const RECEIPT_PAGE_DEFAULT = 100;

export interface ReceiptServiceDeps {
  groups: GroupRepository;
  receipts: ReceiptRepository;
  users: Pick<UserRepository, 'loginsOf'>;
  audit: Auditor;
  /** Base of `location` links (a function: with port 0 it is known only after listening). */
  publicUrl: () => string;
  now: () => number;
  /** Wakes the group's worker after a receipt was queued. */
  notify: (groupId: number) => void;
  /**
   * Throws (503) when the server cannot keep a receipt — data directory gone, disk full — checked
   * before every insert; synchronous on the hot path (StorageHealth.assertWritable).
   */
  canStore?: () => void | Promise<void>;
  /** A receipt was newly queued (not a replay): metrics. */
  onAccepted?: (groupId: number) => void;
  /**
   * Completion callbacks: the destination policy `callback_url` is checked against (CR_CALLBACK_ALLOW),
   * and the outbox, whose latest delivery per receipt is the view's `callback`. Absent: URLs are
   * checked against public addresses only and no delivery is shown.
   */
  callbacks?: { policy: DestinationPolicy; deliveries: Pick<CallbackRepository, 'latestFor'> };
}

/** The POST body: the receipt plus where to send its outcome. */
export type ReceiptRequest = ReceiptInput & { callback_url?: string | null };

const todayLocal = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export function createReceiptService(deps: ReceiptServiceDeps) {
  const location = (groupId: number, id: number) => `${deps.publicUrl()}/service_groups/${groupId}/receipts/${id}`;
  const callbackPolicy = deps.callbacks?.policy ?? createDestinationPolicy([]);

  /** Records with their latest callback delivery attached (one query for the page), for the view's `callback`. */
  async function withDeliveries(records: ReceiptRecord[]): Promise<ReceiptRecord[]> {
    const ids = records.filter((r) => r.callback_url !== null).map((r) => r.id);
    if (ids.length === 0 || !deps.callbacks) return records;
    const latest = await deps.callbacks.deliveries.latestFor(ids);
    return records.map((r) => (r.callback_url === null ? r : { ...r, delivery: latest.get(r.id) ?? null }));
  }
  const withDelivery = async (record: ReceiptRecord): Promise<ReceiptRecord> => (await withDeliveries([record]))[0] ?? record;

  const missing = (groupId: number, receiptId: number) => notFound('receipt_not_found', `Receipt ${receiptId} does not exist in service group ${groupId}`);

  async function get(actor: Actor, groupId: number, receiptId: number): Promise<ReceiptRecord> {
    const row = await deps.receipts.getVisible(groupId, receiptId, callerId(actor));
    if (row) return withDelivery(row);
    await requireGroupAccess(deps.groups, actor, groupId);
    throw missing(groupId, receiptId);
  }

  async function transition(actor: Actor, groupId: number, receiptId: number, action: 'retry' | 'cancel'): Promise<ReceiptRecord> {
    requireSuperuser(actor);
    await requireGroupAccess(deps.groups, actor, groupId);
    const before = await deps.receipts.get(groupId, receiptId);
    if (!before) throw missing(groupId, receiptId);
    const done = action === 'retry'
      ? await deps.receipts.retry(groupId, receiptId, deps.now())
      : await deps.receipts.cancel(groupId, receiptId, { code: 'canceled', message: `Canceled by ${actor.login}; nothing was fiscalized`, retryable: false }, deps.now());
    if (!done) {
      const state = (await deps.receipts.get(groupId, receiptId))?.state ?? before.state;
      throw new DomainError('conflict', action === 'retry'
        ? { code: 'receipt_not_failed', message: `Only a failed receipt can be retried; this one is ${state}` }
        : { code: 'receipt_not_pending', message: `Only a pending receipt can be canceled; this one is ${state}` });
    }
    await deps.audit.write(actor, `receipt.${action}`, `receipt:${receiptId}`, { service_group: groupId, previous_state: before.state });
    if (action === 'retry') deps.notify(groupId);
    const after = await deps.receipts.get(groupId, receiptId);
    if (!after) throw missing(groupId, receiptId);
    return withDelivery(after);
  }

  return {
    /** The group and device a receipt of this actor goes to: 404/403 first, reused for up to a second (access.ts). */
    target(actor: Actor, groupId: number): Promise<ReceiptTarget> {
      return requireGroupForReceipts(deps.groups, actor, groupId);
    },

    /**
     * Validates and durably queues a receipt. The 200 answer means "stored and queued", never
     * "fiscalized": the client reads `location` until the state is final.
     */
    async register(actor: Actor, target: ReceiptTarget, input: ReceiptRequest, idempotencyKey: string | null) {
      const { group, device } = target;
      if (!group.enabled) {
        throw new DomainError('unavailable', { code: 'service_group_disabled', message: 'The service group is disabled' });
      }
      if (!group.running) {
        throw new DomainError('unavailable', { code: 'service_group_stopped', message: 'The service group is stopped; start it in the dashboard' });
      }
      const reg = device?.registration ?? null;
      // callback_url is checked with the receipt's fields, and its error reported with theirs.
      const callback = input.callback_url === undefined || input.callback_url === null ? null : checkCallbackUrl(input.callback_url, callbackPolicy);
      const callbackError = callback !== null && 'error' in callback ? callback.error : null;
      let receipt;
      try {
        receipt = validateReceipt(input, {
          defaultTaxSystem: group.default_tax_system,
          defaultVat: group.default_vat,
          ffdVersion: reg?.ffdVersion ?? null,
          registeredTaxSystems: reg?.taxSystems ?? null,
          cashierRequired: reg?.automaticMode === false,
          today: todayLocal(deps.now()),
        });
      } catch (e) {
        // A malformed field (400) comes before a fiscal impossibility (422), as everywhere.
        if (callbackError) throw e instanceof DomainError && e.kind === 'invalid' ? new DomainError('invalid', [...e.errors, ...callbackError.errors]) : callbackError;
        throw e;
      }
      if (callbackError) throw callbackError;
      const callbackUrl = callback !== null && 'url' in callback ? callback.url : null;
      const stored: StoredRequest = { ...receipt, orderId: input.order_id ?? null };
      // The callback URL is part of the request an Idempotency-Key stands for; hashed only when
      // present, so the hash of a receipt without one is what it always was.
      const requestText = JSON.stringify(stored);
      const requestHash = createHash('sha256').update(callbackUrl === null ? requestText : JSON.stringify({ ...stored, callbackUrl })).digest('hex');
      const storable = deps.canStore?.();
      if (storable) await storable;
      const outcome = await deps.receipts.insert(
        {
          groupId: group.id,
          userId: actor.id,
          deviceId: device?.id ?? null,
          idempotencyKey,
          requestHash,
          request: stored,
          requestText,
          orderId: stored.orderId === null ? null : String(stored.orderId),
          receiptType: receipt.receiptType,
          total: receipt.total,
          callbackUrl,
        },
        deps.now(),
      );
      if (outcome.kind === 'conflict') {
        throw new DomainError('conflict', {
          code: 'idempotency_key_reused',
          message: 'This Idempotency-Key was already used with a different request body',
        });
      }
      if (outcome.kind === 'created') {
        deps.notify(group.id);
        deps.onAccepted?.(group.id);
      }
      return { id: String(outcome.row.id), location: location(group.id, outcome.row.id), replayed: outcome.kind === 'replay' };
    },

    /**
     * Whether the actor may read the group's receipts, without reading a receipt: what a cached
     * body of a fiscalized receipt needs (http/views/body-cache.ts). False sends the caller down
     * `get`, which answers the precise 404/403.
     */
    async mayRead(actor: Actor, groupId: number): Promise<boolean> {
      return actor.isSuperuser || (await deps.groups.hasAccess(groupId, actor.id));
    },

    /**
     * A receipt read with its access check in one statement. Errors as on every group route: 404
     * for a missing group, 403 for a forbidden one, then 404 for a missing receipt.
     */
    get,

    /** The logins of the API users who sent these receipts (the dashboard shows who sent each). */
    loginsOf(records: readonly ReceiptRecord[]): Promise<Map<number, string>> {
      return deps.users.loginsOf(records.map((r) => r.user_id));
    },

    /** A fiscalized receipt, for its paper form: 409 receipt_not_fiscalized otherwise. */
    async printable(actor: Actor, groupId: number, receiptId: number): Promise<ReceiptRecord> {
      const row = await get(actor, groupId, receiptId);
      if (row.state !== 'success') {
        throw new DomainError('conflict', { code: 'receipt_not_fiscalized', message: `The receipt is ${row.state}: there is no fiscal document to print` });
      }
      return row;
    },

    /**
     * A failed receipt back to the queue (superuser, audited). The same conditional update the
     * worker's writes are, so it never races the device: 409 receipt_not_failed naming the state
     * the receipt is in now (read again after the refused update, not the one read before it).
     */
    retry(actor: Actor, groupId: number, receiptId: number): Promise<ReceiptRecord> {
      return transition(actor, groupId, receiptId, 'retry');
    },

    /** A pending receipt (not yet claimed by the worker) becomes failed with code "canceled" (superuser, audited); 409 receipt_not_pending otherwise. */
    cancel(actor: Actor, groupId: number, receiptId: number): Promise<ReceiptRecord> {
      return transition(actor, groupId, receiptId, 'cancel');
    },

    async list(actor: Actor, groupId: number, q: ReceiptListQuery): Promise<{ items: ReceiptRecord[]; next_cursor: string | null }> {
      await requireGroupAccess(deps.groups, actor, groupId);
      const errors: FieldErrors = [];
      const period = periodFilter(q, errors);
      let beforeId: number | null = null;
      if (q.cursor !== undefined) {
        const decoded = Buffer.from(q.cursor, 'base64url').toString('utf8');
        if (!/^id:\d{1,15}$/.test(decoded)) errors.push({ field: 'cursor', code: 'invalid_cursor', message: 'cursor is not one this server issued' });
        else beforeId = Number(decoded.slice(3));
      }
      if (errors.length > 0) throw new DomainError('invalid', errors);
      const limit = q.limit ?? RECEIPT_PAGE_DEFAULT;
      const rows = await deps.receipts.list({ groupId, ...period, orderId: q.order_id ?? null, beforeId, limit: limit + 1 });
      const page = await withDeliveries(rows.slice(0, limit));
      const last = page.at(-1);
      return {
        items: page,
        next_cursor: rows.length > limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
      };
    },
  };
}
export type ReceiptService = ReturnType<typeof createReceiptService>;

type FieldErrors = { field: string; code: string; message: string }[];

/** Dates and state of a receipt query (list, export): day boundaries in the server's time zone, date_end inclusive. */
export function periodFilter(q: { date_start?: string; date_end?: string; state?: string }, errors: FieldErrors): { createdFrom: number | null; createdTo: number | null; state: ReceiptState | null } {
  const start = q.date_start !== undefined ? parseQueryDate(q.date_start) : null;
  const end = q.date_end !== undefined ? parseQueryDate(q.date_end) : null;
  if (q.date_start !== undefined && !start) errors.push({ field: 'date_start', code: 'invalid_date', message: 'date_start must be an existing date as yyyymmdd or yyyy-mm-dd' });
  if (q.date_end !== undefined && !end) errors.push({ field: 'date_end', code: 'invalid_date', message: 'date_end must be an existing date as yyyymmdd or yyyy-mm-dd' });
  if (start && end && start > end) errors.push({ field: 'date_start', code: 'invalid_range', message: 'date_start must not be after date_end' });
  const state = q.state === undefined ? null : (RECEIPT_STATES.find((st) => st === q.state) ?? null);
  if (q.state !== undefined && state === null) errors.push({ field: 'state', code: 'invalid_state', message: `state must be one of ${RECEIPT_STATES.join(', ')}` });
  const dayStart = (iso: string) => new Date(`${iso}T00:00:00`).getTime();
  return { createdFrom: start ? dayStart(start) : null, createdTo: end ? dayStart(end) + 86_400_000 : null, state };
}
