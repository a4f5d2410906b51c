export type LoginFailureReason = 'bad_credentials' | 'locked' | 'not_superuser' | 'inactive';

export interface LoginFailure {
  login: string;
  ip: string;
  reason: LoginFailureReason;
}

export interface LoginFailureJournalDeps {
  /** Appends one `auth.login_failed` entry; failures to write are the caller's to log. */
  write: (details: LoginFailure & { count: number }) => Promise<void>;
  onWriteError?: (e: unknown) => void;
  /** Default 60 s. */
  windowMs?: number;
  /** Distinct (login, address) pairs followed at once; default 10 000. */
  maxKeys?: number;
}

interface Pending {
  /** Failures since that entry, not journaled yet. */
  count: number;
  last: LoginFailure;
  timer: NodeJS.Timeout | null;
}

/**
 * Failed logins go to the audit journal, but a password-guessing flood must not grow the journal
 * without bound (the throttle answers 429 to most of it, yet every refusal is still a failure):
 * each (login, address) pair gets at most one entry per window. The first failure is written at
 * once with `count: 1`; later ones within the window are only counted, and their count is written
 * as one entry when the window ends. Pairs beyond `maxKeys` (a spray over many logins or
 * addresses) share one counter written the same way under login "*" and address "*", so the
 * journal grows by at most maxKeys + 1 entries per window whatever the attack.
 */
export function createLoginFailureJournal(deps: LoginFailureJournalDeps) {
  const windowMs = deps.windowMs ?? 60_000;
  const maxKeys = deps.maxKeys ?? 10_000;
  const pairs = new Map<string, Pending>();
  const OVERFLOW = '\0overflow';

  const write = (details: LoginFailure & { count: number }) => {
    void deps.write(details).catch((e: unknown) => deps.onWriteError?.(e));
  };

  const flush = (key: string) => {
    const p = pairs.get(key);
    if (!p) return;
    p.timer = null;
    if (p.count === 0) {
      pairs.delete(key);
      return;
    }
    write({ ...p.last, count: p.count });
    p.count = 0;
    // Kept for one more window, so the next failure of the pair is counted, not written at once.
    p.timer = setTimeout(() => flush(key), windowMs);
    p.timer.unref();
  };

  return {
    record(failure: LoginFailure): void {
      let key = `${failure.login}\0${failure.ip}`;
      let entry = failure;
      if (!pairs.has(key) && pairs.size >= maxKeys) {
        key = OVERFLOW;
        entry = { login: '*', ip: '*', reason: failure.reason };
      }
      const p = pairs.get(key);
      if (!p) {
        write({ ...entry, count: 1 });
        const timer = setTimeout(() => flush(key), windowMs);
        timer.unref();
        pairs.set(key, { count: 0, last: entry, timer });
        return;
      }
      p.count += 1;
      p.last = entry;
    },
    /** Writes what is still counted (graceful stop). */
    async flushAll(): Promise<void> {
      const writes: Promise<void>[] = [];
      for (const [key, p] of pairs) {
        if (p.timer) clearTimeout(p.timer);
        if (p.count > 0) writes.push(deps.write({ ...p.last, count: p.count }).catch((e: unknown) => deps.onWriteError?.(e)));
        pairs.delete(key);
      }
      await Promise.all(writes);
    },
  };
}
export type LoginFailureJournal = ReturnType<typeof createLoginFailureJournal>;
