import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CallbackService } from '../../services/callbacks.js';
import { CALLBACK_EVENTS, DELIVERY_KINDS, type AttemptRecord, type DeliveryLog, type DeliveryRecord } from '../../storage/callbacks.js';
import { actorOf } from '../auth.js';
import { ErrorSchema, EventDeliveryParams, GroupParams, ReceiptParams } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One attempt of the log; `node` (which server sent it) only in the dashboard's view. */
export const CallbackAttempt = Type.Object({
  at: Type.String(),
  status: Nullable(Type.Integer({ description: "The receiver's HTTP status; null when no answer came" })),
  latency_ms: Type.Integer(),
  error: Nullable(Type.String({ description: 'Why no answer came: destination_not_allowed, dns_failed, connect_failed, timeout, aborted, internal' })),
  node: Type.Optional(Type.String({ description: 'The node that sent it (dashboard only)' })),
});

export const CallbackDelivery = Type.Object({
  id: Type.Integer(),
  event_id: Type.String({ description: 'The same on every attempt of this delivery (X-CR-Event-Id): receivers deduplicate by it' }),
  event: Type.String({ enum: [...CALLBACK_EVENTS] }),
  kind: Type.String({ enum: [...DELIVERY_KINDS], description: 'outcome: a receipt’s final state; event: a register event as it happened; resend: either, sent again by a user' }),
  url: Type.String(),
  state: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Type.String({ description: 'When a pending delivery is tried next' })),
  last_status: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Type.String(),
  delivered_at: Nullable(Type.String()),
});

export const CallbackLogResponse = Type.Object({
  callback_url: Nullable(Type.String()),
  deliveries: Type.Array(Type.Object({ ...CallbackDelivery.properties, log: Type.Array(CallbackAttempt) }), { description: 'Newest first (at most 50), each with its attempts in order' }),
});

/** A group's register events: where they go now, and each delivery with the body it carries and its attempts. */
export const EventLogResponse = Type.Object({
  events_url: Nullable(Type.String({ description: "The group's events URL now (settings.events_url); null: events are not sent" })),
  deliveries: Type.Array(
    Type.Object({
      ...CallbackDelivery.properties,
      payload: Type.Object({}, { additionalProperties: true, description: 'The event as it is sent (without sent_at, added at each attempt)' }),
      log: Type.Array(CallbackAttempt),
    }),
    { description: 'Newest first (at most 50), each with its attempts in order' },
  ),
});

export const deliveryView = (d: DeliveryRecord) => ({
  id: d.id,
  event_id: d.event_id,
  event: d.event,
  kind: d.kind,
  url: d.url,
  state: d.state,
  attempts: d.attempts,
  next_attempt_at: d.state === 'pending' ? iso(d.next_attempt_at) : null,
  last_status: d.last_status,
  last_error: d.last_error,
  created_at: new Date(d.created_at).toISOString(),
  delivered_at: iso(d.delivered_at),
});

const attemptView = (a: AttemptRecord, withNode: boolean) => ({
  at: new Date(a.at).toISOString(),
  status: a.status,
  latency_ms: a.latency_ms,
  error: a.error,
  ...(withNode ? { node: a.node } : {}),
});

/** A delivery with its attempts; `withNode`: the dashboard's view, naming the node of each attempt. */
const loggedView = (d: DeliveryLog, withNode: boolean) => ({ ...deliveryView(d.delivery), log: d.attempts.map((a) => attemptView(a, withNode)) });

/** The attempt log of a receipt. */
export const callbackLogView = (log: { url: string | null; deliveries: DeliveryLog[] }, withNode: boolean) => ({
  callback_url: log.url,
  deliveries: log.deliveries.map((d) => loggedView(d, withNode)),
});

/** A group's register-event log: each delivery also with the body it carries. */
export const eventLogView = (log: { url: string | null; deliveries: DeliveryLog[] }, withNode: boolean) => ({
  events_url: log.url,
  deliveries: log.deliveries.map((d) => ({ ...loggedView(d, withNode), payload: d.delivery.payload ?? {} })),
});

/** A receipt's callback: the attempt log, and a resend (superusers and the receipt's sender); a group's register events: the same. */
export function callbackRoutes(deps: { callbacks: CallbackService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

    r.get('/service_groups/:service_group_id/receipts/:receipt_id/callbacks', {
      schema: { summary: "The receipt's callback deliveries and their attempts", tags: ['receipts'], params: ReceiptParams, response: { 200: CallbackLogResponse, ...errors } },
    }, async (request) => callbackLogView(await deps.callbacks.log(actorOf(request), Number(request.params.service_group_id), Number(request.params.receipt_id)), false));

    r.post('/service_groups/:service_group_id/receipts/:receipt_id/callbacks/resend', {
      schema: {
        summary: "Send the receipt's outcome to its callback_url again (superusers and the receipt's sender)",
        description: 'A new delivery with a new event id, audited. 409 callback_not_configured without a callback_url, receipt_not_final while the receipt is not success or failed.',
        tags: ['receipts'],
        params: ReceiptParams,
        response: { 200: CallbackDelivery, ...errors, 409: ErrorSchema },
      },
    }, async (request) => deliveryView(await deps.callbacks.resend(actorOf(request), Number(request.params.service_group_id), Number(request.params.receipt_id))));

    r.get('/service_groups/:service_group_id/events', {
      schema: { summary: "The group's register-event deliveries (register.fn_warning), their bodies and attempts", tags: ['service groups'], params: GroupParams, response: { 200: EventLogResponse, ...errors } },
    }, async (request) => eventLogView(await deps.callbacks.eventLog(actorOf(request), Number(request.params.service_group_id)), false));

    r.post('/service_groups/:service_group_id/events/:delivery_id/resend', {
      schema: {
        summary: 'Send a register event again to the group’s events URL (superusers)',
        description: 'A new delivery of the same body with a new event id, audited. 404 delivery_not_found, 409 events_not_configured.',
        tags: ['service groups'],
        params: EventDeliveryParams,
        response: { 200: CallbackDelivery, ...errors, 409: ErrorSchema },
      },
    }, async (request) => deliveryView(await deps.callbacks.resendEvent(actorOf(request), Number(request.params.service_group_id), Number(request.params.delivery_id))));
  };
}
