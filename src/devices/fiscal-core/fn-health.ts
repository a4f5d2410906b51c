import { DAY_MS } from './datetime.js';
import type { FnFlags } from './documents.js';
import { rejected } from './errors.js';
import type { FnIdentity } from './identity.js';
import type { UnsentSummary } from './store.js';
import type { DocKind } from './tags.js';

/** FN warning flags (FF01 bits / tags 1050–1053, domain.md §2.3). */
export const OFD_TIMEOUT_MS = 2 * DAY_MS;
export const OFD_BLOCK_MS = 30 * DAY_MS;
export const FN_EXPIRES_SOON_MS = 30 * DAY_MS;
export const FN_REPLACE_URGENTLY_MS = 3 * DAY_MS;
export const MEMORY_ALMOST_FULL = 0.9;

export type FnWarning = 'ofd_timeout' | 'fn_memory_almost_full' | 'fn_expires_soon' | 'fn_replace_urgently';

export interface HealthInput {
  now: number;
  identity: FnIdentity;
  fdNumber: number;
  unsent: UnsentSummary;
}

export const memoryUsed = (i: Pick<HealthInput, 'identity' | 'fdNumber'>): number =>
  Math.min(1, i.fdNumber / i.identity.archiveCapacity);

export function fnFlags(i: HealthInput): FnFlags {
  const left = i.identity.expiresAt - i.now;
  return {
    // Like the FN's 1050, "resource ends within 30 days" stays set while the urgent flag is set too.
    exhaustion: left < FN_EXPIRES_SOON_MS,
    replaceUrgently: left < FN_REPLACE_URGENTLY_MS,
    memoryFull: memoryUsed(i) >= MEMORY_ALMOST_FULL,
    ofdTimeout: i.unsent.oldestAt !== null && i.now - i.unsent.oldestAt > OFD_TIMEOUT_MS,
  };
}

export function fnWarnings(i: HealthInput): FnWarning[] {
  const f = fnFlags(i);
  const out: FnWarning[] = [];
  if (f.ofdTimeout) out.push('ofd_timeout');
  if (f.memoryFull) out.push('fn_memory_almost_full');
  if (f.exhaustion) out.push('fn_expires_soon');
  if (f.replaceUrgently) out.push('fn_replace_urgently');
  return out;
}

/**
 * The FN's refusals that do not depend on the document's content. A close-shift report and the
 * archive-close report are still allowed on an expired, full or OFD-blocked FN: a real FN keeps
 * room for closing the shift and the archive, otherwise an FN at its end could never be closed
 * (and a backlog of unsent documents is sent after the close, the report with them).
 */
export function checkFnAccepts(kind: DocKind, i: HealthInput & { lastDocumentAt: number }): void {
  // Seconds: documents carry 1012 at seconds precision, so two in the same second are in order.
  if (Math.floor(i.now / 1000) < Math.floor(i.lastDocumentAt / 1000)) {
    throw rejected('invalid_datetime', `device clock is before the last document`);
  }
  if (kind === 'closeShift' || kind === 'closeArchive') return;
  if (i.now >= i.identity.expiresAt) throw rejected('fn_expired');
  if (i.fdNumber >= i.identity.archiveCapacity) throw rejected('fn_memory_full');
  if (i.unsent.oldestAt !== null && i.now - i.unsent.oldestAt >= OFD_BLOCK_MS) {
    throw rejected('ofd_backlog', `document ${i.unsent.firstNumber ?? '?'} is unsent since ${new Date(i.unsent.oldestAt).toISOString()}`);
  }
}
