import { availableParallelism } from 'node:os';
import type { LoginTrustRepository } from '../storage/login-trust.js';

/**
 * Failed-login throttling. Every attempt that will reach the password hash first takes a
 * reservation (admit); the reservation counts against the limits while the hash runs, so a burst
 * of concurrent attempts cannot all pass before the first failure is recorded. The attempt then
 * ends as a failure (counted), a success (released; the pair's failures are cleared) or neither
 * (released: an error, or no hashing capacity).
 *
 * Counters, each over a window of 15 minutes, with an exponentially growing refusal (1 s, 2 s, 4 s…
 * capped at 15 min) once its free failures are used:
 * - (login, address): 5 free failures. The only counter a trusted pair is subject to: its own
 *   failures (a guesser behind the shop's address, or a backend with a stale password).
 * - address: 50 free failures across all logins (one NAT or shop backend may carry many users).
 *   Untrusted pairs only.
 * - login, from anywhere: never refuses anything — an attacker who knows a login could otherwise
 *   lock it out. Past 100 failures the login is "under attack" and an untrusted (login, address)
 *   pair gets 1 free failure instead of 5: a distributed guesser gets one guess per address before
 *   its delays start, while a correct password from a new address is still accepted.
 * In-flight reservations count with the failures: an attempt is admitted while failures + in-flight
 * stay under the limit; past the limit, one attempt at a time once the refusal has expired.
 * Bounded memory: the oldest entries are dropped when the table is full, which can only make
 * throttling laxer, never lock out a legitimate user.
 */
export interface ThrottleOptions {
  now: () => number;
  freeAttempts?: number;
  freeAttemptsUnderAttack?: number;
  freeAttemptsPerIp?: number;
  freeAttemptsPerLogin?: number;
  windowMs?: number;
  maxDelayMs?: number;
  maxEntries?: number;
}

/** A reserved attempt. Exactly one of fail/succeed/release takes effect; later calls are no-ops. */
export interface Ticket {
  /** Admitted as a trusted pair (only its own pair counter applied). */
  readonly trusted: boolean;
  fail(): void;
  succeed(): void;
  release(): void;
}
export type Admission = { ok: true; ticket: Ticket } | { ok: false; retryAfter: number };

export function createThrottle(opts: ThrottleOptions) {
  const free = opts.freeAttempts ?? 5;
  const freeUnderAttack = opts.freeAttemptsUnderAttack ?? 1;
  const freeIp = opts.freeAttemptsPerIp ?? 50;
  const freeLogin = opts.freeAttemptsPerLogin ?? 100;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const maxDelay = opts.maxDelayMs ?? 15 * 60_000;
  const maxEntries = opts.maxEntries ?? 50_000;
  const table = new Map<string, { failures: number; first: number; blockedUntil: number }>();
  const inFlight = new Map<string, number>();

  const live = (key: string, now: number) => {
    const e = table.get(key);
    return e && now - e.first <= windowMs ? e : undefined;
  };
  const bump = (key: string, limit: number, now: number) => {
    let e = live(key, now);
    if (!e) e = { failures: 0, first: now, blockedUntil: 0 };
    e.failures += 1;
    if (e.failures >= limit) e.blockedUntil = now + Math.min(maxDelay, 1000 * 2 ** Math.min(20, e.failures - limit));
    table.delete(key);
    if (table.size >= maxEntries) {
      const oldest = table.keys().next().value;
      if (oldest !== undefined) table.delete(oldest);
    }
    table.set(key, e);
  };
  /** Seconds to wait before this counter admits one more attempt; 0 when it admits now. */
  const wait = (key: string, limit: number, now: number): number => {
    const e = live(key, now);
    if (e && e.blockedUntil > now) return Math.ceil((e.blockedUntil - now) / 1000);
    const n = inFlight.get(key) ?? 0;
    return n === 0 || (e?.failures ?? 0) + n < limit ? 0 : 1;
  };
  const inc = (key: string) => inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
  const dec = (key: string) => {
    const n = (inFlight.get(key) ?? 0) - 1;
    if (n > 0) inFlight.set(key, n);
    else inFlight.delete(key);
  };
  const underAttack = (login: string, now: number) => (live(`login:${login}`, now)?.failures ?? 0) >= freeLogin;
  const pairLimit = (login: string, trusted: boolean, now: number) => (trusted || !underAttack(login, now) ? free : freeUnderAttack);

  const check = (pairKey: string, ipKey: string, login: string, trusted: boolean, now: number): number => {
    const retryAfter = wait(pairKey, pairLimit(login, trusted, now), now);
    return trusted ? retryAfter : Math.max(retryAfter, wait(ipKey, freeIp, now));
  };

  return {
    /**
     * Seconds to wait before an attempt is admitted, 0 when it would be — without reserving it.
     * For an attempt answered at once (from the verified-credential cache): check, then succeeded().
     */
    retryAfter(ip: string, login: string, trusted: boolean): number {
      if (table.size === 0 && inFlight.size === 0) return 0; // no failures, nothing in flight: the usual case
      return check(`pair:${login}\0${ip}`, `ip:${ip}`, login, trusted, opts.now());
    },
    /** An attempt that was not reserved succeeded: the pair's failures are cleared. */
    succeeded(ip: string, login: string): void {
      if (table.size > 0) table.delete(`pair:${login}\0${ip}`);
    },
    /** Reserves an attempt before the password is hashed, or says how many seconds to wait. */
    admit(ip: string, login: string, trusted: boolean): Admission {
      const now = opts.now();
      const pairKey = `pair:${login}\0${ip}`;
      const ipKey = `ip:${ip}`;
      const retryAfter = check(pairKey, ipKey, login, trusted, now);
      if (retryAfter > 0) return { ok: false, retryAfter };
      inc(pairKey);
      inc(ipKey);
      let open = true;
      const close = (): boolean => {
        if (!open) return false;
        open = false;
        dec(pairKey);
        dec(ipKey);
        return true;
      };
      return {
        ok: true,
        ticket: {
          trusted,
          fail() {
            if (!close()) return;
            const at = opts.now();
            bump(pairKey, pairLimit(login, trusted, at), at);
            bump(ipKey, freeIp, at);
            bump(`login:${login}`, freeLogin, at);
          },
          succeed() {
            if (close()) table.delete(pairKey);
          },
          release() {
            close();
          },
        },
      };
    },
    /** The login has had more failures than its login-wide limit in the window. */
    underAttack(login: string): boolean {
      return underAttack(login, opts.now());
    },
  };
}
export type Throttle = ReturnType<typeof createThrottle>;

