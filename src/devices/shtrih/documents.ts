/**
 * Reading the FN archive: FF0A finds a document (type, date, FD, FP, sum), FF3A + FF3B stream its
 * TLV, which becomes the FiscalDocument (and its FNS JSON).
 */
import { FNS_JSON_WRAPPERS, type FiscalDocument, type FiscalDocumentKind } from '../driver.js';
import type { OperationType } from '../../domain/enums.js';
import { isTaxSystem } from '../../domain/enums.js';
import { CMD, decodeFoundDocument, decodeTlvDocumentInfo, encodeFdRequest } from './commands.js';
import type { FoundDocument } from './commands.js';
import { printedFiscalSign, tlvsToJson, wallSecondsToIso } from './ffd-json.js';
import { concat, u16 } from './bytes.js';
import { decodeTlvs, readVln, tlvText } from './tlv.js';
import type { Tlv } from './tlv.js';
import type { Session } from './session.js';

/** FF0A/FF3B answer "no data" (FN error 0x08) when the document or the TLV stream has ended. */
const NO_DATA = 0x08;

export function kindOfDocType(docType: number): FiscalDocumentKind {
  switch (docType) {
    case 1: case 11: return 'registration';
    case 2: return 'openShift';
    case 3: case 4: return 'receipt';
    case 5: return 'closeShift';
    case 6: return 'closeArchive';
    case 31: case 41: return 'correction';
    default: return 'stateReport';
  }
}


export async function findDocument(s: Session, fd: number): Promise<FoundDocument | null> {
  if (fd <= 0) return null;
  const a = await s.try(CMD.fnFindDocument, encodeFdRequest(s.password, fd), [NO_DATA]);
  return a.error === NO_DATA ? null : decodeFoundDocument(a.data);
}

/** The document's TLV body as FF3B streams it. */
export async function readDocumentBytes(s: Session, fd: number): Promise<Uint8Array> {
  const info = decodeTlvDocumentInfo(await s.call(CMD.fnRequestDocumentTlv, encodeFdRequest(s.password, fd)));
  const chunks: Uint8Array[] = [];
  let received = 0;
  // FF3B hands out the document's TLV bytes piece by piece until it answers "no data".
  for (let guard = 0; received < info.length && guard < 10_000; guard++) {
    const a = await s.try(CMD.fnReadDocumentTlv, undefined, [NO_DATA]);
    if (a.error === NO_DATA) break;
    chunks.push(a.data);
    received += a.data.length;
  }
  return concat(chunks);
}

export const readDocumentTlvs = async (s: Session, fd: number): Promise<Tlv[]> => decodeTlvs(await readDocumentBytes(s, fd));

export async function readDocument(s: Session, fd: number): Promise<FiscalDocument | null> {
  const found = await findDocument(s, fd);
  if (!found) return null;
  const body = await readDocumentBytes(s, fd);
  return toFiscalDocument(s, found, body);
}

function toFiscalDocument(s: Session, found: FoundDocument, body: Uint8Array): FiscalDocument {
  const tlvs = decodeTlvs(body);
  const first = (tag: number): Tlv | undefined => tlvs.find((t) => t.tag === tag);
  const num = (tag: number): number | null => {
    const t = first(tag);
    return t ? readVln(t.value) : null;
  };
  const kind = kindOfDocType(found.docType);
  const isReceipt = kind === 'receipt' || kind === 'correction';
  const dateTag = first(1012);
  const signTag = first(1077);
  const tax = num(1055);
  const op = num(1054) ?? found.operationType;
  const buyer = first(1008);
  return {
    fdNumber: found.fdNumber,
    kind,
    dateTime: dateTag ? wallSecondsToIso(readVln(dateTag.value), s.time) : s.iso(found.dateTime),
    fiscalSign: String(signTag ? printedFiscalSign(signTag.value) : found.fiscalSign),
    shiftNumber: num(1038) ?? found.shiftNumber ?? 0,
    receiptInShift: isReceipt ? num(1042) : null,
    operationType: isReceipt && op !== null && op >= 1 && op <= 4 ? (op as OperationType) : null,
    taxSystem: tax !== null && isTaxSystem(tax) ? (tax) : null,
    totalSum: isReceipt ? (num(1020) ?? found.total) : null,
    buyerContact: buyer ? tlvText(buyer) : null,
    itemCount: isReceipt ? tlvs.filter((t) => t.tag === 1059).length : null,
    json: { [FNS_JSON_WRAPPERS[kind]]: { code: found.docType, ...tlvsToJson(tlvs) } },
    // The FN's container: document type as the tag, then the body FF3B streamed.
    rawTlv: Buffer.from(concat([u16(found.docType), u16(body.length), body])).toString('base64'),
  };
}

/**
 * The device does not report when the shift was opened; the open-shift report in the FN archive
 * does. Walk back from the last FD (a shift holds its receipts plus a few reports).
 */
export async function findShiftOpening(s: Session, shiftNumber: number, lastFd: number, receiptsInShift: number): Promise<FoundDocument | null> {
  const limit = receiptsInShift + 50;
  for (let fd = lastFd, steps = 0; fd > 0 && steps < limit; fd--, steps++) {
    const doc = await findDocument(s, fd);
    if (!doc) continue;
    if (doc.docType === 2 && (doc.shiftNumber === null || doc.shiftNumber === shiftNumber)) return doc;
    if (doc.docType === 5) return null; // reached the previous shift's close
  }
  return null;
}
