/**
 * FFD UnixTime values (1012, 1098, 1178, …) hold the register's local wall-clock time written as if
 * it were UTC: a receipt closed at 08:00:57 in Yekaterinburg (+05:00) carries 08:00:57, the time
 * its QR code (`t=…T0800`) and its print show. The FNS receipt-check export renders them as
 * "2026-12-01T08:00:57", with no offset (docs/domain.md §1.1).
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The wall-clock seconds of instant `ms` on a clock `offsetMinutes` east of UTC. */
export const wallSecondsAt = (ms: number, offsetMinutes: number): number =>
  Math.floor(ms / 1000) + offsetMinutes * 60;

/** The instant (ms) a wall-clock reading stands for. */
export const instantOfWall = (wallSeconds: number, offsetMinutes: number): number =>
  (wallSeconds - offsetMinutes * 60) * 1000;

/** "2026-12-01T08:00:57": the FNS JSON form. */
export function wallIso(wallSeconds: number): string {
  const d = new Date(wallSeconds * 1000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-12-01T08:00:57+05:00": the wall reading with the register's offset (the API form). */
export const wallIsoWithOffset = (wallSeconds: number, offsetMinutes: number): string =>
  `${wallIso(wallSeconds)}${formatOffset(offsetMinutes)}`;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Wall-clock seconds of an ISO date or date-time. Without an offset the text already is the wall
 * reading; with one it names an instant, shown on the register's clock. Null when not a real date.
 */
export function wallSecondsOfIso(text: string, offsetMinutes: number): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  if (h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  const zone = m[7];
  if (zone === undefined) return utc / 1000;
  const zoneMinutes = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  return utc / 1000 - zoneMinutes * 60 + offsetMinutes * 60;
}
