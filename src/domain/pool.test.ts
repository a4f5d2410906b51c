import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../devices/driver.js';
import { DEFAULT_POOL_POLICY, fnForecast, judgeHealth, mayTakeWork, poolPolicyOf, type HealthInput } from './pool.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const status = (patch: { shift?: Partial<DeviceStatus['shift']>; fn?: Partial<DeviceStatus['fn']>; ofd?: Partial<DeviceStatus['ofd']>; paperPresent?: boolean; marking?: DeviceStatus['marking'] } = {}): DeviceStatus => ({
  dateTime: iso(NOW),
  shift: { state: 'open', number: 3, openedAt: iso(NOW - 3_600_000), expiresAt: iso(NOW + 23 * 3_600_000), receiptsInShift: 5, ...patch.shift },
  lastFdNumber: 40,
  fn: { serial: '9999078900001234', ffdVersion: '120', phase: 'fiscal', expiresAt: iso(NOW + 400 * DAY), memoryUsed: 0.1, ...patch.fn },
  ofd: { unsentCount: 0, oldestUnsentAt: null, ...patch.ofd },
  paperPresent: patch.paperPresent ?? true,
  warnings: [],
  ...(patch.marking !== undefined ? { marking: patch.marking } : {}),
});

const input = (s: DeviceStatus, patch: Partial<HealthInput> = {}): HealthInput => ({
  status: s, policy: DEFAULT_POOL_POLICY, maintenance: false, autoShift: true, poolFfd: '120', previous: null, now: NOW, ...patch,
});
const judge = (s: DeviceStatus, patch: Partial<HealthInput> = {}) => judgeHealth(input(s, patch));
const codes = (s: DeviceStatus, patch: Partial<HealthInput> = {}) => judge(s, patch).reasons.map((r) => r.code);

describe('register health (each rule, and its threshold from the group policy)', () => {
  it('a register with nothing near a limit is healthy', () => {
    expect(judge(status())).toMatchObject({ level: 'healthy', reasons: [], warning: null });
  });

  it('maintenance, an FN out of its fiscal phase or expired, the 30-day OFD block and another FFD version make it unavailable', () => {
    expect(judge(status(), { maintenance: true })).toMatchObject({ level: 'unavailable', reasons: [expect.objectContaining({ code: 'maintenance' })] });
    expect(codes(status({ fn: { phase: 'closed' } }))).toEqual(['fn_not_fiscal']);
    expect(codes(status({ fn: { expiresAt: iso(NOW - 1000) } }))).toEqual(['fn_expired']);
    expect(codes(status({ ofd: { unsentCount: 4, oldestUnsentAt: iso(NOW - 30 * DAY) } }))).toEqual(['ofd_blocked']);
    expect(codes(status({ fn: { ffdVersion: '105' } }))).toEqual(['ffd_mismatch']);
    expect(judge(status({ fn: { ffdVersion: '105' } }), { poolFfd: null }).level).toBe('healthy');
    for (const s of [status({ fn: { phase: 'closed' } }), status({ fn: { expiresAt: iso(NOW - 1000) } })]) expect(judge(s).level).toBe('unavailable');
  });

  it('FN expiry within fn_expiry_days degrades it', () => {
    expect(codes(status({ fn: { expiresAt: iso(NOW + 2 * DAY) } }))).toEqual(['fn_expiring']);
    expect(codes(status({ fn: { expiresAt: iso(NOW + 4 * DAY) } }))).toEqual([]);
    expect(codes(status({ fn: { expiresAt: iso(NOW + 4 * DAY) } }), { policy: { ...DEFAULT_POOL_POLICY, fn_expiry_days: 5 } })).toEqual(['fn_expiring']);
  });

  it('an archive filled above fn_fill_percent degrades it', () => {
    expect(codes(status({ fn: { memoryUsed: 0.9 } }))).toEqual(['fn_filling']);
    expect(codes(status({ fn: { memoryUsed: 0.89 } }))).toEqual([]);
    expect(codes(status({ fn: { memoryUsed: 0.6 } }), { policy: { ...DEFAULT_POOL_POLICY, fn_fill_percent: 60 } })).toEqual(['fn_filling']);
    expect(codes(status({ fn: { memoryUsed: null } }))).toEqual([]);
  });

  it('an unsent document older than ofd_backlog_days degrades it, before the FN blocks at 30', () => {
    expect(codes(status({ ofd: { unsentCount: 1, oldestUnsentAt: iso(NOW - 25 * DAY) } }))).toEqual(['ofd_backlog']);
    expect(codes(status({ ofd: { unsentCount: 1, oldestUnsentAt: iso(NOW - 24 * DAY) } }))).toEqual([]);
    expect(codes(status({ ofd: { unsentCount: 1, oldestUnsentAt: iso(NOW - 10 * DAY) } }), { policy: { ...DEFAULT_POOL_POLICY, ofd_backlog_days: 10 } })).toEqual(['ofd_backlog']);
    // Nothing unsent: an old date the FN left behind is no backlog.
    expect(codes(status({ ofd: { unsentCount: 0, oldestUnsentAt: iso(NOW - 40 * DAY) } }))).toEqual([]);
  });

  it('a blocked FN marking work and an empty paper roll degrade it', () => {
    expect(codes(status({ marking: { blocked: true, unconfirmedNotifications: 3, oldestUnconfirmedAt: null } }))).toEqual(['marking_blocked']);
    expect(codes(status({ marking: { blocked: false, unconfirmedNotifications: 3, oldestUnconfirmedAt: null } }))).toEqual([]);
    expect(codes(status({ paperPresent: false }))).toEqual(['paper_out']);
  });

  it('a shift near its 24 h degrades it only when nobody closes shifts automatically', () => {
    const old = status({ shift: { openedAt: iso(NOW - 23 * 3_600_000 - 40 * 60_000) } });
    expect(codes(old, { autoShift: false })).toEqual(['shift_near_limit']);
    expect(codes(old, { autoShift: true })).toEqual([]);
    expect(codes(status({ shift: { openedAt: iso(NOW - 22 * 3_600_000) } }), { autoShift: false })).toEqual([]);
    expect(codes(status({ shift: { state: 'expired' } }), { autoShift: false })).toEqual(['shift_near_limit']);
    expect(codes(status({ shift: { state: 'closed', openedAt: iso(NOW - 30 * 3_600_000) } }), { autoShift: false })).toEqual([]);
  });

  it('lists hard reasons before soft ones, and the level follows the hardest', () => {
    const h = judge(status({ paperPresent: false }), { maintenance: true });
    expect(h.level).toBe('unavailable');
    expect(h.reasons.map((r) => r.code)).toEqual(['maintenance', 'paper_out']);
  });
});

