/** Calendar dates as the API accepts them; a date that does not exist (31.02) is refused. */

export function isoDate(y: number, m: number, d: number): string | null {
  if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1) return null;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days) return null;
  return `${y.toString().padStart(4, '0')}-${m.toString().padStart(2, '0')}-${d.toString().padStart(2, '0')}`;
}

/** `dd.mm.yyyy`, `dd:mm:yyyy` (as the original text wrote it) or `yyyy-mm-dd` → `yyyy-mm-dd`. */
export function parseCorrectionDate(text: string): string | null {
  let m = /^(\d{2})[.:](\d{2})[.:](\d{4})$/.exec(text.trim());
  if (m) return isoDate(Number(m[3]), Number(m[2]), Number(m[1]));
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return null;
}

/** `yyyymmdd` (the original's format) or `yyyy-mm-dd` → `yyyy-mm-dd`. */
export function parseQueryDate(text: string): string | null {
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return null;
}
