import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { forbiddenCharacter } from '../domain/text.js';
import type { LoginTrustRepository } from '../storage/login-trust.js';
import type { UserRepository, UserRecord } from '../storage/users.js';
import { verifyPassword, type PasswordVerifier } from './passwords.js';
import { createHashGate, createLoginTrust, createThrottle, type HashGateOptions, type Throttle, type Ticket } from './throttle.js';
import type { LoginFailure } from './login-failures.js';

export interface AuthenticatedUser {
  id: number;
  login: string;
  isSuperuser: boolean;
}

interface CacheEntry {
  /** Keyed MAC of (user id, credentials_version, password hash, login, password). */
  mac: Buffer;
  user: UserRecord;
  expires: number;
  /** performance.now() when the user row was last read from the database. */
  checkedAt: number;
}

/**
 * How long a verified user row is trusted without reading it again. A password change, deactivation
 * or deletion made on this node evicts the entry at once (forget); one made on another node —
 * including deleting a login and creating it again — takes effect here within this delay: the
 * re-read row must have the entry's user id, credentials version and password hash to match.
 */
export const USER_RECHECK_MS = 1000;

export interface AuthenticatorDeps {
  users: UserRepository;
  now: () => number;
  cacheSize?: number;
  cacheTtlMs?: number;
  throttle?: Throttle;
  /** Persistent login trust (table login_trust); without it trust lives in this process only. */
  trust?: LoginTrustRepository;
  /** The password check (scrypt); injectable so tests count the runs. */
  verifyPassword?: PasswordVerifier;
  /** Bounds on concurrent hashing, per address and in total. */
  hashing?: HashGateOptions;
  /** A refused login (the audit journal's `auth.login_failed`; bounded by its consumer). */
  onFailure?: (failure: LoginFailure) => void;
}

const rateLimited = (code: string, message: string, retryAfter: number): DomainError => {
  const e = new DomainError('rate_limited', { code, message });
  e.retryAfter = retryAfter;
  return e;
};

