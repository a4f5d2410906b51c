import { QUANTITY_SCALE } from '../../domain/quantity.js';
import type { TagList } from './tag-list.js';
import { FFD_TAGS, jsonNameOf } from './tags.js';
import { wallIso } from './wall-time.js';

type Json = Record<string, unknown>;

/**
 * A document's tags in the FNS receipt-check JSON form (docs/domain.md §1.2): names by format
 * version (1209), money in kopecks, 1023 as a decimal number, UnixTime as "YYYY-MM-DDTHH:MM:SS"
 * local time, repeated STLVs (1059, 1119) as arrays. Tags outside the table keep their number.
 */
export function fnsJsonBody(tags: TagList, format: number): Json {
  const out: Json = {};
  for (const [tag, value] of tags) {
    const spec = FFD_TAGS[tag];
    const name = jsonNameOf(tag, format);
    const rendered = Array.isArray(value)
      ? fnsJsonBody(value as TagList, format)
      : spec?.type === 'fvln' && typeof value === 'number'
        ? value / QUANTITY_SCALE
        : spec?.type === 'unixtime' && typeof value === 'number'
          ? wallIso(value)
          : value;
    if (spec?.repeated) {
      const list = Array.isArray(out[name]) ? (out[name] as unknown[]) : [];
      list.push(rendered);
      out[name] = list;
    } else {
      out[name] = rendered;
    }
  }
  return out;
}