/**
 * Trusted (login, address) pairs: an address from which the user logged in successfully, by
 * scrypt or from the verified-credential cache. Kept in memory (bounded) for the hot path and
 * persisted in login_trust so restarts and other nodes honour it:
 * - lasts `ttlMs` (30 days) from the last successful use; in memory every use renews it, the row is
 *   rewritten at most once per `renewEveryMs` (1 hour) per pair — no database write per request;
 * - bound to the user's id and credentials_version: it ends when the credentials change (the
 *   authenticator re-checks it against the user row before hashing) or the user is deleted;
 * - loaded once at first use; a pair another node trusted later is looked up in the table only when
 *   the throttle would refuse it (the only time it matters), with a 30 s negative cache.
 */
export interface LoginTrustOptions {
  now: () => number;
  repo?: LoginTrustRepository;
  ttlMs?: number;
  renewEveryMs?: number;
  maxEntries?: number;
  negativeCacheMs?: number;
}

export function createLoginTrust(opts: LoginTrustOptions) {
  const ttl = opts.ttlMs ?? 30 * 24 * 3600_000;
  const renewEvery = opts.renewEveryMs ?? 3600_000;
  const maxEntries = opts.maxEntries ?? 50_000;
  const negativeMs = opts.negativeCacheMs ?? 30_000;
  const repo = opts.repo;
  const table = new Map<string, { userId: number; version: number; expiresAt: number; writtenAt: number }>();
  const misses = new Map<string, number>();
  let loaded = !repo;
  let loading: Promise<void> | null = null;

  const keyOf = (login: string, ip: string) => `${login}\0${ip}`;
  const put = <V>(m: Map<string, V>, k: string, v: V) => {
    m.delete(k);
    if (m.size >= maxEntries) {
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
    m.set(k, v);
  };

  return {
    /** A promise to await before the first use (the load of persisted pairs), or null once loaded. */
    ready(): Promise<void> | null {
      if (loaded || !repo) return null;
      loading ??= (async () => {
        const now = opts.now();
        try {
          await repo.deleteExpired(now);
          const rows = await repo.loadLive(now, maxEntries);
          // Oldest first, so the most recently renewed pairs survive the size bound.
          for (const r of rows.reverse()) {
            const k = keyOf(r.login, r.ip);
            if (!table.has(k)) put(table, k, { userId: r.userId, version: r.credentialsVersion, expiresAt: r.expiresAt, writtenAt: r.expiresAt - ttl });
          }
        } catch {
          // Trust is a protection against lockouts, not a gate: without the table, pairs are looked up when refused.
        } finally {
          loaded = true;
        }
      })();
      return loading;
    },
    has(login: string, ip: string): boolean {
      const k = keyOf(login, ip);
      const e = table.get(k);
      if (!e) return false;
      if (e.expiresAt > opts.now()) return true;
      table.delete(k);
      return false;
    },
    /** Is the pair's trust that of this user row (same id and credentials)? Drops it when not. */
    matches(login: string, ip: string, user: { id: number; credentials_version: number; is_active: boolean } | undefined): boolean {
      const k = keyOf(login, ip);
      const e = table.get(k);
      if (e && user && user.is_active && e.userId === user.id && e.version === user.credentials_version && e.expiresAt > opts.now()) return true;
      table.delete(k);
      return false;
    },
    /** Looks the pair up in the table (trust another node earned); true when live. */
    async lookup(login: string, ip: string): Promise<boolean> {
      if (!repo) return false;
      const k = keyOf(login, ip);
      const now = opts.now();
      if ((misses.get(k) ?? 0) > now) return false;
      try {
        const r = await repo.find(login, ip, now);
        if (r) {
          put(table, k, { userId: r.userId, version: r.credentialsVersion, expiresAt: r.expiresAt, writtenAt: r.expiresAt - ttl });
          misses.delete(k);
          return true;
        }
      } catch {
        // Unreadable: treat as untrusted, like a miss.
      }
      put(misses, k, now + negativeMs);
      return false;
    },
    /**
     * A successful login from the pair: trust it (again) for `ttlMs`. Returns the database write to
     * await when one is due (the first success, or the first after `renewEveryMs`), else undefined.
     */
    earn(login: string, ip: string, user: { id: number; credentials_version: number }): Promise<void> | undefined {
      const k = keyOf(login, ip);
      const now = opts.now();
      const e = table.get(k);
      if (e && e.userId === user.id && e.version === user.credentials_version) {
        e.expiresAt = now + ttl;
        if (now - e.writtenAt < renewEvery) return undefined;
        e.writtenAt = now;
      } else {
        put(table, k, { userId: user.id, version: user.credentials_version, expiresAt: now + ttl, writtenAt: now });
        misses.delete(k);
      }
      if (!repo) return undefined;
      return repo.upsert({ userId: user.id, ip, credentialsVersion: user.credentials_version, expiresAt: now + ttl }).catch(() => {
        // Retry the write on a use a minute from now; the pair stays trusted in memory meanwhile.
        const cur = table.get(k);
        if (cur) cur.writtenAt = now - renewEvery + 60_000;
      });
    },
    /** The login's credentials changed on this node: every address's trust ends now. */
    forget(login: string): void {
      const prefix = `${login}\0`;
      for (const k of table.keys()) if (k.startsWith(prefix)) table.delete(k);
    },
  };
}
export type LoginTrust = ReturnType<typeof createLoginTrust>;

/**
 * Bounds the password-hashing work (scrypt: ~32 MiB and tens of ms of a libuv thread each):
 * - per address, for untrusted pairs: `perAddress` (2) running, `perAddressQueue` (8) waiting, the
 *   rest refused at once — one address cannot occupy the hashing capacity;
 * - in total: `slots` running (cores × 2, but at most the libuv thread pool less one thread, which
 *   stays free for file and DNS work; scrypt beyond the pool would only queue inside libuv, where
 *   no priority applies), with bounded queues; a trusted pair's work goes before untrusted work.
 * `run` resolves to 'busy' when a queue is full (the caller answers 429 with a short Retry-After).
 */
export interface HashGateOptions {
  slots?: number;
  perAddress?: number;
  perAddressQueue?: number;
  queue?: number;
  trustedQueue?: number;
}

export function defaultHashSlots(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism() * 2, pool - 1));
}

