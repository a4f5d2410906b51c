import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { DeviceJobsTable } from './schema.js';
import { fenceHolds, type Fence } from './fence.js';
import { JOB_KINDS, JOB_STATES, jobRequest, type JobKind, type JobRequest, type JobState } from '../domain/records.js';
import { parseStoredOrNull, storedEnum } from './json.js';

type JobRow = Selectable<DeviceJobsTable>;

/** A stored device job: kind and state checked, parameters typed by kind, result and error parsed. */
export type JobRecord = Omit<JobRow, 'kind' | 'state' | 'params' | 'result' | 'error'> &
  JobRequest & {
    state: JobState;
    /** What the device answered (success). */
    result: unknown;
    /** Why it failed ({code, message, ...}). */
    error: unknown;
  };

function toJobRecord(row: JobRow): JobRecord {
  const { kind: storedKind, params: storedParams, state, result, error, ...rest } = row;
  const kind = storedEnum(JOB_KINDS, storedKind, 'device_jobs.kind');
  const request = jobRequest(kind, parseStoredOrNull<unknown>(storedParams));
  if (!request) throw new Error(`device_jobs ${row.id}: parameters do not fit kind ${kind}`);
  return {
    ...rest,
    ...request,
    state: storedEnum(JOB_STATES, state, 'device_jobs.state'),
    result: parseStoredOrNull<unknown>(result),
    error: parseStoredOrNull<unknown>(error),
  };
}

const jobValues = (state: JobState, patch: { result?: unknown; error?: unknown }, now: number) => ({
  state,
  ...(patch.result !== undefined ? { result: JSON.stringify(patch.result) } : {}),
  ...(patch.error !== undefined ? { error: JSON.stringify(patch.error) } : {}),
  updated_at: now,
});

/**
 * Manual device operations (shift open/close, X-report, reading FN documents), executed by the
 * group's worker between receipts, in order, on whichever node drives the device.
 */
export function createJobRepository(handle: Db) {
  const { kysely: db, dialect, fast } = handle;
  return {
    /**
     * Queues a job. Parameters that do not fit the kind are refused here (a TypeError), before a
     * worker could find the job unrunnable.
     */
    async create(groupId: number, deviceId: number, userId: number | null, kind: JobKind, params: unknown, now: number): Promise<JobRecord> {
      const request = jobRequest(kind, params);
      if (!request) throw new TypeError(`device job ${kind}: parameters do not fit the kind`);
      const job = await db
        .insertInto('device_jobs')
        .values({
          group_id: groupId,
          device_id: deviceId,
          user_id: userId,
          kind,
          params: request.params === null ? null : JSON.stringify(request.params),
          state: 'pending',
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // The group's worker reads "a job waits" from a cache (groups.forWorkerCached): tell it.
      fast.markGroupsChanged();
      return toJobRecord(job);
    },
    async get(id: number): Promise<JobRecord | undefined> {
      const row = await db.selectFrom('device_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toJobRecord(row);
    },
    /** The register's next manual operation. */
    async nextPending(deviceId: number): Promise<JobRecord | undefined> {
      const row = await db
        .selectFrom('device_jobs')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('state', 'in', ['pending', 'processing'])
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row && toJobRecord(row);
    },
    /**
     * A device worker's transition of a job: to processing from pending (or a processing one left
     * by a dead worker), to an outcome or back to pending from processing — and only while the
     * worker's lease holds. False: a stale write, nothing changed.
     */
    async transition(fence: Fence, id: number, state: JobState, patch: { result?: unknown; error?: unknown }, now: number): Promise<boolean> {
      const from = state === 'processing' ? ['pending', 'processing'] : ['processing'];
      const r = await db
        .updateTable('device_jobs')
        .set(jobValues(state, patch, now))
        .where('id', '=', id)
        .where('state', 'in', from)
        .where(fenceHolds(dialect, fence))
        .executeTakeFirst();
      fast.markGroupsChanged();
      return Number(r.numUpdatedRows) === 1;
    },
    async setState(id: number, state: JobState, patch: { result?: unknown; error?: unknown }, now: number): Promise<void> {
      await db
        .updateTable('device_jobs')
        .set(jobValues(state, patch, now))
        .where('id', '=', id)
        .execute();
      fast.markGroupsChanged();
    },
  };
}
export type JobRepository = ReturnType<typeof createJobRepository>;
