import type { OperationType, TaxSystem } from '../../domain/enums.js';
import { isTaxSystem } from '../../domain/enums.js';
import type { FiscalDocument } from '../driver.js';
import { fnsJsonBody } from '../ffd/fns-json.js';
import { encodeTlv, tagLists, tagNumber, tagString } from '../ffd/tag-list.js';
import { wallIsoWithOffset } from '../ffd/wall-time.js';
import type { StoredDocument } from './store.js';
import { DOC_JSON_KEYS, TAG, docKindOf } from './tags.js';

type Json = Record<string, unknown>;

/** The FNS JSON form of a document, wrapped by type: {"receipt": {...}} (ffd/fns-json.ts). */
export function toFnsJson(doc: StoredDocument): Json {
  const format = tagNumber(doc.tags, TAG.ffdVersion) ?? 2;
  return { [DOC_JSON_KEYS[doc.code]]: { code: doc.code, ...fnsJsonBody(doc.tags, format) } };
}

/** The document as the FN stores it: the container TLV (code, length, tags), CP866 strings. */
export const rawTlv = (doc: StoredDocument): Buffer => encodeTlv([[doc.code, doc.tags]], { form: 'fn' });

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
    dateTime: wallIsoWithOffset(tagNumber(doc.tags, TAG.dateTime) ?? 0, offsetMinutes),
    fiscalSign: doc.fiscalSign,
    shiftNumber: tagNumber(doc.tags, TAG.shiftNumber) ?? 0,
    receiptInShift: payment ? tagNumber(doc.tags, TAG.receiptInShift) : null,
    operationType: payment && isOperationType(op) ? op : null,
    taxSystem: payment && tax !== null && isTaxSystem(tax) ? (tax satisfies TaxSystem) : null,
    totalSum: payment ? tagNumber(doc.tags, TAG.total) : null,
    buyerContact: tagString(doc.tags, TAG.buyerContact),
    itemCount: payment ? tagLists(doc.tags, TAG.item).length : null,
    json: toFnsJson(doc),
    rawTlv: rawTlv(doc).toString('base64'),
  };
}
