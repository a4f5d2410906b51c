import type { Logger } from 'pino';
import type { FiscalDocument } from '../devices/driver.js';
import type { AuditRepository } from '../storage/audit.js';
import type { Fence } from '../storage/fence.js';
import type { DeviceRepository } from '../storage/devices.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { ReceiptRepository } from '../storage/receipts.js';

/** Documents read from the device per pass: a long backlog is worked off between receipts, not before them. */
export const RECONCILE_BATCH = 50;

export interface ReconcileDeps {
  fence: Fence;
  groupId: number;
  devices: Pick<DeviceRepository, 'reconciledFd' | 'setReconciledFd'>;
  receipts: Pick<ReceiptRepository, 'ownedFds' | 'maxOwnedFd'>;
  orphans: OrphanRepository;
  /** With the audit journal on, each new orphan's entry is written by orphans.record, with its row. */
  audit?: AuditRepository;
  logger: Logger;
  now: () => number;
  lastFd(): Promise<number>;
  document(n: number): Promise<FiscalDocument | null>;
  /** A fenced write changed nothing: throws (the worker stops). */
  stale(operation: string, target: string): Promise<never>;
  /**
   * The watermark as this worker last read or wrote it. Only the lease holder writes it (fenced), so
   * while the lease holds the stored value is this one: a pass reads it from the database once per
   * worker, not once per pass (a thousand idle registers' housekeeping).
   */
  watermark?: { value: number | null };
}

/**
 * One pass over the FN journal from where the last pass stopped: every receipt or correction
 * document that no receipt owns is recorded as an orphan, written to the audit journal and logged
 * as an error (the dashboard and /metrics show the unacknowledged ones). Runs in the device worker
 * between receipts, when no receipt of this device is in flight and every success it knows of is
 * saved, so "owned by nobody" means exactly that. Shift reports are skipped: no receipt owns them.
 * Returns true when the journal is checked up to the device's last document.
 *
 * The first pass of a device starts after the highest document its receipts own (or at the current
 * last document for a device without receipts): what the FN held before cr-server drove it is not
 * cr-server's to account for.
 */
export async function reconcileJournal(d: ReconcileDeps): Promise<boolean> {
  const last = await d.lastFd();
  let from = d.watermark?.value ?? (await d.devices.reconciledFd(d.fence.deviceId));
  if (from === null) {
    from = (await d.receipts.maxOwnedFd(d.fence.deviceId)) ?? last;
    if (!(await d.devices.setReconciledFd(d.fence, from))) await d.stale('journal_watermark', `device:${d.fence.deviceId}`);
  }
  if (d.watermark) d.watermark.value = from;
  if (from >= last) return true;
  const to = Math.min(last, from + RECONCILE_BATCH);
  const owned = await d.receipts.ownedFds(d.fence.deviceId, from + 1, to);
  for (let n = from + 1; n <= to; n++) {
    if (owned.has(n)) continue;
    const doc = await d.document(n);
    if (!doc || (doc.kind !== 'receipt' && doc.kind !== 'correction')) continue;
    const entry = {
      userId: null,
      login: null,
      ip: null,
      action: 'device.orphan_document',
      target: `device:${d.fence.deviceId}`,
      details: { fd_number: n, kind: doc.kind, total: doc.totalSum, document_at: doc.dateTime, fiscal_sign: doc.fiscalSign, service_group: d.groupId, node: d.fence.owner },
    };
    // The row and its audit entry in one transaction (orphans.record).
    const fresh = await d.orphans.record(
      {
        deviceId: d.fence.deviceId,
        groupId: d.groupId,
        fdNumber: n,
        kind: doc.kind,
        total: doc.totalSum,
        documentAt: doc.dateTime,
        fiscalSign: doc.fiscalSign,
        foundBy: d.fence.owner,
      },
      d.now(),
      d.audit ? entry : undefined,
    );
    if (!fresh) continue;
    d.logger.error({ fd: n, kind: doc.kind, total: doc.totalSum, dateTime: doc.dateTime }, 'a fiscal document in the FN journal belongs to no receipt');
  }
  if (!(await d.devices.setReconciledFd(d.fence, to))) await d.stale('journal_watermark', `device:${d.fence.deviceId}`);
  if (d.watermark) d.watermark.value = to;
  return to >= last;
}
