/** The first wait after a failed step, and the longest: a device that stays away is asked every 10 s. */
export const FIRST_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 10_000;

/** The wait after one more failed step: doubling from FIRST_BACKOFF_MS up to MAX_BACKOFF_MS. */
export const nextBackoff = (current: number): number => Math.min(MAX_BACKOFF_MS, current === 0 ? FIRST_BACKOFF_MS : current * 2);
