import { DomainError, notFound } from '../domain/errors.js';
import type { JobKind, JobParams } from '../domain/records.js';
import type { Fault, FaultControl, FiscalDocument, FiscalDriver } from '../devices/driver.js';
import { isMeasure } from '../domain/enums.js';
import { isPlannedStatus } from '../domain/ffd12.js';
import type { MarkingCheckRequest, MarkingCheckResult, MarkingPolicy } from '../domain/ffd12.js';
import { isMarkingCodeError, parseMarkingCode } from '../domain/marking-code.js';
import { parseQuantity } from '../domain/quantity.js';
import { WEIGHED_MEASURES } from '../domain/units.js';
import { refusal } from '../domain/marking-policy.js';
import type { GroupRepository } from '../storage/groups.js';
import type { JobRepository } from '../storage/jobs.js';
import type { DeviceRepository } from '../storage/devices.js';
import { requireGroupAccess, requireGroupForReceipts } from './access.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Auditor } from './auditor.js';
import type { JobCompletion } from './job-completion.js';

export interface DeviceOperationsDeps {
  groups: GroupRepository;
  jobs: JobRepository;
  devices: Pick<DeviceRepository, 'get' | 'deviceOf'>;
  /** Wakes a request when its job finishes (this node's worker, or a NOTIFY from another node). */
  completion: JobCompletion;
  audit: Auditor;
  now: () => number;
  /** Wakes the group's worker after a job was queued. */
  notify: (groupId: number) => void;
  /**
   * The driver this node drives for the register (undefined: stopped, or driven by another node);
   * without one, the group's first register driven here.
   */
  driverOf: (groupId: number, deviceId?: number) => FiscalDriver | undefined;
  /** How long a request waits for the device before answering with the job still pending. */
  waitMs?: number;
  /**
   * A job finished on a node whose NOTIFY was lost (the listener reconnecting) is still seen:
   * the waiting request reads its job again this often. Not a poll of the queue: a few reads per
   * request at most, against one per 50 ms before.
   */
  recheckMs?: number;
}

export type ShiftOperation = Extract<JobKind, 'open_shift' | 'close_shift' | 'x_report'>;

/** A job as the request that queued it saw it end (or still pending after the wait). */
export interface JobOutcome {
  id: number;
  kind: JobKind;
  state: 'pending' | 'processing' | 'success' | 'failed';
  result: unknown;
  error: unknown;
}

/** One page size policy for FN document lists (API and dashboard): 50 by default, at most 100. */
export const DOCUMENTS_PAGE_DEFAULT = 50;

const isErrorBody = (e: unknown): e is { code?: unknown; message?: unknown } => typeof e === 'object' && e !== null;

// What the worker's job runner stores for read jobs: the driver's answer as it was. Checked here
// at the top level; the documents themselves are the driver's FiscalDocument objects.
const isDocument = (d: unknown): d is FiscalDocument => typeof d === 'object' && d !== null && 'fdNumber' in d && typeof d.fdNumber === 'number' && 'json' in d;
const isDocumentPage = (v: unknown): v is { last: number; documents: FiscalDocument[] } =>
  typeof v === 'object' && v !== null && 'last' in v && typeof v.last === 'number' && 'documents' in v && Array.isArray(v.documents) && v.documents.every(isDocument);
const isMarkingCheckResult = (v: unknown): v is MarkingCheckResult =>
  typeof v === 'object' && v !== null && 'itemCheckResult' in v && typeof v.itemCheckResult === 'number' && 'fn' in v && 'operator' in v;

export interface MarkingCheckInput {
  marking_code: string;
  planned_status?: number | null;
  measure?: number | null;
  quantity?: number | string | null;
  fractional_quantity?: { numerator: number; denominator: number } | null;
}

export interface MarkingCheckOutcome {
  result: MarkingCheckResult;
  policy: MarkingPolicy;
  /** Whether the group's policy would sell an item with this answer. */
  sellable: boolean;
  refusal: { code: string; reason: string } | null;
}

