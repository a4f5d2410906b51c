import { isMeasure } from './enums.js';
import type { MarkingCheckRequest } from './ffd12.js';
import { isPlannedStatus } from './ffd12.js';
import type { FiscalReceipt } from './receipt.js';

/**
 * Shapes of what the database stores in JSON and enumerated columns, shared by storage (which
 * parses them once when it reads a row), services and workers. Pure types and guards, no I/O.
 */

/** What `receipts.request` holds: the normalized receipt plus the client's order reference as sent. */
export type StoredRequest = FiscalReceipt & { orderId: number | string | null };

/** What `receipts.error` holds: why a receipt failed, is in doubt, or was put back in the queue. */
export interface ReceiptError {
  code: string;
  message: string;
  device_code?: string | null;
  retryable?: boolean;
}

/** `devices.state`: whether the node driving the device runs its worker, and whether it failed. */
export type DeviceState = 'stopped' | 'running' | 'error';
export const DEVICE_STATES: readonly DeviceState[] = ['stopped', 'running', 'error'];

export type JobState = 'pending' | 'processing' | 'success' | 'failed';
export const JOB_STATES: readonly JobState[] = ['pending', 'processing', 'success', 'failed'];

export type JobKind = 'open_shift' | 'close_shift' | 'x_report' | 'document' | 'documents' | 'marking_check' | 'close_archive';
export const JOB_KINDS: readonly JobKind[] = ['open_shift', 'close_shift', 'x_report', 'document', 'documents', 'marking_check', 'close_archive'];

/** The parameters each kind of manual device job carries (`device_jobs.params`). */
export interface JobParams {
  open_shift: null;
  close_shift: null;
  x_report: null;
  /** Read one FN document by its number. */
  document: { fd: number };
  /** Read a page of FN documents, newest first, below `before` (null: from the last one). */
  documents: { before: number | null; limit: number };
  /** Check one marking code with the FN and the marking operator, then decline it (no receipt). */
  marking_check: MarkingCheckRequest;
  /** Close the FN archive (the report on closing the FN, document 6): the FN replacement flow. */
  close_archive: null;
}

/** A job's kind with its parameters: narrowing on `kind` types `params`. */
export type JobRequest = { [K in JobKind]: { kind: K; params: JobParams[K] } }[JobKind];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The parameters `kind` takes, checked: a job the worker cannot run must be refused when it is
 * queued, not found broken when the worker reads it. Undefined when `params` does not fit.
 */
export function jobRequest(kind: JobKind, params: unknown): JobRequest | undefined {
  switch (kind) {
    case 'open_shift':
    case 'close_shift':
    case 'x_report':
    case 'close_archive':
      return params === null || params === undefined ? { kind, params: null } : undefined;
    case 'document':
      return isRecord(params) && Number.isSafeInteger(params.fd) ? { kind, params: { fd: Number(params.fd) } } : undefined;
    case 'marking_check': {
      if (!isRecord(params) || typeof params.code !== 'string' || !isPlannedStatus(params.plannedStatus) || !isMeasure(params.measure)) return undefined;
      const quantity = params.quantity ?? null;
      if (quantity !== null && !Number.isSafeInteger(quantity)) return undefined;
      const f = params.fractional ?? null;
      if (f !== null && !(isRecord(f) && Number.isSafeInteger(f.numerator) && Number.isSafeInteger(f.denominator))) return undefined;
      return {
        kind,
        params: {
          code: params.code, plannedStatus: params.plannedStatus, measure: params.measure, quantity: quantity === null ? null : Number(quantity),
          fractional: f === null ? null : { numerator: Number(f.numerator), denominator: Number(f.denominator) }, offline: params.offline === true,
        },
      };
    }
    case 'documents': {
      if (!isRecord(params) || !Number.isSafeInteger(params.limit)) return undefined;
      const before = params.before ?? null;
      if (before !== null && !Number.isSafeInteger(before)) return undefined;
      return { kind, params: { before: before === null ? null : Number(before), limit: Number(params.limit) } };
    }
  }
}
