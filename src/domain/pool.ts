import type { DeviceStatus } from '../devices/driver.js';

/**
 * Register pools: which registers of a service group may take new receipts, and the FN lifecycle
 * forecasts that decide it ahead of time. Pure: the device worker judges its own register with
 * `judgeHealth` after each status read, and `mayTakeWork` decides, from the peers' stored levels,
 * whether it claims the next receipt of the group's queue.
 */

/**
 * - healthy: fit for work.
 * - degraded: near a limit (FN expiry or fill, OFD backlog age, marking block, shift age, paper).
 * - unavailable: cannot register (maintenance, FN not fiscal or expired, the OFD backlog at its
 *   30-day block, another FFD version than the pool's).
 * Routing (mayTakeWork) gives the work to the best live registers of the pool.
 */
export type HealthLevel = 'healthy' | 'degraded' | 'unavailable';
export const HEALTH_LEVELS: readonly HealthLevel[] = ['healthy', 'degraded', 'unavailable'];

/**
 * A register's place in its pool, set by the admin: active; maintenance («обслуживание»: no new
 * work, drained — FN replacement, re-registration; still driven, so it resolves what it holds and
 * runs manual operations); retired (left the pool: no longer driven, kept because receipts name it).
 */
export type RegisterService = 'active' | 'maintenance' | 'retired';
export const REGISTER_SERVICES: readonly RegisterService[] = ['active', 'maintenance', 'retired'];

export type HealthReasonCode =
  | 'maintenance'
  | 'fn_not_fiscal'
  | 'fn_expired'
  | 'fn_expiring'
  | 'fn_filling'
  | 'ofd_blocked'
  | 'ofd_backlog'
  | 'marking_blocked'
  | 'shift_near_limit'
  | 'paper_out'
  | 'ffd_mismatch';

export interface HealthReason {
  code: HealthReasonCode;
  message: string;
}

/** A group's thresholds (service_groups.pool_policy); every field has a default. */
export interface PoolPolicy {
  /** The FN expires within this many days: degraded. */
  fn_expiry_days: number;
  /** The FN archive is filled above this share, in percent: degraded. */
  fn_fill_percent: number;
  /** The oldest document not yet sent to the OFD is older than this many days: degraded. */
  ofd_backlog_days: number;
  /** Without automatic shift management: the shift is within this many minutes of its 24 h. */
  shift_margin_min: number;
  /** Forecasts closer than this many days are warnings (banner, audit entry, metric). */
  warn_days: number;
}

export const DEFAULT_POOL_POLICY: Readonly<PoolPolicy> = {
  fn_expiry_days: 3,
  fn_fill_percent: 90,
  ofd_backlog_days: 25,
  shift_margin_min: 30,
  warn_days: 15,
};

export const POOL_POLICY_KEYS = Object.keys(DEFAULT_POOL_POLICY) as readonly (keyof PoolPolicy)[];

/** Limits of each threshold, for validation at the edge. */
export const POOL_POLICY_LIMITS: Readonly<Record<keyof PoolPolicy, readonly [number, number]>> = {
  fn_expiry_days: [0, 365],
  fn_fill_percent: [1, 100],
  ofd_backlog_days: [1, 29],
  shift_margin_min: [0, 720],
  warn_days: [1, 365],
};

/**
 * 54-FZ art. 4.1 p. 3 / FN rules: an FN that has not handed a document to the OFD for 30 days
 * blocks (it refuses new documents until the backlog is sent).
 */
export const OFD_BLOCK_DAYS = 30;

const DAY = 86_400_000;

/** The FN's fill level at a moment: the rate of its archive's use is measured from it. */
export interface FillSample {
  fnSerial: string;
  used: number;
  at: number;
}

/** When each limit of the FN is reached at the current pace (epoch ms; null: unknown or never). */
export interface FnForecast {
  /** The FN's key validity ends (status.fn.expiresAt). */
  expiresAt: number | null;
  /** The archive is full at the fill rate measured since `sample.at`. */
  archiveFullAt: number | null;
  /** The oldest unsent document reaches the 30-day OFD block. */
  ofdBlockAt: number | null;
  /** The first of them (what a warning names). */
  first: { what: 'expiry' | 'archive' | 'ofd_block'; at: number } | null;
  /** Where the fill rate is measured from; kept in the stored health so restarts keep measuring. */
  sample: FillSample | null;
}

export interface Health {
  level: HealthLevel;
  reasons: HealthReason[];
  forecast: FnForecast;
  /** The forecast's first limit when it is within the policy's warn_days (a warning stands). */
  warning: { what: 'expiry' | 'archive' | 'ofd_block'; at: number } | null;
  /** When the worker judged it (epoch ms). */
  at: number;
}

/** A fill rate needs the archive to have moved over at least this long to be believed. */
const MIN_SAMPLE_MS = 3_600_000;

function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

export function fnForecast(status: DeviceStatus, previous: FillSample | null, now: number): FnForecast {
  const expiresAt = parseTime(status.fn.expiresAt);
  const oldest = parseTime(status.ofd.oldestUnsentAt);
  const ofdBlockAt = status.ofd.unsentCount > 0 && oldest !== null ? oldest + OFD_BLOCK_DAYS * DAY : null;
  const used = status.fn.memoryUsed;
  let sample: FillSample | null = previous;
  let archiveFullAt: number | null = null;
  if (used === null) sample = null;
  else if (!sample || sample.fnSerial !== status.fn.serial || used < sample.used) {
    // A new FN (replaced) or a first reading: measure from here.
    sample = { fnSerial: status.fn.serial, used, at: now };
  } else if (now - sample.at >= MIN_SAMPLE_MS && used > sample.used) {
    const perMs = (used - sample.used) / (now - sample.at);
    archiveFullAt = Math.round(now + (1 - used) / perMs);
  }
  if (used !== null && used >= 1) archiveFullAt = now;
  const candidates: { what: 'expiry' | 'archive' | 'ofd_block'; at: number }[] = [];
  if (expiresAt !== null) candidates.push({ what: 'expiry', at: expiresAt });
  if (archiveFullAt !== null) candidates.push({ what: 'archive', at: archiveFullAt });
  if (ofdBlockAt !== null) candidates.push({ what: 'ofd_block', at: ofdBlockAt });
  candidates.sort((a, b) => a.at - b.at);
  return { expiresAt, archiveFullAt, ofdBlockAt, first: candidates[0] ?? null, sample };
}

