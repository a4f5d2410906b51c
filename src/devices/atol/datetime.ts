/**
 * ATOL firmware reports local device time; depending on the driver version the string carries
 * an offset ("2024-03-01T12:30:00+03:00") or not ("2024-03-01T12:30:00", also "2024.03.01 12:30:00").
 * cr-server wants ISO-8601 with the device's offset, so a missing offset is filled in from the
 * configured `timezone_offset`.
 */
const OFFSET_RE = /^[+-]\d{2}:\d{2}$/;

export const isOffset = (s: string): boolean => OFFSET_RE.test(s);

export function normalizeDateTime(value: unknown, offset: string): string {
  if (typeof value !== 'string' || value === '') return '';
  const m = /^(\d{4})[-.](\d{2})[-.](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return value;
  const [, y, mo, d, h, mi, s, tz] = m;
  let zone = tz ?? offset;
  if (zone === 'Z') zone = '+00:00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${zone}`;
}

/** Adds hours to an ISO date-time keeping its offset (24 h shift window arithmetic). */
export function addHours(iso: string, hours: number): string | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const zone = /([+-]\d{2}:\d{2})$/.exec(iso)?.[1] ?? '+00:00';
  const sign = zone.startsWith('-') ? -1 : 1;
  const offMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const local = new Date(ms + hours * 3_600_000 + offMin * 60_000);
  return `${local.toISOString().slice(0, 19)}${zone}`;
}