/** The REST body → the FN's check request; 400 naming the field, 422 on an FFD 1.05 register. */
function markingCheckRequest(input: MarkingCheckInput, ffdVersion: '105' | '120' | null): MarkingCheckRequest {
  const errors: { field: string; code: string; message: string }[] = [];
  const invalid = (field: string, code: string, message: string) => errors.push({ field, code, message });
  if (ffdVersion === '105') {
    const unprocessable = (field: string, code: string, message: string) => new DomainError('unprocessable', [{ field, code, message }]);
    throw unprocessable('marking_code', 'requires_ffd_1_2', 'marking codes are checked by FFD 1.2 registers only; the register is registered for FFD 1.05');
  }
  const parsed = parseMarkingCode(input.marking_code, 'auto');
  if (isMarkingCodeError(parsed)) invalid('marking_code', 'invalid_marking_code', `marking_code is not a valid marking code (${parsed.problem})`);
  const measure = input.measure ?? 0;
  if (!isMeasure(measure)) invalid('measure', 'invalid_measure', 'measure is not a measure of quantity (tag 2108)');
  const fractional = input.fractional_quantity ?? null;
  if (fractional && !(fractional.numerator >= 1 && fractional.numerator < fractional.denominator)) invalid('fractional_quantity', 'invalid_fraction', 'fractional_quantity must be numerator/denominator with 1 ≤ numerator < denominator');
  const measured = fractional !== null || (isMeasure(measure) && WEIGHED_MEASURES.has(measure));
  const status = input.planned_status ?? (measured ? 2 : 1);
  if (!isPlannedStatus(status)) invalid('planned_status', 'invalid_planned_status', 'planned_status must be one of 1, 2, 3, 4, 255 (tag 2003)');
  let quantity: number | null = null;
  if (status === 2 || status === 4) {
    const q = parseQuantity(input.quantity ?? 1, 6);
    if (typeof q === 'string') invalid('quantity', 'invalid_quantity', 'quantity must be a positive number with at most 6 decimals');
    else quantity = q;
  }
  if (errors.length > 0 || isMarkingCodeError(parsed) || !isPlannedStatus(status) || !isMeasure(measure)) throw new DomainError('invalid', errors);
  return { code: parsed.raw, plannedStatus: status, measure, quantity, fractional, offline: false };
}

const unexpected = () => new DomainError('unavailable', { code: 'device_error', message: 'The device answered the read with something unexpected' });

/** A job's result, or 503 with the device's error (or device_busy after the wait). */
export function jobResultOf(job: JobOutcome): unknown {
  if (job.state === 'success') return job.result;
  if (job.state === 'failed') {
    const e = isErrorBody(job.error) ? job.error : {};
    throw new DomainError('unavailable', {
      code: typeof e.code === 'string' ? e.code : 'device_error',
      message: typeof e.message === 'string' ? e.message : 'The device failed',
    });
  }
  throw new DomainError('unavailable', { code: 'device_busy', message: 'The device did not answer in time' });
}

/**
 * Device operations: shift open/close and X-report, FN documents read back — all queued to the
 * group's device worker so they run between receipts, never interleaved with one — and fault
 * injection on virtual registers driven by this node (a test tool). Each takes the actor, checks
 * access and audits what it changes.
 */