/**
 * Basic-auth verification. scrypt costs ~40 ms of CPU, so running it on every request would cap the
 * API at ~50 req/s per core. A verified (login, password) pair is cached as a keyed MAC under a
 * per-process random key — the password itself is never kept — bound to the user's id,
 * credentials_version and password hash: a changed password or status, or a login deleted and
 * created again, never matches an old entry. The cache is bounded (LRU by insertion) and entries
 * expire.
 *
 * Order of a check: reserve the attempt in the throttle (before any hashing, so a burst cannot pass
 * before its failures count), then the cache, then the user row, then scrypt through the hash gate
 * (bounded per address and in total, trusted pairs first) with single flight. Unknown logins,
 * deactivated logins and wrong passwords all cost exactly one scrypt. Every success — from scrypt
 * or from the cache — makes the (login, address) pair trusted (see createLoginTrust).
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  const key = randomBytes(32).toString('hex');
  const cache = new Map<string, CacheEntry>();
  const max = deps.cacheSize ?? 10_000;
  const ttl = deps.cacheTtlMs ?? 5 * 60_000;
  const throttle = deps.throttle ?? createThrottle({ now: deps.now });
  const trust = createLoginTrust({ now: deps.now, ...(deps.trust ? { repo: deps.trust } : {}) });
  const gate = createHashGate(deps.hashing);
  const hasher = deps.verifyPassword ?? verifyPassword;
  const inFlight = new Map<string, Promise<boolean | 'busy'>>();
  const attempts = new Map<string, Promise<UserRecord>>();
  // A keyed one-shot sha256 (the key is secret and the digest never leaves the process, so no HMAC
  // construction is needed): a quarter of createHmac's cost on every authenticated request. The
  // fields before the password are fixed by the user row, so none can be shifted into another.
  const macOf = (u: UserRecord, login: string, password: string) =>
    hash('sha256', `${key}\0${u.id}\0${u.credentials_version}\0${u.password_hash}\0${login}\0${password}`, 'buffer');

  function remember(login: string, mac: Buffer, user: UserRecord): void {
    cache.delete(login);
    if (cache.size >= max) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(login, { mac, user, expires: deps.now() + ttl, checkedAt: performance.now() });
  }

  const tooMany = (login: string, ip: string, retryAfter: number) => {
    deps.onFailure?.({ login, ip, reason: 'locked' });
    return rateLimited('too_many_failed_logins', 'Too many failed logins; try again later', retryAfter);
  };
  const busy = () => rateLimited('login_busy', 'Too many logins are being checked; try again in a moment', 1);

  /**
   * One scrypt, bounded by the hash gate. Single flight: N connections opening at once with the
   * same credentials run it once, not N times in parallel. The key includes the login, so attempts
   * on different unknown logins (all checked against the dummy hash) never share a run — sharing
   * would tell them apart from existing logins by timing.
   */
  function check(login: string, password: string, stored: string, ip: string, trusted: boolean): Promise<boolean | 'busy'> {
    const flightKey = hash('sha256', `${key}\0${stored}\0${login}\0${password}`, 'hex');
    let p = inFlight.get(flightKey);
    if (!p) {
      p = gate.run(ip, trusted, () => hasher(password, stored)).finally(() => inFlight.delete(flightKey));
      inFlight.set(flightKey, p);
    }
    return p;
  }

  async function succeed(ticket: Ticket, login: string, ip: string, user: UserRecord): Promise<UserRecord> {
    ticket.succeed();
    const write = trust.earn(login, ip, user);
    if (write) await write;
    return user;
  }

  // The reason is for the journal only: the client always gets the same answer, so an inactive
  // login cannot be told from a wrong password.
  function fail(ticket: Ticket, login: string, ip: string, reason: 'bad_credentials' | 'inactive'): never {
    ticket.fail();
    deps.onFailure?.({ login, ip, reason });
    throw new DomainError('unauthenticated', { code: 'invalid_credentials', message: 'Invalid login or password' });
  }

  /** Everything after the reservation and a cache miss: the user row, then one scrypt. */
  async function slowPath(first: Ticket, login: string, password: string, ip: string): Promise<UserRecord> {
    let ticket = first;
    try {
      // A login no user can have (a NUL, other control characters: PostgreSQL refuses NUL in text
      // outright) is an unknown login — looked up nowhere, hashed like any other.
      const user = forbiddenCharacter(login) === null ? await deps.users.findByLogin(login) : undefined;
      // Admitted as trusted: the trust must be this user's with these credentials, else it is
      // over (password or status changed, login recreated) and the attempt counts as untrusted.
      if (ticket.trusted && !trust.matches(login, ip, user)) {
        ticket.release();
        const a = throttle.admit(ip, login, false);
        if (!a.ok) throw tooMany(login, ip, a.retryAfter);
        ticket = a.ticket;
      }
      const active = user?.is_active ? user : undefined;
      if (active) {
        const mac = macOf(active, login, password);
        const hit = cache.get(login);
        if (hit && hit.user.id === active.id && hit.user.credentials_version === active.credentials_version && hit.expires > deps.now() && timingSafeEqual(hit.mac, mac)) {
          hit.user = active;
          hit.checkedAt = performance.now();
          return await succeed(ticket, login, ip, active);
        }
        const ok = await check(login, password, active.password_hash, ip, ticket.trusted);
        if (ok === 'busy') throw busy();
        if (!ok) return fail(ticket, login, ip, 'bad_credentials');
        remember(login, mac, active);
        return await succeed(ticket, login, ip, active);
      }
      cache.delete(login);
      // The same work as a wrong password — one scrypt — whether the login is unknown (against a
      // dummy hash) or deactivated (against its own), so neither can be told apart by timing.
      const ok = await check(login, password, user?.password_hash ?? DUMMY_HASH, ip, ticket.trusted);
      if (ok === 'busy') throw busy();
      return fail(ticket, login, ip, user ? 'inactive' : 'bad_credentials');
    } finally {
      // No verdict (an error, or no hashing capacity): the reservation is returned uncounted.
      ticket.release();
    }
  }

  return {
    /** Verifies login/password; throws 401 (invalid) or 429 (throttled, or no hashing capacity). Inactive users are refused. */
    async verify(login: string, password: string, ip: string): Promise<UserRecord> {
      const loading = trust.ready();
      if (loading) await loading;
      // Identical concurrent attempts from one address (a backend opening many connections at once)
      // are one attempt: one reservation, one verdict. From here to the registration below nothing
      // awaits, so no identical attempt can slip in between (the key is only computed off the hot path).
      let attempt: string | undefined;
      const attemptKey = () => (attempt ??= hash('sha256', `${key}\0${ip}\0${login}\0${password}`, 'hex'));
      if (attempts.size > 0) {
        const same = attempts.get(attemptKey());
        if (same) return same;
      }
      let trusted = trust.has(login, ip);
      let wait = throttle.retryAfter(ip, login, trusted);
      if (wait > 0 && !trusted && (await trust.lookup(login, ip))) {
        // Refused as untrusted, but another node trusts the pair (the only time the table is read).
        trusted = true;
        wait = throttle.retryAfter(ip, login, true);
        const same = attempts.get(attemptKey());
        if (same) return same;
      }
      if (wait > 0) throw tooMany(login, ip, wait);
      // The hot path: answered from the cache (no reservation needed: nothing is awaited before
      // the verdict), the pair's trust renewed in memory.
      const fresh = cache.get(login);
      if (fresh && fresh.expires > deps.now() && performance.now() - fresh.checkedAt < USER_RECHECK_MS && timingSafeEqual(fresh.mac, macOf(fresh.user, login, password))) {
        throttle.succeeded(ip, login);
        const write = trust.earn(login, ip, fresh.user);
        if (write) await write;
        return fresh.user;
      }
      const a = throttle.admit(ip, login, trusted);
      if (!a.ok) throw tooMany(login, ip, a.retryAfter);
      const ticket = a.ticket;
      const k = attemptKey();
      const p = slowPath(ticket, login, password, ip);
      attempts.set(k, p);
      const done = () => {
        if (attempts.get(k) === p) attempts.delete(k);
      };
      p.then(done, done);
      return p;
    },
    /** The login's credentials or status changed on this node: cached verifications and address trust end now. */
    forget(login: string): void {
      cache.delete(login);
      trust.forget(login);
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
