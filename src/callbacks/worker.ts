import type { Logger } from 'pino';
import type { CallbackRepository, ClaimedDelivery } from '../storage/callbacks.js';
import type { ReceiptRecord, ReceiptRepository } from '../storage/receipts.js';
import type { UserRepository } from '../storage/users.js';
import { createWaker } from '../workers/sleep.js';
import type { DestinationPolicy } from './destination.js';
import { postCallback, type AttemptResult } from './sender.js';
import { nextStep, parseRetryAfter } from './schedule.js';
import { newCallbackSecret, signatureHeader, signingSecrets } from './signing.js';

/**
 * The delivery worker: one per node, started and stopped with the server. It claims due deliveries
 * of the outbox (any node's: the outbox is in the shared database), POSTs each to its receiver
 * signed with the key of the delivery's user (the receipt's owner; for a group's register event,
 * the superuser who set the group's events_url), records the attempt and moves the delivery on — delivered on
 * a 2xx, otherwise due again after a backoff, until the retry window ends. Woken when this node
 * queues a delivery; polls as the safety net (deliveries queued by other nodes, retries coming due,
 * leases of a dead node expiring). Its whole state is in the database: a restart or another node
 * carries on where it stopped.
 */

export interface CallbackTiming {
  /** Backoff: the first retry within ~this; doubles per attempt (full jitter). */
  baseDelayMs: number;
  /** No retry waits longer (Retry-After included). */
  capDelayMs: number;
  /** Retries stop this long after a delivery was created (CR_CALLBACK_RETRY_HOURS). */
  windowMs: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /**
   * A claim holds this long: twice the longest attempt (connect + response timeouts, and the
   * database write), so two nodes never send the same attempt at once; a node that died
   * mid-attempt leaves the delivery to another node after this.
   */
  leaseMs: number;
  /** Safety-net poll. */
  pollMs: number;
  /** Attempts in flight at once on this node. */
  concurrency: number;
}

export const DEFAULT_CALLBACK_TIMING: Readonly<CallbackTiming> = Object.freeze({
  baseDelayMs: 10_000,
  capDelayMs: 3_600_000,
  windowMs: 24 * 3_600_000,
  connectTimeoutMs: 5000,
  responseTimeoutMs: 10_000,
  leaseMs: 30_000,
  pollMs: 1000,
  concurrency: 8,
});

export interface CallbackWorkerDeps {
  deliveries: CallbackRepository;
  receipts: Pick<ReceiptRepository, 'get'>;
  users: Pick<UserRepository, 'callbackSecrets' | 'ensureCallbackSecret'>;
  policy: DestinationPolicy;
  /** The receipt's REST representation (http/views/receipt.ts receiptView, injected by main.ts: workers do not import http/). */
  render: (receipt: ReceiptRecord) => Record<string, unknown>;
  /**
   * A body of another API's own shape for receipts that came through it (the ATOL Online API's
   * report, src/atol-online/report.ts), sent exactly as that API defines it; null: the native view.
   */
  renderForeign?: (receipt: ReceiptRecord) => Promise<Record<string, unknown> | null>;
  nodeId: string;
  logger: Logger;
  timing: CallbackTiming;
  /**
   * Wall-clock time for the signature's timestamp and `sent_at`: receivers compare it with their
   * own clock, so it is real time, never a test's injected clock.
   */
  now?: () => number;
  /** Metrics: an attempt's duration and whether it got a 2xx; a delivery's end or rescheduling. */
  observeAttempt?: (seconds: number, ok: boolean) => void;
  observeOutcome?: (outcome: 'delivered' | 'retry' | 'failed') => void;
}

const USER_AGENT = 'cr-server-callbacks/0.3';

