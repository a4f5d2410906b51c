import { DeviceError, type FiscalDocument, type FiscalDriver } from '../devices/driver.js';
import type { JobKind, JobRequest } from '../domain/records.js';
import type { Fence } from '../storage/fence.js';
import type { JobRecord, JobRepository } from '../storage/jobs.js';
import { errorRecord, jobOutcome } from './outcomes.js';
import { LeaseGone, type Fenced } from './stale-write.js';

/** One device call, bounded and measured by the worker; `operation` names the driver method. */
export type DeviceCall = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** Jobs after which the device's shift state (or FN phase) changed: the worker reads its status again. */
export const CHANGES_SHIFT: ReadonlySet<JobKind> = new Set<JobKind>(['open_shift', 'close_shift', 'x_report', 'close_archive']);

/**
 * The device work of one manual job (shift open/close, X-report, reading FN documents): what the
 * job's `result` keeps. Errors propagate to runJob, whose outcome table decides the job's state.
 */
export async function deviceWorkOf(job: JobRequest, driver: FiscalDriver, call: DeviceCall): Promise<unknown> {
  switch (job.kind) {
    case 'open_shift':
      return call('openShift', () => driver.openShift(null));
    case 'close_shift':
      return call('closeShift', () => driver.closeShift(null));
    case 'x_report':
      return call('xReport', () => driver.xReport());
    case 'close_archive': {
      // The admin API checks the driver's capability when it queues the job; a register whose
      // settings changed since is refused here, before anything reaches the FN.
      const closeArchive = driver.closeArchive?.bind(driver);
      if (closeArchive === undefined) throw new DeviceError('rejected', 'not_supported', 'The register’s driver cannot close the FN archive', { retryable: false });
      return call('closeArchive', () => closeArchive(null));
    }
    case 'document': {
      const { fd } = job.params;
      return call('document', () => driver.document(fd));
    }
    case 'marking_check': {
      // A check without a receipt: the code is declined at once, so nothing waits in the FN.
      await call('clearMarkingCodes', () => driver.clearMarkingCodes());
      const result = await call('checkMarkingCode', () => driver.checkMarkingCode(job.params));
      await call('acceptMarkingCode', () => driver.acceptMarkingCode(false));
      return result;
    }
    case 'documents': {
      // Newest first, like every list of the API.
      const { before, limit } = job.params;
      const last = await call('lastFdNumber', () => driver.lastFdNumber());
      const top = before === null ? last : Math.min(last, before - 1);
      const documents: FiscalDocument[] = [];
      for (let n = top; n >= 1 && documents.length < limit; n--) {
        const d = await call('document', () => driver.document(n));
        if (d) documents.push(d);
      }
      return { last, documents };
    }
  }
}

export interface JobRunnerDeps {
  groupId: number;
  driver: FiscalDriver;
  jobs: Pick<JobRepository, 'transition'>;
  fence: Fence;
  fenced: Fenced;
  call: DeviceCall;
  now: () => number;
  /** The job reached success or failed (the HTTP request waiting for it is woken). */
  onJobFinished?: (job: { id: number; groupId: number }) => void;
}

/**
 * Runs one queued job through the device, every transition fenced: processing, then success,
 * failed, or back to pending when the device is offline (then the error propagates, so the worker
 * backs off). Returns whether the device's shift state may have changed.
 */
export async function runJob(job: JobRecord, d: JobRunnerDeps): Promise<boolean> {
  const target = `device_job:${job.id}`;
  const finished = () => d.onJobFinished?.({ id: job.id, groupId: d.groupId });
  await d.fenced(await d.jobs.transition(d.fence, job.id, 'processing', {}, d.now()), 'job_start', target);
  let result: unknown;
  try {
    result = await deviceWorkOf(job, d.driver, d.call);
  } catch (e) {
    if (e instanceof LeaseGone) throw e;
    if (jobOutcome(e) === 'release') {
      await d.fenced(await d.jobs.transition(d.fence, job.id, 'pending', {}, d.now()), 'job_release', target);
      throw e;
    }
    await d.fenced(await d.jobs.transition(d.fence, job.id, 'failed', { error: errorRecord(e) }, d.now()), 'job_failure', target);
    finished();
    return false;
  }
  await d.fenced(await d.jobs.transition(d.fence, job.id, 'success', { result }, d.now()), 'job_success', target);
  finished();
  return CHANGES_SHIFT.has(job.kind);
}
