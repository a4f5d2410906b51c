import { randomUUID } from 'node:crypto';
import type { GroupEvent } from '../storage/callbacks.js';

/**
 * A group's register events (docs/api.md "Register events"): webhooks to the group's events_url,
 * signed like receipt callbacks with the callback secret of the superuser who set the URL, and
 * delivered by the same outbox and worker. Their body is fixed when the event happens (a retry
 * an hour later still says what was true then), so it is built here, once, and stored with the
 * delivery.
 */

/** The FN limits a forecast names (src/domain/pool.ts FnForecast.first). */
export type FnLimit = 'expiry' | 'archive' | 'ofd_block';

const DAY = 86_400_000;

export interface FnWarningInput {
  group: { id: number; name: string; events_url: string | null; events_user_id: number | null };
  register: {
    id: number;
    /** The driver's id, as `model` in the group view's registers (emulator, atol, shtrih). */
    model: string;
    /** Registration number (RNM, tag 1037); null when the register has not reported it. */
    rnm: string | null;
    fnSerial: string | null;
  };
  warning: { what: FnLimit; at: number };
  /** When the worker saw the warning appear (epoch ms, the clock the forecast used). */
  now: number;
}

/** Whole days until `at` (0 once it is reached): how the dashboard's banner counts them. */
export const daysLeft = (at: number, now: number): number => Math.max(0, Math.floor((at - now) / DAY));

/**
 * The `register.fn_warning` event of a warning that just appeared, or null when the group sends no
 * events (no events_url, or its signer was deleted since: there is no key to sign with).
 */
export function fnWarningEvent(i: FnWarningInput): GroupEvent | null {
  const { group, register, warning } = i;
  if (group.events_url === null || group.events_user_id === null) return null;
  const eventId = randomUUID();
  return {
    groupId: group.id,
    userId: group.events_user_id,
    url: group.events_url,
    event: 'register.fn_warning',
    eventId,
    body: {
      event: 'register.fn_warning',
      event_id: eventId,
      occurred_at: new Date(i.now).toISOString(),
      service_group: { id: group.id, name: group.name },
      register: { id: register.id, model: register.model, rnm: register.rnm, fn_serial: register.fnSerial },
      warning: { what: warning.what, at: new Date(warning.at).toISOString(), days_left: daysLeft(warning.at, i.now) },
    },
  };
}