export function createHashGate(opts: HashGateOptions = {}) {
  const slots = opts.slots ?? defaultHashSlots();
  const perAddress = opts.perAddress ?? 2;
  const perAddressQueue = opts.perAddressQueue ?? 8;
  const queueMax = opts.queue ?? 64;
  const trustedQueueMax = opts.trustedQueue ?? 1024;
  let active = 0;
  const trustedQueue: (() => void)[] = [];
  const queue: (() => void)[] = [];
  const addresses = new Map<string, { active: number; waiting: (() => void)[] }>();

  // A released slot is handed to the next waiter directly (the count does not drop), so no newcomer
  // can overtake the queue. Acquisition is synchronous when a slot is free (true), refused when the
  // queue is full (false), else a promise of the slot.
  function acquire(trusted: boolean): boolean | Promise<void> {
    if (active < slots) {
      active++;
      return true;
    }
    const q = trusted ? trustedQueue : queue;
    if (q.length >= (trusted ? trustedQueueMax : queueMax)) return false;
    return new Promise<void>((resolve) => q.push(resolve));
  }
  function release(): void {
    const next = trustedQueue.shift() ?? queue.shift();
    if (next) next();
    else active--;
  }
  function acquireAddress(ip: string): boolean | Promise<void> {
    let a = addresses.get(ip);
    if (!a) {
      a = { active: 0, waiting: [] };
      addresses.set(ip, a);
    }
    if (a.active < perAddress) {
      a.active++;
      return true;
    }
    if (a.waiting.length >= perAddressQueue) return false;
    const w = a.waiting;
    return new Promise<void>((resolve) => w.push(resolve));
  }
  function releaseAddress(ip: string): void {
    const a = addresses.get(ip);
    if (!a) return;
    const next = a.waiting.shift();
    if (next) next();
    else if (--a.active === 0) addresses.delete(ip);
  }

  return {
    async run(ip: string, trusted: boolean, fn: () => Promise<boolean>): Promise<boolean | 'busy'> {
      if (!trusted) {
        const mine = acquireAddress(ip);
        if (mine === false) return 'busy';
        if (mine !== true) await mine;
      }
      try {
        const slot = acquire(trusted);
        if (slot === false) return 'busy';
        if (slot !== true) await slot;
        try {
          return await fn();
        } finally {
          release();
        }
      } finally {
        if (!trusted) releaseAddress(ip);
      }
    },
  };
}
export type HashGate = ReturnType<typeof createHashGate>;
