import { createHmac, randomBytes } from 'node:crypto';
import { TAG } from './tags.js';
import type { DocCode } from './tags.js';
import { encodeTlv } from '../ffd/tag-list.js';
import type { TagList } from '../ffd/tag-list.js';

/**
 * The emulator's fiscal sign (domain.md §3). A real FN computes a GOST MAC with a key that never
 * leaves it; the emulator uses HMAC-SHA256 with a per-device secret over the canonical TLV of the
 * document without 1077, and prints the first 4 bytes big-endian as an unsigned decimal. It is
 * reproducible and verifiable by cr-server, and fails any real FNS/OFD check, as it must.
 */

export const newDeviceSecret = (): Buffer => randomBytes(32);

export interface SignableDocument {
  code: DocCode;
  tags: TagList;
}

function canonicalBytes(doc: SignableDocument): Buffer {
  // The container code is part of the signed bytes, so a receipt cannot pass as a correction.
  const withoutSign = doc.tags.filter((e) => e[0] !== TAG.fiscalSign);
  return encodeTlv([[doc.code, withoutSign]]);
}

export function computeFiscalSign(secret: Uint8Array, doc: SignableDocument): string {
  const mac = createHmac('sha256', secret).update(canonicalBytes(doc)).digest();
  return String(mac.readUInt32BE(0));
}

/** True when the document's 1077 is the sign of its other tags under this secret. */
export function verifyFiscalSign(secret: Uint8Array, doc: SignableDocument): boolean {
  const stored = doc.tags.find(([t]) => t === TAG.fiscalSign)?.[1];
  if (typeof stored !== 'number') return false;
  return String(stored) === computeFiscalSign(secret, doc);
}