describe('FN forecasts', () => {
  it('dates the FN expiry and the OFD block, and warns within warn_days of the first', () => {
    const s = status({ fn: { expiresAt: iso(NOW + 20 * DAY) }, ofd: { unsentCount: 2, oldestUnsentAt: iso(NOW - 20 * DAY) } });
    const h = judge(s);
    expect(h.forecast.expiresAt).toBe(NOW + 20 * DAY);
    expect(h.forecast.ofdBlockAt).toBe(NOW + 10 * DAY);
    expect(h.forecast.first).toEqual({ what: 'ofd_block', at: NOW + 10 * DAY });
    expect(h.warning).toEqual({ what: 'ofd_block', at: NOW + 10 * DAY });
    expect(judge(s, { policy: { ...DEFAULT_POOL_POLICY, warn_days: 5 } }).warning).toBeNull();
  });

  it('measures the archive fill rate from a sample and dates the full archive', () => {
    const first = fnForecast(status({ fn: { memoryUsed: 0.5 } }), null, NOW);
    expect(first.sample).toEqual({ fnSerial: '9999078900001234', used: 0.5, at: NOW });
    expect(first.archiveFullAt).toBeNull();
    // 10 days later 0.6: 0.01 per day, 40 days left.
    const later = fnForecast(status({ fn: { memoryUsed: 0.6 } }), first.sample, NOW + 10 * DAY);
    expect(later.sample).toBe(first.sample);
    expect(Math.round(((later.archiveFullAt ?? 0) - (NOW + 10 * DAY)) / DAY)).toBe(40);
    // Within the first hour the rate is not believed yet.
    expect(fnForecast(status({ fn: { memoryUsed: 0.51 } }), first.sample, NOW + 60_000).archiveFullAt).toBeNull();
  });

  it('starts measuring again on a new FN, and knows a full archive without a rate', () => {
    const sample = { fnSerial: '9999078900001234', used: 0.8, at: NOW - 10 * DAY };
    const replaced = fnForecast(status({ fn: { serial: '9999078900005678', memoryUsed: 0.01 } }), sample, NOW);
    expect(replaced.sample).toEqual({ fnSerial: '9999078900005678', used: 0.01, at: NOW });
    expect(fnForecast(status({ fn: { memoryUsed: 1 } }), null, NOW).archiveFullAt).toBe(NOW);
  });
});

describe('routing', () => {
  it('the best live registers take the work; maintenance never does', () => {
    expect(mayTakeWork('healthy', false, null)).toBe(true);
    expect(mayTakeWork('healthy', false, 'healthy')).toBe(true);
    expect(mayTakeWork('degraded', false, 'healthy')).toBe(false);
    expect(mayTakeWork('degraded', false, 'degraded')).toBe(true);
    expect(mayTakeWork('degraded', false, null)).toBe(true);
    expect(mayTakeWork('unavailable', false, 'degraded')).toBe(false);
    // A lone register whose FN refuses still gets the receipts: its device answers for itself.
    expect(mayTakeWork('unavailable', false, null)).toBe(true);
    expect(mayTakeWork('healthy', true, null)).toBe(false);
  });
});

describe('pool policy', () => {
  it('fills the defaults and ignores stored values outside the limits', () => {
    expect(poolPolicyOf(null)).toEqual(DEFAULT_POOL_POLICY);
    expect(poolPolicyOf({ fn_expiry_days: 7, fn_fill_percent: 250, warn_days: 'x' })).toEqual({ ...DEFAULT_POOL_POLICY, fn_expiry_days: 7 });
  });
});
