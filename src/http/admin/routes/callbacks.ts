import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CallbackService, SecretStatus } from '../../../services/callbacks.js';
import { ErrorSchema } from '../../schemas.js';
import { CallbackDelivery, CallbackLogResponse, callbackLogView, deliveryView, EventLogResponse, eventLogView } from '../../routes/callbacks.js';
import { GroupDeliveryParams, GroupReceiptParams, IdParams } from '../schemas.js';
import { actorOf } from '../session.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const CallbackSecretStatus = Type.Object({
  set: Type.Boolean({ description: 'Whether the user has a callback signing secret (one is made at the first callback)' }),
  rotated_at: Nullable(Type.String()),
  previous_valid_until: Nullable(Type.String({ description: 'Until when the secret before the last rotation still signs too' })),
});
export const RotatedCallbackSecret = Type.Object({
  ...CallbackSecretStatus.properties,
  secret: Type.String({ description: 'The new secret: shown this once, never again' }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const statusView = (s: SecretStatus) => ({ set: s.set, rotated_at: iso(s.rotated_at), previous_valid_until: iso(s.previous_valid_until) });

/** The dashboard's callback pages: a receipt's delivery log and resend, a group's register events and their resend, a user's signing secret. */
export function callbackRoutes(deps: { callbacks: CallbackService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

    r.get('/service_groups/:id/receipts/:receipt_id/callbacks', {
      schema: { summary: "The receipt's callback deliveries and their attempts, with the node of each", tags: ['admin: receipts'], params: GroupReceiptParams, response: { 200: CallbackLogResponse, ...errors } },
    }, async (request) => callbackLogView(await deps.callbacks.log(actorOf(request), Number(request.params.id), Number(request.params.receipt_id)), true));

    r.post('/service_groups/:id/receipts/:receipt_id/callbacks/resend', {
      schema: {
        summary: "«Повторить отправку»: the receipt's outcome to its callback_url again (audited)",
        description: 'A new delivery with a new event id. 409 callback_not_configured, receipt_not_final.',
        tags: ['admin: receipts'], params: GroupReceiptParams, response: { 200: CallbackDelivery, ...errors, 409: ErrorSchema },
      },
    }, async (request) => deliveryView(await deps.callbacks.resend(actorOf(request), Number(request.params.id), Number(request.params.receipt_id))));

    r.get('/service_groups/:id/events', {
      schema: { summary: "«Уведомления о кассах»: the group's register-event deliveries, their bodies and attempts, with the node of each", tags: ['admin: service groups'], params: IdParams, response: { 200: EventLogResponse, ...errors } },
    }, async (request) => eventLogView(await deps.callbacks.eventLog(actorOf(request), Number(request.params.id)), true));

    r.post('/service_groups/:id/events/:delivery_id/resend', {
      schema: {
        summary: '«Отправить снова»: a register event to the group’s events URL again (superusers, audited)',
        description: 'A new delivery of the same body with a new event id. 404 delivery_not_found, 409 events_not_configured.',
        tags: ['admin: service groups'], params: GroupDeliveryParams, response: { 200: CallbackDelivery, ...errors, 409: ErrorSchema },
      },
    }, async (request) => deliveryView(await deps.callbacks.resendEvent(actorOf(request), Number(request.params.id), Number(request.params.delivery_id))));

    r.get('/users/:id/callback_secret', {
      schema: { summary: "Whether the user has a callback signing secret and when it was rotated (never the secret)", tags: ['admin: users'], params: IdParams, response: { 200: CallbackSecretStatus, ...errors } },
    }, async (request) => statusView(await deps.callbacks.secretStatus(actorOf(request), Number(request.params.id))));

    r.post('/users/:id/callback_secret/rotate', {
      schema: {
        summary: '«Сменить секрет»: a new callback signing secret, shown once (audited)',
        description: 'The previous secret keeps signing (a second v1= in X-CR-Signature) for 24 hours.',
        tags: ['admin: users'], params: IdParams, response: { 200: RotatedCallbackSecret, ...errors },
      },
    }, async (request) => {
      const s = await deps.callbacks.rotateSecret(actorOf(request), Number(request.params.id));
      return { ...statusView(s), secret: s.secret };
    });
  };
}
