import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../devices/driver.js';
import { shiftCloseDue } from './shift-policy.js';

const status = (state: 'open' | 'closed' | 'expired', openedAt: string | null): DeviceStatus => ({
  dateTime: '',
  shift: { state, number: 1, openedAt, expiresAt: null, receiptsInShift: 0 },
  lastFdNumber: 1,
  fn: { serial: '', ffdVersion: '105', phase: 'fiscal', expiresAt: null, memoryUsed: null },
  ofd: { unsentCount: 0, oldestUnsentAt: null },
  paperPresent: true,
  warnings: [],
});
const at = (iso: string) => Date.parse(iso);
const group = (shift_duration_min: number, daily_close_time: string | null = null) => ({ shift_duration_min, daily_close_time });

describe('when the worker closes a shift', () => {
  it('never for a closed shift; always for an expired one', () => {
    expect(shiftCloseDue(status('closed', null), group(1440), at('2026-11-28T12:00:00Z'))).toBe(false);
    expect(shiftCloseDue(status('expired', '2026-11-27T09:00:00+03:00'), group(1440), at('2026-11-28T12:00:00Z'))).toBe(true);
  });

  it('a minute before the group’s shift duration, and never later than 24 h', () => {
    const opened = '2026-11-28T09:00:00+03:00';
    expect(shiftCloseDue(status('open', opened), group(480), at('2026-11-28T13:58:00+03:00'))).toBe(false);
    expect(shiftCloseDue(status('open', opened), group(480), at('2026-11-28T16:59:00+03:00'))).toBe(true);
    expect(shiftCloseDue(status('open', opened), group(5000), at('2026-11-29T08:59:30+03:00'))).toBe(true);
  });

  it('at the daily close time of the device’s own time zone, for a shift opened before it', () => {
    const g = group(1440, '23:30');
    expect(shiftCloseDue(status('open', '2026-11-28T09:00:00+03:00'), g, at('2026-11-28T23:29:00+03:00'))).toBe(false);
    expect(shiftCloseDue(status('open', '2026-11-28T09:00:00+03:00'), g, at('2026-11-28T23:30:00+03:00'))).toBe(true);
    // Opened after today's close time: runs into tomorrow's.
    expect(shiftCloseDue(status('open', '2026-11-28T23:40:00+03:00'), g, at('2026-11-28T23:50:00+03:00'))).toBe(false);
    expect(shiftCloseDue(status('open', '2026-11-28T23:40:00+03:00'), g, at('2026-11-29T23:31:00+03:00'))).toBe(true);
  });
});
