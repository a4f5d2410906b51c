/**
 * Every number, sum of money, quantity and date the dashboard shows is formatted here, so the lists,
 * the receipt page and the charts agree (Russian: «1 069,80», a comma before the kopecks).
 */
export type Lang = 'ru' | 'en';

const LOCALE: Record<Lang, string> = { ru: 'ru-RU', en: 'en-GB' };

const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(lang: Lang, minFrac: number, maxFrac: number): Intl.NumberFormat {
  const key = `${lang}|${minFrac}|${maxFrac}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE[lang], { minimumFractionDigits: minFrac, maximumFractionDigits: maxFrac });
    numberFormats.set(key, f);
  }
  return f;
}

const DASH = '—';

/** A count or an amount: `fraction` digits exactly (0 for counts). */
export function formatNumber(n: number | null | undefined, lang: Lang, fraction = 0): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : numberFormat(lang, fraction, fraction).format(n);
}

/**
 * Roubles as the API writes them ("1069.8", "459.90", 150): always two decimals. The API sends
 * decimal strings; a string that is not a number is shown as it is rather than as NaN.
 */
export function formatMoney(value: string | number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === '') return DASH;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? numberFormat(lang, 2, 2).format(n) : String(value);
}

/** Roubles with the currency sign: «1 069,80 ₽». */
export function formatRoubles(value: string | number | null | undefined, lang: Lang): string {
  const s = formatMoney(value, lang);
  return s === DASH ? s : `${s} ₽`;
}

/** A quantity ("1.5", 2): as many decimals as it has, up to the 3 of tag 1023 (weights in kg). */
export function formatQuantity(value: string | number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === '') return DASH;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? numberFormat(lang, 0, 6).format(n) : String(value);
}

/** A share 0..1 as a percentage with one decimal. */
export function formatPercent(share: number | null | undefined, lang: Lang): string {
  return share === null || share === undefined ? DASH : `${numberFormat(lang, 1, 1).format(share * 100)} %`;
}

/** An ISO instant in the browser's time zone, short date and time. */
export function formatDateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(LOCALE[lang], { dateStyle: 'short', timeStyle: 'short' });
}

/** A chart axis label for a "YYYY-MM-DD" day: «05.03». */
export function formatDay(day: string): string {
  return `${day.slice(8, 10)}.${day.slice(5, 7)}`;
}
