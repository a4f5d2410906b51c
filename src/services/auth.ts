import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { UserRepository, UserRow } from '../storage/users.js';
import { verifyPassword } from './passwords.js';
import { createThrottle, type Throttle } from './throttle.js';

export interface AuthenticatedUser {
  id: number;
  login: string;
  isSuperuser: boolean;
}

interface CacheEntry {
  mac: Buffer;
  user: UserRow;
  expires: number;
  /** performance.now() when the user row was last read from the database. */
  checkedAt: number;
}

// How long a verified user row is trusted without reading it again. A password change or
// deactivation made on this node evicts the entry at once (forget); one made on another node
// takes effect here within this delay.
const USER_RECHECK_MS = 1000;

/**
 * Basic-auth verification. scrypt costs ~40 ms of CPU, so running it on every request would cap the
 * API at ~50 req/s per core. A verified (login, password) pair is cached as an HMAC under a
 * per-process random key — the password itself is never kept — together with the user's
 * credentials_version; a password or status change bumps the version and the entry stops
 * matching. The cache is bounded (LRU by insertion) and entries expire.
 */
export function createAuthenticator(deps: { users: UserRepository; now: () => number; cacheSize?: number; cacheTtlMs?: number; throttle?: Throttle }) {
  const key = randomBytes(32).toString('hex');
  const cache = new Map<string, CacheEntry>();
  const max = deps.cacheSize ?? 10_000;
  const ttl = deps.cacheTtlMs ?? 5 * 60_000;
  const throttle = deps.throttle ?? createThrottle({ now: deps.now });
  const inFlight = new Map<string, Promise<boolean>>();
  // A keyed one-shot sha256 (the key is secret and the digest never leaves the process, so no HMAC
  // construction is needed): a quarter of createHmac's cost on every authenticated request. The
  // cache is keyed by login, so login and password cannot be shifted into each other.
  const macOf = (login: string, password: string) => hash('sha256', `${key}\0${login}\0${password}`, 'buffer');

  function remember(login: string, mac: Buffer, user: UserRow): void {
    cache.delete(login);
    if (cache.size >= max) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(login, { mac, user, expires: deps.now() + ttl, checkedAt: performance.now() });
  }

  const fail = (ip: string, login: string): never => {
    throttle.fail(ip, login);
    throw new DomainError('unauthenticated', { code: 'invalid_credentials', message: 'Invalid login or password' });
  };

  return {
    throttle,
    /** Verifies login/password; throws 401 (invalid) or 429 (throttled). Inactive users are refused. */
    async verify(login: string, password: string, ip: string): Promise<UserRow> {
      const wait = throttle.retryAfter(ip, login);
      if (wait > 0) {
        const e = new DomainError('rate_limited', { code: 'too_many_failed_logins', message: 'Too many failed logins; try again later' });
        e.retryAfter = wait;
        throw e;
      }
      const mac = macOf(login, password);
      const fresh = cache.get(login);
      if (fresh && fresh.expires > deps.now() && performance.now() - fresh.checkedAt < USER_RECHECK_MS && timingSafeEqual(fresh.mac, mac)) {
        return fresh.user;
      }
      const user = await deps.users.findByLogin(login);
      if (!user || user.is_active !== 1) {
        cache.delete(login);
        // Spend comparable time whether or not the login exists, so logins cannot be enumerated by timing.
        if (!user) await verifyPassword(password, DUMMY_HASH);
        return fail(ip, login);
      }
      const hit = cache.get(login);
      if (hit && hit.user.credentials_version === user.credentials_version && hit.expires > deps.now() && timingSafeEqual(hit.mac, mac)) {
        hit.user = user;
        hit.checkedAt = performance.now();
        return user;
      }
      // Single flight: N connections opening at once with the same credentials run scrypt (32 MiB,
      // ~40 ms) once, not N times in parallel.
      const flightKey = `${login}\0${mac.toString('hex')}\0${user.credentials_version}`;
      let check = inFlight.get(flightKey);
      if (!check) {
        check = verifyPassword(password, user.password_hash).finally(() => inFlight.delete(flightKey));
        inFlight.set(flightKey, check);
      }
      if (!(await check)) return fail(ip, login);
      remember(login, mac, user);
      throttle.succeed(ip, login);
      return user;
    },
    forget(login: string): void {
      cache.delete(login);
    },
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;

// A valid hash of a random password: verifying against it costs the same as a real check.
const DUMMY_HASH = `scrypt$32768$8$1$${randomBytes(16).toString('base64')}$${createHash('sha256').update(randomBytes(8)).digest('base64')}`;

/** Parses `Authorization: Basic base64(login:password)`; null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { login: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return null;
  return { login: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
