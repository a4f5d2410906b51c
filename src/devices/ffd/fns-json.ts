import { QUANTITY_SCALE } from '../../domain/quantity.js';
import type { TagList } from './tag-list.js';
import { FFD_TAGS, jsonNameOf } from './tags.js';
import { wallIso } from './wall-time.js';
import { productIdType } from '../../domain/marking-code.js';
import type { ProductCodeKey } from '../../domain/marking-code.js';

const PRODUCT_CODE = 1163;

/**
 * 1163 as FNS-exported 1.2 receipts show it: the sub-tag's name holding the code and what it
 * encodes, `{"gs1m": {"rawProductCode": "0104…215…", "gtin": "04…", "sernum": "5…", "productIdType": 6}}`.
 */
function productCodeJson(sub: TagList): Json {
  const out: Json = {};
  for (const [tag, value] of sub) {
    const name = jsonNameOf(tag, 4) as ProductCodeKey;
    const raw = String(value);
    const entry: Json = { rawProductCode: raw };
    // A GS1 code in 1163 is 01 + GTIN-14 + 21 + serial, without its crypto tail.
    const gs1 = /^01(\d{14})21(.+)$/.exec(raw);
    if ((name === 'gs1m' || name === 'gs1') && gs1) {
      entry.gtin = gs1[1];
      entry.sernum = gs1[2];
    }
    entry.productIdType = productIdType(name);
    out[name] = entry;
  }
  return out;
}

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
    const rendered = tag === PRODUCT_CODE && Array.isArray(value)
      ? productCodeJson(value as TagList)
      : Array.isArray(value)
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
