import { createHash } from 'node:crypto';
import { DomainError, notFound } from '../domain/errors.js';
import { validateReceipt } from '../domain/validate-receipt.js';
import type { ReceiptInput } from '../domain/receipt-input.js';
import { parseQueryDate } from '../domain/dates.js';
import { RECEIPT_STATES } from '../domain/enums.js';
import type { RegistrationInfo } from '../devices/driver.js';
import type { GroupForReceipts, GroupRepository } from '../storage/groups.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import { receiptView, type ReceiptView, type StoredRequest } from './receipt-view.js';
import type { BodyCache } from './body-cache.js';
import { callerId, requireGroupAccess } from './access.js';
import type { AuthenticatedUser } from './auth.js';

export interface ReceiptServiceDeps {
  groups: GroupRepository;
  receipts: ReceiptRepository;
  /** Base of `location` links (a function: with port 0 it is known only after listening). */
  publicUrl: () => string;
  now: () => number;
  /** Wakes the group's worker after a receipt was queued. */
  notify: (groupId: number) => void;
  /** Rendered bodies of fiscalized receipts for the API's GET (absent: no caching). */
  bodies?: BodyCache;
  /**
   * Throws (503) when the server cannot keep a receipt — data directory gone, disk full — checked
   * before every insert; synchronous on the hot path (StorageHealth.assertWritable).
   */
  canStore?: () => void | Promise<void>;
  /** A receipt was newly queued (not a replay): metrics. */
  onAccepted?: (groupId: number) => void;
}

const todayLocal = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export function createReceiptService(deps: ReceiptServiceDeps) {
  const location = (groupId: number, id: number) => `${deps.publicUrl()}/service_groups/${groupId}/receipts/${id}`;

  return {
    /**
     * Validates and durably queues a receipt. The 200 answer means "stored and queued", never
     * "fiscalized": the client reads `location` until the state is final.
     */
    async register(target: Omit<GroupForReceipts, 'allowed'>, userId: number, input: ReceiptInput, idempotencyKey: string | null) {
      const { group, device } = target;
      if (group.enabled !== 1) {
        throw new DomainError('unavailable', { code: 'service_group_disabled', message: 'The service group is disabled' });
      }
      if (group.running !== 1) {
        throw new DomainError('unavailable', { code: 'service_group_stopped', message: 'The service group is stopped; start it in the dashboard' });
      }
      const reg = device?.registration ? (JSON.parse(device.registration) as RegistrationInfo) : null;
      const receipt = validateReceipt(input, {
        defaultTaxSystem: group.default_tax_system,
        defaultVat: group.default_vat,
        ffdVersion: reg?.ffdVersion ?? null,
        registeredTaxSystems: reg?.taxSystems ?? null,
        today: todayLocal(deps.now()),
      });
      const stored: StoredRequest = { ...receipt, orderId: input.order_id ?? null };
      const request = JSON.stringify(stored);
      const requestHash = createHash('sha256').update(request).digest('hex');
      const storable = deps.canStore?.();
      if (storable) await storable;
      const outcome = await deps.receipts.insert(
        {
          groupId: group.id,
          userId,
          deviceId: device?.id ?? null,
          idempotencyKey,
          requestHash,
          request,
          orderId: stored.orderId === null ? null : String(stored.orderId),
          receiptType: receipt.receiptType,
          total: receipt.total,
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

    /** For a caller whose access to the group was already checked. */
    async get(groupId: number, receiptId: number) {
      const row = await deps.receipts.get(groupId, receiptId);
      if (!row) throw notFound('receipt_not_found', `Receipt ${receiptId} does not exist in service group ${groupId}`);
      return receiptView(row);
    },

    /**
     * The API's GET, rendered by `render` (the route's response serializer). A fiscalized receipt
     * never changes again, so its body is kept (bounded) and served again after the access check
     * alone; anything else is read with its access check in one statement. Errors as on every group
     * route: 404 for a missing group, 403 for a forbidden one, then 404 for a missing receipt.
     */
    async getFor(user: AuthenticatedUser, groupId: number, receiptId: number, render: (view: ReceiptView) => string): Promise<string> {
      const cached = deps.bodies?.get(receiptId, groupId);
      if (cached !== undefined && (user.isSuperuser || (await deps.groups.hasAccess(groupId, user.id)))) return cached;
      const row = await deps.receipts.getVisible(groupId, receiptId, callerId(user));
      if (row) {
        const body = render(receiptView(row));
        if (row.state === 'success') deps.bodies?.set(row.id, groupId, body);
        return body;
      }
      await requireGroupAccess(deps.groups, user, groupId);
      throw notFound('receipt_not_found', `Receipt ${receiptId} does not exist in service group ${groupId}`);
    },

    async list(groupId: number, q: { date_start?: string; date_end?: string; order_id?: string; state?: string; limit?: number; cursor?: string }) {
      const errors: { field: string; code: string; message: string }[] = [];
      const start = q.date_start !== undefined ? parseQueryDate(q.date_start) : null;
      const end = q.date_end !== undefined ? parseQueryDate(q.date_end) : null;
      if (q.date_start !== undefined && !start) errors.push({ field: 'date_start', code: 'invalid_date', message: 'date_start must be an existing date as yyyymmdd or yyyy-mm-dd' });
      if (q.date_end !== undefined && !end) errors.push({ field: 'date_end', code: 'invalid_date', message: 'date_end must be an existing date as yyyymmdd or yyyy-mm-dd' });
      if (start && end && start > end) errors.push({ field: 'date_start', code: 'invalid_range', message: 'date_start must not be after date_end' });
      if (q.state !== undefined && !(RECEIPT_STATES as readonly string[]).includes(q.state)) {
        errors.push({ field: 'state', code: 'invalid_state', message: `state must be one of ${RECEIPT_STATES.join(', ')}` });
      }
      let beforeId: number | null = null;
      if (q.cursor !== undefined) {
        const decoded = Buffer.from(q.cursor, 'base64url').toString('utf8');
        if (!/^id:\d{1,15}$/.test(decoded)) errors.push({ field: 'cursor', code: 'invalid_cursor', message: 'cursor is not one this server issued' });
        else beforeId = Number(decoded.slice(3));
      }
      if (errors.length > 0) throw new DomainError('invalid', errors);
      // Day boundaries in the server's local time zone (TZ), inclusive of date_end.
      const dayStart = (iso: string) => new Date(`${iso}T00:00:00`).getTime();
      const limit = q.limit ?? 100;
      const rows = await deps.receipts.list({
        groupId,
        createdFrom: start ? dayStart(start) : null,
        createdTo: end ? dayStart(end) + 86_400_000 : null,
        orderId: q.order_id ?? null,
        state: q.state ?? null,
        beforeId,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(receiptView),
        next_cursor: rows.length > limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
      };
    },
  };
}
export type ReceiptService = ReturnType<typeof createReceiptService>;
