/** Buyer contact rules for tag 1008 (String 64). */

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/u;

export function normalizeEmail(value: string): string | null {
  const v = value.trim();
  if (v.length === 0 || v.length > 64 || !EMAIL_RE.test(v)) return null;
  return v;
}

/**
 * Spaces, dashes, brackets, dots and `+` are stripped; 10–15 digits must remain. Russian numbers
 * (10 digits, or 11 starting with 7 or 8) are written +7XXXXXXXXXX as tag 1008 expects.
 */
export function normalizePhone(value: string): string | null {
  const stripped = value.trim().replace(/[\s\-().+]/g, '');
  if (!/^\d{10,15}$/.test(stripped)) return null;
  if (stripped.length === 10) return `+7${stripped}`;
  if (stripped.length === 11 && (stripped.startsWith('8') || stripped.startsWith('7'))) return `+7${stripped.slice(1)}`;
  return `+${stripped}`;
}
