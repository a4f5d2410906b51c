import { isVat1199 } from '../../domain/enums.js';
import type { OperationType, TaxSystem } from '../../domain/enums.js';
import { isTaxSystem } from '../../domain/enums.js';
import { QUANTITY_SCALE } from '../../domain/quantity.js';
import type { FiscalDocument } from '../driver.js';
import { formatDeviceTime } from './datetime.js';
import type { StoredDocument } from './store.js';
import { DOC_JSON_KEYS, TAG, TAG_SPECS, docKindOf } from './tags.js';
import { tagLists, tagNumber, tagString } from './tlv.js';
import type { TagList } from './tlv.js';
import { VAT_TOTALS } from './vat.js';

type Json = Record<string, unknown>;

/** FFD 1.2 JSON renames 1055 (domain.md §1.2). */
const FFD12 = 4;

function render(tags: TagList, ffd: number): Json {
  const out: Json = {};
  for (const [tag, value] of tags) {
    const name = tag === TAG.taxSystem && ffd >= FFD12 ? 'appliedTaxationType' : (TAG_SPECS[tag]?.json ?? String(tag));
    if (tag === TAG.item) {
      const items = (out.items as Json[] | undefined) ?? [];
      items.push(render(value as TagList, ffd));
      out.items = items;
    } else if (Array.isArray(value)) {
      out[name] = render(value as TagList, ffd);
    } else if (tag === TAG.quantity && typeof value === 'number') {
      out[name] = value / QUANTITY_SCALE;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/**
 * The FNS/OFD JSON form of a document, wrapped by type: {"receipt": {...}}. Money stays in kopecks,
 * dateTime in unix seconds, as in the FNS export. The receipt totals of the 2025–2026 VAT rates,
 * which have no FFD tag (vat.ts), are added from the items under nds5/nds7/ndsCalculated5/...
 */
export function toFnsJson(doc: StoredDocument): Json {
  const ffd = tagNumber(doc.tags, TAG.ffdVersion) ?? 2;
  const body: Json = { code: doc.code, ...render(doc.tags, ffd) };
  const untagged = new Map<string, number>();
  for (const item of tagLists(doc.tags, TAG.item)) {
    const rate = tagNumber(item, TAG.vatRate);
    if (rate === null || !isVat1199(rate) || VAT_TOTALS[rate].tag !== null) continue;
    const json = VAT_TOTALS[rate].json;
    untagged.set(json, (untagged.get(json) ?? 0) + (tagNumber(item, TAG.itemVat) ?? 0));
  }
  for (const [json, sum] of untagged) body[json] = sum;
  return { [DOC_JSON_KEYS[doc.code]]: body };
}

const isOperationType = (n: number | null): n is OperationType => n === 1 || n === 2 || n === 3 || n === 4;

/** The driver-facing view of a journal document. */
export function toFiscalDocument(doc: StoredDocument, offsetMinutes: number): FiscalDocument {
  const kind = docKindOf(doc.code);
  const payment = kind === 'receipt' || kind === 'correction';
  const op = tagNumber(doc.tags, TAG.operationType);
  const tax = tagNumber(doc.tags, TAG.taxSystem);
  return {
    fdNumber: doc.fdNumber,
    kind,
    dateTime: formatDeviceTime((tagNumber(doc.tags, TAG.dateTime) ?? 0) * 1000, offsetMinutes),
    fiscalSign: doc.fiscalSign,
    shiftNumber: tagNumber(doc.tags, TAG.shiftNumber) ?? 0,
    receiptInShift: payment ? tagNumber(doc.tags, TAG.receiptInShift) : null,
    operationType: payment && isOperationType(op) ? op : null,
    taxSystem: payment && tax !== null && isTaxSystem(tax) ? (tax satisfies TaxSystem) : null,
    totalSum: payment ? tagNumber(doc.tags, TAG.total) : null,
    buyerContact: tagString(doc.tags, TAG.buyerContact),
    itemCount: payment ? tagLists(doc.tags, TAG.item).length : null,
    json: toFnsJson(doc),
  };
}
