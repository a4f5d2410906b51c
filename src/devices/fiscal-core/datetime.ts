/**
 * Device-local time. A KKT keeps local time; cr-server reports it as ISO-8601 with the device's
 * UTC offset at seconds precision ("2026-10-22T14:43:50+03:00"). FFD UnixTime tags hold the wall
 * clock itself (../ffd/wall-time.ts).
 */

import { wallIsoWithOffset, wallSecondsAt } from '../ffd/wall-time.js';

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** "+03:00" → 180 (minutes east of UTC). */
export function parseUtcOffset(offset: string): number {
  const m = OFFSET_RE.exec(offset);
  if (!m) throw new RangeError(`bad UTC offset "${offset}", expected ±HH:MM`);
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 14 * 60) throw new RangeError(`UTC offset out of range: ${offset}`);
  return m[1] === '-' ? -minutes : minutes;
}

export function isUtcOffset(offset: string): boolean {
  try {
    parseUtcOffset(offset);
    return true;
  } catch {
    return false;
  }
}

export const formatDeviceTime = (ms: number, offsetMinutes: number): string =>
  wallIsoWithOffset(wallSecondsAt(ms, offsetMinutes), offsetMinutes);