export function createCallbackWorker(deps: CallbackWorkerDeps) {
  const t = deps.timing;
  const wallNow = deps.now ?? (() => Date.now());
  const waker = createWaker();
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let loop: Promise<void> | null = null;
  let stopped = false;

  /** The payload: the receipt resource (without its `callback` block, which describes this very delivery) plus the event. */
  const payload = async (receipt: ReceiptRecord, c: ClaimedDelivery, sentAt: number): Promise<string> => {
    const foreign = await deps.renderForeign?.(receipt);
    if (foreign) return JSON.stringify(foreign);
    const { callback: _own, ...view } = deps.render(receipt);
    return JSON.stringify({ ...view, event: c.delivery.event, event_id: c.delivery.event_id, sent_at: new Date(sentAt).toISOString() });
  };

  /**
   * What a delivery sends, or null when what it is about is gone. A receipt's outcome is rendered
   * from the receipt now; a register event (no receipt, migration 010) sends the body fixed when it
   * happened, plus `sent_at`, like a receipt's.
   */
  const bodyOf = async (c: ClaimedDelivery, sentAt: number): Promise<string | null> => {
    const d = c.delivery;
    if (d.receipt_id === null) return d.payload === null ? null : JSON.stringify({ ...d.payload, sent_at: new Date(sentAt).toISOString() });
    const receipt = await deps.receipts.get(d.group_id, d.receipt_id);
    return receipt ? payload(receipt, c, sentAt) : null;
  };

  async function attempt(c: ClaimedDelivery): Promise<void> {
    const d = c.delivery;
    const started = performance.now();
    let result: AttemptResult;
    const sentAt = wallNow();
    const body = await bodyOf(c, sentAt);
    const secrets = (await deps.users.callbackSecrets(d.user_id)) ?? null;
    const keys = secrets?.current ? secrets : await deps.users.ensureCallbackSecret(d.user_id, newCallbackSecret());
    if (body === null || !keys?.current) {
      // Receipts are never deleted and users with receipts cannot be; an event's signer may have
      // been deleted since it was queued, or the row is corrupt: not a receiver's fault, not retried.
      deps.logger.error({ delivery: d.id, receipt: d.receipt_id, event: d.event, user: d.user_id }, 'callback delivery without its receipt, body or signing user: given up');
      result = { status: null, error: 'internal', detail: body === null ? 'receipt or event body missing' : 'signing user missing', retryAfter: undefined };
      await finish(c, result, started, true);
      return;
    }
    const timestamp = Math.floor(sentAt / 1000);
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': USER_AGENT,
      'x-cr-event': d.event,
      'x-cr-event-id': d.event_id,
      'x-cr-timestamp': String(timestamp),
      'x-cr-signature': signatureHeader(signingSecrets({ current: keys.current, previous: keys.previous, rotatedAt: keys.rotatedAt }, sentAt), timestamp, body),
    };
    try {
      result = await postCallback(d.url, body, headers, { policy: deps.policy, connectTimeoutMs: t.connectTimeoutMs, responseTimeoutMs: t.responseTimeoutMs, signal: abort.signal });
    } catch (e) {
      // A URL that no longer parses, a bug in the client: logged, and treated as a failed attempt.
      result = { status: null, error: 'internal', detail: e instanceof Error ? e.message : String(e), retryAfter: undefined };
    }
    await finish(c, result, started, false);
  }

  async function finish(c: ClaimedDelivery, r: AttemptResult, started: number, giveUp: boolean): Promise<void> {
    const d = c.delivery;
    const elapsed = performance.now() - started;
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    deps.observeAttempt?.(elapsed / 1000, ok);
    // The database's time now, from the claim's (the attempt ran on this node's monotonic clock).
    const dbNow = c.claimedAt + Math.round(elapsed);
    const attempts = d.attempts + 1;
    const next = ok
      ? ({ state: 'delivered' } as const)
      : giveUp
        ? ({ state: 'failed' } as const)
        : r.error === 'aborted'
          ? ({ state: 'pending', nextAttemptAt: dbNow } as const)
          : nextStep(attempts, d.created_at, dbNow, parseRetryAfter(r.retryAfter, wallNow()), { baseMs: t.baseDelayMs, capMs: t.capDelayMs, windowMs: t.windowMs });
    const log = { delivery: d.id, receipt: d.receipt_id, event: d.event, event_id: d.event_id, attempt: attempts, status: r.status, error: r.error, detail: r.detail };
    if (!ok) deps.logger[next.state === 'failed' ? 'warn' : 'info'](log, next.state === 'failed' ? 'callback delivery failed for good' : 'callback attempt failed; retrying');
    const recorded = await deps.deliveries.recordAttempt(c, deps.nodeId, { status: r.status, latencyMs: elapsed, error: r.error, next });
    if (!recorded) {
      deps.logger.warn(log, 'callback attempt outlived its claim: another node has taken the delivery over');
      return;
    }
    deps.observeOutcome?.(next.state === 'pending' ? 'retry' : next.state);
  }

  function launch(c: ClaimedDelivery): void {
    const run = attempt(c)
      .catch((e: unknown) => {
        // The database failed while recording: the claim expires and the delivery is tried again.
        deps.logger.warn({ err: e, delivery: c.delivery.id }, 'cannot record a callback attempt; it is retried when its claim expires');
      })
      .finally(() => {
        inFlight.delete(run);
        waker.wake();
      });
    inFlight.add(run);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const free = t.concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const due = await deps.deliveries.claimDue(deps.nodeId, free, t.leaseMs);
          failures = 0;
          claimed = due.length;
          for (const c of due) {
            if (stopped) break;
            launch(c);
          }
        } catch (e) {
          failures++;
          if (failures === 1 || failures % 60 === 0) deps.logger.warn({ err: e }, 'cannot claim callback deliveries; retrying');
        }
      }
      // Everything claimed that could be: more may be due at once.
      if (claimed > 0 && claimed === free) continue;
      await waker.sleep(t.pollMs);
    }
  }

  return {
    start(): void {
      loop ??= run();
    },
    /** Something was queued: look now. */
    wake(): void {
      waker.wake();
    },
    /**
     * Stops claiming and aborts the attempts in flight (each is recorded as `aborted` and due again
     * at once, so the next node or the next start sends it without waiting for its claim to expire).
     */
    async stop(): Promise<void> {
      stopped = true;
      waker.wake();
      abort.abort();
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}
export type CallbackWorker = ReturnType<typeof createCallbackWorker>;
