/**
 * Failed-login throttling per IP and per login: after a number of failures in `windowMs`, each
 * further attempt is refused for an exponentially growing delay (capped). Three keys:
 * - (login, IP): 5 free failures — a guesser is stopped quickly;
 * - IP: 50 — one office or shop backend shares an IP, a misconfigured client must not lock out the rest;
 * - login, from anywhere: 100 — slows a distributed guess.
 * An address that has logged in successfully as a login is trusted for it: only its own (login, IP)
 * failures count there, so an attacker spraying wrong passwords cannot lock a web shop's API user
 * out of fiscalization from the shop's own servers.
 * Bounded memory: the oldest entries are dropped when the table is full, which can only make
 * throttling laxer, never lock out a legitimate user.
 */
export function createThrottle(opts: { now: () => number; freeAttempts?: number; freeAttemptsPerIp?: number; freeAttemptsPerLogin?: number; windowMs?: number; maxDelayMs?: number; maxEntries?: number }) {
  const free = opts.freeAttempts ?? 5;
  const freeIp = opts.freeAttemptsPerIp ?? 50;
  const freeLogin = opts.freeAttemptsPerLogin ?? 100;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const maxDelay = opts.maxDelayMs ?? 15 * 60_000;
  const maxEntries = opts.maxEntries ?? 50_000;
  const table = new Map<string, { failures: number; first: number; blockedUntil: number }>();
  const trusted = new Map<string, true>();

  const bump = (key: string, limit: number) => {
    const now = opts.now();
    let e = table.get(key);
    if (!e || now - e.first > windowMs) e = { failures: 0, first: now, blockedUntil: 0 };
    e.failures += 1;
    if (e.failures >= limit) e.blockedUntil = now + Math.min(maxDelay, 1000 * 2 ** Math.min(20, e.failures - limit));
    table.delete(key);
    if (table.size >= maxEntries) {
      const oldest = table.keys().next().value;
      if (oldest !== undefined) table.delete(oldest);
    }
    table.set(key, e);
  };
  const wait = (key: string) => {
    const e = table.get(key);
    if (!e) return 0;
    return Math.max(0, Math.ceil((e.blockedUntil - opts.now()) / 1000));
  };

  return {
    fail(ip: string, login: string): void {
      bump(`ip:${ip}`, freeIp);
      bump(`pair:${login}\0${ip}`, free);
      bump(`login:${login}`, freeLogin);
    },
    succeed(ip: string, login: string): void {
      const pair = `${login}\0${ip}`;
      table.delete(`pair:${pair}`);
      trusted.delete(pair);
      if (trusted.size >= maxEntries) {
        const oldest = trusted.keys().next().value;
        if (oldest !== undefined) trusted.delete(oldest);
      }
      trusted.set(pair, true);
    },
    /** Seconds to wait, 0 when allowed. */
    retryAfter(ip: string, login: string): number {
      const pair = `${login}\0${ip}`;
      if (trusted.has(pair)) return wait(`pair:${pair}`);
      return Math.max(wait(`ip:${ip}`), wait(`pair:${pair}`), wait(`login:${login}`));
    },
  };
}
export type Throttle = ReturnType<typeof createThrottle>;
