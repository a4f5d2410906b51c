import type { Logger } from 'pino';
import type { AuditRepository } from '../storage/audit.js';
import type { Fence } from '../storage/fence.js';

/** A fenced write changed nothing: another node holds the device now. Ends the worker. */
export class LeaseGone extends Error {
  override name = 'LeaseGone';
}

/** Throws LeaseGone (after logging and auditing it) when a fenced write changed nothing. */
export type Fenced = (ok: boolean, operation: string, target: string, details?: Record<string, unknown>) => Promise<void>;
/** Logs and audits a refused write, then throws LeaseGone. */
export type Stale = (operation: string, target: string, details?: Record<string, unknown>) => Promise<never>;

/**
 * A fenced write changed nothing: the receipt (or job, or device row) is no longer this epoch's to
 * write. Logged and audited, never retried: the worker stops and its successor owns the device,
 * resolving whatever this worker left from the FN's own counters.
 */
export function staleWrites(d: { fence: Fence; deviceId: number; groupId: number; logger: Logger; audit?: AuditRepository; now: () => number }): { stale: Stale; fenced: Fenced } {
  const { fence, logger } = d;
  const stale: Stale = async (operation, target, details = {}) => {
    logger.error({ operation, target, owner: fence.owner, epoch: fence.epoch, ...details }, 'stale write refused: this node no longer holds the device lease');
    try {
      await d.audit?.write(
        { userId: null, login: null, ip: null, action: 'device.stale_write', target, details: { operation, node: fence.owner, epoch: fence.epoch, device: d.deviceId, service_group: d.groupId, ...details } },
        d.now(),
      );
    } catch (e) {
      logger.error({ err: e }, 'cannot audit a stale write');
    }
    throw new LeaseGone(`${operation} on ${target}: the lease moved on from epoch ${fence.epoch}`);
  };
  const fenced: Fenced = async (ok, operation, target, details) => {
    if (!ok) await stale(operation, target, details);
  };
  return { stale, fenced };
}