export interface HealthInput {
  status: DeviceStatus;
  policy: PoolPolicy;
  maintenance: boolean;
  /** The group manages shifts itself (auto_open_shift): the 24 h limit is then the worker's job. */
  autoShift: boolean;
  /** The FFD version the group's receipts are validated against (its first register's); null: unknown. */
  poolFfd: string | null;
  previous: FillSample | null;
  now: number;
}

const days = (ms: number) => Math.max(0, Math.floor(ms / DAY));

/** The register's fitness for new receipts, from what its FN last reported. */
export function judgeHealth(input: HealthInput): Health {
  const { status, policy, now } = input;
  const forecast = fnForecast(status, input.previous, now);
  const hard: HealthReason[] = [];
  const soft: HealthReason[] = [];
  if (input.maintenance) hard.push({ code: 'maintenance', message: 'The register is in maintenance («обслуживание»)' });
  if (status.fn.phase !== 'fiscal') hard.push({ code: 'fn_not_fiscal', message: `The FN is in phase ${status.fn.phase}, not fiscal` });
  if (forecast.expiresAt !== null && forecast.expiresAt <= now) hard.push({ code: 'fn_expired', message: 'The FN key validity has ended' });
  else if (forecast.expiresAt !== null && forecast.expiresAt - now <= policy.fn_expiry_days * DAY) {
    soft.push({ code: 'fn_expiring', message: `The FN expires in ${days(forecast.expiresAt - now)} day(s)` });
  }
  if (input.poolFfd !== null && status.fn.ffdVersion !== input.poolFfd) {
    hard.push({ code: 'ffd_mismatch', message: `The register works under FFD ${status.fn.ffdVersion}, the pool under ${input.poolFfd}` });
  }
  const used = status.fn.memoryUsed;
  if (used !== null && used * 100 >= policy.fn_fill_percent) soft.push({ code: 'fn_filling', message: `The FN archive is ${Math.round(used * 100)} % full` });
  if (forecast.ofdBlockAt !== null && forecast.ofdBlockAt <= now) {
    hard.push({ code: 'ofd_blocked', message: `A document has waited for the OFD ${OFD_BLOCK_DAYS} days: the FN blocks` });
  } else if (forecast.ofdBlockAt !== null && forecast.ofdBlockAt - OFD_BLOCK_DAYS * DAY + policy.ofd_backlog_days * DAY <= now) {
    soft.push({ code: 'ofd_backlog', message: `The oldest unsent document is ${days(now - (forecast.ofdBlockAt - OFD_BLOCK_DAYS * DAY))} day(s) old` });
  }
  if (status.marking?.blocked) soft.push({ code: 'marking_blocked', message: 'The FN blocks marking work until its notifications are confirmed' });
  if (!input.autoShift && status.shift.state !== 'closed') {
    const opened = parseTime(status.shift.openedAt);
    if (status.shift.state === 'expired' || (opened !== null && now - opened >= 24 * 3_600_000 - policy.shift_margin_min * 60_000)) {
      soft.push({ code: 'shift_near_limit', message: 'The shift is near its 24 h limit and closes only by hand' });
    }
  }
  if (!status.paperPresent) soft.push({ code: 'paper_out', message: 'Out of paper' });
  const level: HealthLevel = hard.length > 0 ? 'unavailable' : soft.length > 0 ? 'degraded' : 'healthy';
  const warning = forecast.first !== null && forecast.first.at - now <= policy.warn_days * DAY ? forecast.first : null;
  return { level, reasons: [...hard, ...soft], forecast, warning, at: now };
}

const RANK: Readonly<Record<HealthLevel, number>> = { healthy: 0, degraded: 1, unavailable: 2 };

/** The better of two levels (null: none). */
export function better(a: HealthLevel | null, b: HealthLevel | null): HealthLevel | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * Whether a register claims the next receipt of its group: the best live registers of the pool take
 * the work. A register in maintenance never does (it is drained); otherwise one takes work unless a
 * live peer outside maintenance is strictly better — so a lone register near a limit, or even one
 * whose FN refuses, behaves as before pools (its device answers for itself), while in a pool the
 * work goes around it. What a register holds in doubt it resolves whatever its level.
 */
export function mayTakeWork(own: HealthLevel, maintenance: boolean, bestPeer: HealthLevel | null): boolean {
  if (maintenance) return false;
  return bestPeer === null || RANK[own] <= RANK[bestPeer];
}

/** A stored pool_policy, or the defaults where a field is missing or out of its limits. */
export function poolPolicyOf(stored: Partial<Record<keyof PoolPolicy, unknown>> | null): PoolPolicy {
  const out: PoolPolicy = { ...DEFAULT_POOL_POLICY };
  if (!stored) return out;
  for (const key of Object.keys(DEFAULT_POOL_POLICY) as (keyof PoolPolicy)[]) {
    const v = stored[key];
    const [min, max] = POOL_POLICY_LIMITS[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) out[key] = v;
  }
  return out;
}
