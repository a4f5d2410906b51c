/**
 * When a failed callback attempt is tried again: exponential backoff with full jitter (a random
 * delay between 0 and min(cap, base · 2^(n−1)) after the n-th failure), so receivers coming back
 * after an outage are not hit by every server at the same instant; a receiver's `Retry-After` is
 * honoured (never sooner than it asks, at most the cap); and nothing is retried past the delivery's
 * window (CR_CALLBACK_RETRY_HOURS from the delivery's creation) — the last attempt is made at the
 * window's end, and a delivery whose attempt fails then is `failed`.
 */

export interface RetryPolicy {
  /** The first retry waits up to this (full jitter): ~10 s. */
  baseMs: number;
  /** No wait is longer than this, Retry-After included: 1 h. */
  capMs: number;
  /** Retries stop this long after the delivery was created. */
  windowMs: number;
}

/** Full jitter: uniform in [0, min(cap, base · 2^(attempt−1))], `attempt` ≥ 1 failures so far. */
export function backoffDelay(attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(p.capMs, p.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date (RFC 9110, section 10.2.3).
 * Null when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export type NextStep = { state: 'pending'; nextAttemptAt: number } | { state: 'failed' };

/**
 * After a failed attempt (the `attempts`-th): when the next one is due, or `failed` when the window
 * is over. `now` and `createdAt` are on the database's clock.
 */
export function nextStep(attempts: number, createdAt: number, now: number, retryAfterMs: number | null, p: RetryPolicy, random: () => number = Math.random): NextStep {
  const deadline = createdAt + p.windowMs;
  if (now >= deadline) return { state: 'failed' };
  const delay = Math.max(backoffDelay(attempts, p, random), Math.min(retryAfterMs ?? 0, p.capMs));
  return { state: 'pending', nextAttemptAt: Math.trunc(Math.min(now + delay, deadline)) };
}
