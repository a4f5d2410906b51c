import type { DeviceStatus } from '../devices/driver.js';
import type { GroupRecord } from '../storage/groups.js';

// Close a minute early: the FN refuses receipts once 24 h have passed (domain.md §2.2), and the
// close-shift report itself must be made before that limit.
const MARGIN_MS = 60_000;

/**
 * Whether the open shift must be closed now: it has reached the group's shift duration (≤ 24 h),
 * has already expired on the device, or the group's daily close time has passed since it opened.
 */
export function shiftCloseDue(status: DeviceStatus, group: Pick<GroupRecord, 'shift_duration_min' | 'daily_close_time'>, now: number): boolean {
  if (status.shift.state === 'closed') return false;
  if (status.shift.state === 'expired') return true;
  if (!status.shift.openedAt) return false;
  const opened = Date.parse(status.shift.openedAt);
  const limit = Math.min(group.shift_duration_min, 24 * 60) * 60_000;
  if (now - opened >= limit - MARGIN_MS) return true;
  if (group.daily_close_time) {
    const m = /^(\d{2}):(\d{2})$/.exec(group.daily_close_time);
    if (m) {
      const offset = status.shift.openedAt.slice(19); // "+03:00" — the device's own zone
      const day = new Date(now + offsetMs(offset)).toISOString().slice(0, 10);
      const closeAt = Date.parse(`${day}T${m[1]}:${m[2]}:00${offset || 'Z'}`);
      if (opened < closeAt && now >= closeAt) return true;
    }
  }
  return false;
}

function offsetMs(offset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

/**
 * How long until the open shift reaches the group's duration limit (less the margin): an idle
 * worker wakes by then even when its housekeeping interval is longer. Null: no open shift.
 */
export function shiftLimitIn(status: DeviceStatus, group: Pick<GroupRecord, 'shift_duration_min'>, now: number): number | null {
  if (status.shift.state !== 'open' || !status.shift.openedAt) return null;
  const limit = Math.min(group.shift_duration_min, 24 * 60) * 60_000;
  return Math.max(0, Date.parse(status.shift.openedAt) + limit - MARGIN_MS - now);
}