export function createDeviceOperations(deps: DeviceOperationsDeps) {
  const waitMs = deps.waitMs ?? 30_000;
  const recheckMs = deps.recheckMs ?? 5_000;

  /** The register of the group an operation is for: the named one, or the group's first. 404 when it is not the group's. */
  async function registerOf(groupId: number, deviceId: number | null): Promise<number> {
    const device = deviceId === null ? await deps.devices.deviceOf(groupId) : await deps.devices.get(deviceId);
    if (!device || device.group_id !== groupId) {
      throw notFound('register_not_found', deviceId === null ? `Service group ${groupId} has no register` : `Register ${deviceId} is not in service group ${groupId}`);
    }
    return device.id;
  }

  async function runJob<K extends JobKind>(actor: Actor, groupId: number, kind: K, params: JobParams[K], deviceId: number | null = null): Promise<JobOutcome> {
    const g = await requireGroupAccess(deps.groups, actor, groupId);
    if (!g.enabled || !g.running) {
      throw new DomainError('unavailable', { code: !g.enabled ? 'service_group_disabled' : 'service_group_stopped', message: 'The service group is not running' });
    }
    const register = await registerOf(g.id, deviceId);
    const job = await deps.jobs.create(g.id, register, actor.id, kind, params, deps.now());
    deps.notify(g.id);
    const deadline = performance.now() + waitMs;
    for (;;) {
      // Registered before the read, so a completion between the read and the wait is not missed.
      const left = deadline - performance.now();
      const wake = deps.completion.wait(job.id, g.id, Math.max(0, Math.min(recheckMs, left)));
      const j = await deps.jobs.get(job.id);
      if (!j) {
        wake.cancel();
        throw notFound('job_not_found', 'The operation disappeared');
      }
      if (j.state === 'success' || j.state === 'failed' || left <= 0) {
        wake.cancel();
        return { id: j.id, kind, state: j.state, result: j.state === 'success' ? j.result : null, error: j.state === 'failed' ? j.error : null };
      }
      await wake.done;
    }
  }

  const resultOf = jobResultOf;

  async function faultsOf(actor: Actor, groupId: number, deviceId: number | null): Promise<FaultControl> {
    requireSuperuser(actor);
    await requireGroupAccess(deps.groups, actor, groupId);
    const driver = deps.driverOf(groupId, deviceId === null ? undefined : await registerOf(groupId, deviceId));
    if (!driver) throw new DomainError('unavailable', { code: 'device_not_driven_here', message: 'The group is stopped or its device is driven by another node' });
    if (!driver.faults) throw new DomainError('conflict', { code: 'faults_not_supported', message: 'Fault injection exists only on virtual registers and protocol emulators' });
    return driver.faults;
  }

  return {
    /** Shift open/close and X-report: fiscal events, audited with who, when and from where. */
    async shift(actor: Actor, groupId: number, kind: ShiftOperation, deviceId: number | null = null): Promise<JobOutcome> {
      const outcome = await runJob(actor, groupId, kind, null, deviceId);
      await deps.audit.write(actor, `service_group.${kind}`, `service_group:${groupId}`, { job: outcome.id, state: outcome.state, ...(deviceId === null ? {} : { device: deviceId }) });
      return outcome;
    },

    /**
     * Closes one register's FN archive through its worker, between receipts, under the lease
     * fencing of every device job (superuser; the pool's checks are GroupService.closeArchive's,
     * which calls this and audits the outcome).
     */
    async closeArchive(actor: Actor, groupId: number, deviceId: number): Promise<JobOutcome> {
      requireSuperuser(actor);
      return runJob(actor, groupId, 'close_archive', null, deviceId);
    },

    /** The FN's documents numbered below `before` (from the last when null), newest first. */
    async documents(actor: Actor, groupId: number, before: number | null, limit = DOCUMENTS_PAGE_DEFAULT, deviceId: number | null = null): Promise<{ last: number; documents: FiscalDocument[]; nextBefore: number | null }> {
      const res = resultOf(await runJob(actor, groupId, 'documents', { before, limit }, deviceId));
      if (!isDocumentPage(res)) throw unexpected();
      const lowest = res.documents.at(-1)?.fdNumber ?? null;
      return { last: res.last, documents: res.documents, nextBefore: lowest !== null && lowest > 1 ? lowest : null };
    },

    /** One FN document by its number (tag 1040): 404 document_not_found when the FN has none. */
    async document(actor: Actor, groupId: number, fd: number, deviceId: number | null = null): Promise<FiscalDocument> {
      const doc = resultOf(await runJob(actor, groupId, 'document', { fd }, deviceId));
      if (doc !== null && !isDocument(doc)) throw unexpected();
      if (!doc) throw notFound('document_not_found', `The FN has no document ${fd}`);
      return doc;
    },

    /**
     * Checks one marking code with the group's FN and marking operator, without a receipt (the
     * shop's check at the moment of scanning), and says whether the group's policy would sell it.
     * The code is declined right after, so nothing stays in the FN. Audited: it queries the
     * marking operator in the shop's name.
     */
    async checkMarkingCode(actor: Actor, groupId: number, input: MarkingCheckInput): Promise<MarkingCheckOutcome> {
      const target = await requireGroupForReceipts(deps.groups, actor, groupId);
      const request = markingCheckRequest(input, target.device?.registration?.ffdVersion ?? null);
      const result = resultOf(await runJob(actor, groupId, 'marking_check', request));
      if (!isMarkingCheckResult(result)) throw unexpected();
      const refused = refusal(result, target.group.marking_policy);
      await deps.audit.write(actor, 'service_group.marking_check', `service_group:${groupId}`, { code_type: result.codeType, item_check_result: result.itemCheckResult, sellable: refused === null });
      return { result, policy: target.group.marking_policy, sellable: refused === null, refusal: refused };
    },

    /** Whether the fault panel applies: a virtual register (or protocol emulator) driven here. */
    faultsAvailable(groupId: number): boolean {
      return deps.driverOf(groupId)?.faults !== undefined;
    },

    async activeFaults(actor: Actor, groupId: number, deviceId: number | null = null) {
      return (await faultsOf(actor, groupId, deviceId)).active();
    },

    async injectFault(actor: Actor, groupId: number, input: { kind: Fault['kind']; delay_ms?: number; times?: number }, deviceId: number | null = null) {
      const faults = await faultsOf(actor, groupId, deviceId);
      const fault: Fault = input.kind === 'slow' ? { kind: 'slow', delayMs: input.delay_ms ?? 1000 }
        : input.kind === 'marking_slow' ? { kind: 'marking_slow', ...(input.delay_ms !== undefined ? { delayMs: input.delay_ms } : {}) }
        : { kind: input.kind };
      faults.inject(fault, input.times);
      await deps.audit.write(actor, 'device.fault_inject', `service_group:${groupId}`, { ...input, ...(deviceId === null ? {} : { device: deviceId }) });
      return faults.active();
    },

    async clearFaults(actor: Actor, groupId: number, deviceId: number | null = null) {
      const faults = await faultsOf(actor, groupId, deviceId);
      faults.clear();
      await deps.audit.write(actor, 'device.fault_clear', `service_group:${groupId}`);
      return faults.active();
    },
  };
}
export type DeviceOperations = ReturnType<typeof createDeviceOperations>;
