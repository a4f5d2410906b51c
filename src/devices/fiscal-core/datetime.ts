/**
 * Device-local time. A KKT keeps local time; cr-server reports it as ISO-8601 with the device's
 * UTC offset at seconds precision ("2026-10-22T14:43:50+03:00"). FFD UnixTime tags hold the real
 * instant in unix seconds.
 */

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

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function formatDeviceTime(ms: number, offsetMinutes: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * MINUTE_MS);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${date}T${time}${formatOffset(offsetMinutes)}`;
}

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** "2026-10-01" → unix seconds of local midnight of that day (tag 1178). */
export function localDateToUnix(date: string, offsetMinutes: number): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const check = new Date(utc);
  if (check.getUTCMonth() !== Number(m[2]) - 1 || check.getUTCDate() !== Number(m[3])) return null;
  return unixSeconds(utc - offsetMinutes * MINUTE_MS);
}
