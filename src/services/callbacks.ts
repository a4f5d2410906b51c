import { randomUUID } from 'node:crypto';
import { DomainError, notFound } from '../domain/errors.js';
import { newCallbackSecret, PREVIOUS_SECRET_VALID_MS } from '../callbacks/signing.js';
import { eventOf, type CallbackRepository, type DeliveryLog, type DeliveryRecord } from '../storage/callbacks.js';
import type { GroupRepository } from '../storage/groups.js';
import type { UserRepository } from '../storage/users.js';
import { requireGroupAccess } from './access.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Auditor } from './auditor.js';
import type { ReceiptService } from './receipts.js';

export interface CallbackServiceDeps {
  receipts: Pick<ReceiptService, 'get'>;
  deliveries: Pick<CallbackRepository, 'logOf' | 'enqueueResend' | 'eventLogOf' | 'eventDelivery' | 'enqueueEventResend'>;
  groups: GroupRepository;
  users: Pick<UserRepository, 'findById' | 'callbackSecrets' | 'rotateCallbackSecret'>;
  audit: Auditor;
  now: () => number;
  /** Wakes this node's delivery worker after a resend was queued. */
  wake: () => void;
}

/** A user's callback key as the dashboard may see it: whether there is one and its rotation, never the key. */
export interface SecretStatus {
  set: boolean;
  rotated_at: number | null;
  /** Until when the key before the last rotation still signs (null: none does). */
  previous_valid_until: number | null;
}

/**
 * The callback use cases: a receipt's attempt log, a resend, a group's register events (their log
 * and a resend), and the per-user signing key (its status and its rotation). Access as for the
 * receipt itself (group access, checked by ReceiptService.get) or the group; a receipt's resend also
 * needs a superuser or the user who sent the receipt; a register event's resend, like the events
 * URL it goes to, and keys are a superuser's business.
 */
export function createCallbackService(deps: CallbackServiceDeps) {
  const status = (s: { current: string | null; previous: string | null; rotatedAt: number | null }, now: number): SecretStatus => {
    const until = s.previous !== null && s.rotatedAt !== null ? s.rotatedAt + PREVIOUS_SECRET_VALID_MS : null;
    return { set: s.current !== null, rotated_at: s.rotatedAt, previous_valid_until: until !== null && until > now ? until : null };
  };
  const userMissing = (userId: number) => notFound('user_not_found', `User ${userId} does not exist`);

  return {
    /** The receipt's deliveries (newest first) with their attempts. */
    async log(actor: Actor, groupId: number, receiptId: number): Promise<{ url: string | null; deliveries: DeliveryLog[] }> {
      const receipt = await deps.receipts.get(actor, groupId, receiptId);
      return { url: receipt.callback_url, deliveries: await deps.deliveries.logOf(receipt.id) };
    },

    /**
     * Sends the receipt's outcome again, as a new delivery with a new event id (a receiver that has
     * processed the first one must not drop this one as a duplicate), audited.
     */
    async resend(actor: Actor, groupId: number, receiptId: number): Promise<DeliveryRecord> {
      const receipt = await deps.receipts.get(actor, groupId, receiptId);
      if (!actor.isSuperuser && receipt.user_id !== actor.id) {
        throw new DomainError('forbidden', { code: 'forbidden', message: 'Only a superuser or the user who sent the receipt may resend its callback' });
      }
      if (receipt.callback_url === null) {
        throw new DomainError('conflict', { code: 'callback_not_configured', message: 'The receipt was registered without a callback_url: there is nothing to resend' });
      }
      if (receipt.state !== 'success' && receipt.state !== 'failed') {
        throw new DomainError('conflict', { code: 'receipt_not_final', message: `The receipt is ${receipt.state}: its callback is sent when it is success or failed` });
      }
      const delivery = await deps.deliveries.enqueueResend({ ...receipt, callback_url: receipt.callback_url }, eventOf(receipt.state));
      await deps.audit.write(actor, 'receipt.callback_resend', `receipt:${receipt.id}`, { service_group: groupId, event: delivery.event, event_id: delivery.event_id });
      deps.wake();
      return delivery;
    },

    /** The group's register-event deliveries (newest first) with their attempts, and where events go now. */
    async eventLog(actor: Actor, groupId: number): Promise<{ url: string | null; deliveries: DeliveryLog[] }> {
      const group = await requireGroupAccess(deps.groups, actor, groupId);
      return { url: group.events_url, deliveries: await deps.deliveries.eventLogOf(group.id) };
    },

    /**
     * Sends a register event again (a receiver that was down past the retry window, or lost what it
     * got): a new delivery of the body the event carried, with a new event id — a receiver that
     * processed the first must not drop this one as a duplicate — to the group's events URL of now,
     * signed by its current signer. Audited.
     */
    async resendEvent(actor: Actor, groupId: number, deliveryId: number): Promise<DeliveryRecord> {
      requireSuperuser(actor);
      const group = await requireGroupAccess(deps.groups, actor, groupId);
      const original = await deps.deliveries.eventDelivery(group.id, deliveryId);
      if (!original || original.event !== 'register.fn_warning') throw notFound('delivery_not_found', `Service group ${groupId} has no register event delivery ${deliveryId}`);
      if (group.events_url === null || group.events_user_id === null) {
        const why = group.events_url === null ? 'the group has no events URL' : 'the superuser who set the events URL was deleted: save the URL again to sign with your key';
        throw new DomainError('conflict', { code: 'events_not_configured', message: `Nothing to send the event to: ${why}` });
      }
      const eventId = randomUUID();
      const delivery = await deps.deliveries.enqueueEventResend({
        groupId: group.id,
        userId: group.events_user_id,
        url: group.events_url,
        event: original.event,
        eventId,
        body: { ...original.payload, event_id: eventId },
      });
      await deps.audit.write(actor, 'group.event_resend', `service_group:${group.id}`, { event: delivery.event, event_id: delivery.event_id, resent: original.event_id });
      deps.wake();
      return delivery;
    },

    async secretStatus(actor: Actor, userId: number): Promise<SecretStatus> {
      requireSuperuser(actor);
      const s = await deps.users.callbackSecrets(userId);
      if (!s) throw userMissing(userId);
      return status(s, deps.now());
    },

    /**
     * A new signing key for the user, shown this once; the previous key keeps signing for 24 h so
     * the receiver can switch without losing callbacks. Audited (without the key).
     */
    async rotateSecret(actor: Actor, userId: number): Promise<SecretStatus & { secret: string }> {
      requireSuperuser(actor);
      const user = await deps.users.findById(userId);
      if (!user) throw userMissing(userId);
      const now = deps.now();
      const s = await deps.users.rotateCallbackSecret(userId, newCallbackSecret(), now);
      if (!s?.current) throw userMissing(userId);
      await deps.audit.write(actor, 'user.callback_secret_rotated', `user:${userId}`, { login: user.login, previous_kept: s.previous !== null });
      return { ...status(s, now), secret: s.current };
    },
  };
}
export type CallbackService = ReturnType<typeof createCallbackService>;
