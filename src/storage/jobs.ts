import type { Kysely, Selectable } from 'kysely';
import type { Database, DeviceJobsTable } from './schema.js';
import { markGroupsChanged } from './groups.js';
import { fenceHoldsOn, type Fence } from './fence.js';

export type JobRow = Selectable<DeviceJobsTable>;
export type JobState = 'pending' | 'processing' | 'success' | 'failed';
export type JobKind = 'open_shift' | 'close_shift' | 'x_report' | 'document' | 'documents';

/**
 * Manual device operations (shift open/close, X-report, reading FN documents), executed by the
 * group's worker between receipts, in order, on whichever node drives the device.
 */
const jobValues = (state: JobState, patch: { result?: unknown; error?: unknown }, now: number) => ({
  state,
  ...(patch.result !== undefined ? { result: JSON.stringify(patch.result) } : {}),
  ...(patch.error !== undefined ? { error: JSON.stringify(patch.error) } : {}),
  updated_at: now,
});

export function createJobRepository(db: Kysely<Database>) {
  return {
    async create(groupId: number, userId: number | null, kind: JobKind, params: unknown, now: number): Promise<JobRow> {
      const job = await db
        .insertInto('device_jobs')
        .values({ group_id: groupId, user_id: userId, kind, params: params === null ? null : JSON.stringify(params), state: 'pending', created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      // The group's worker reads "a job waits" from a cache (groups.forWorkerCached): tell it.
      markGroupsChanged(db);
      return job;
    },
    async get(id: number): Promise<JobRow | undefined> {
      return db.selectFrom('device_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async nextPending(groupId: number): Promise<JobRow | undefined> {
      return db
        .selectFrom('device_jobs')
        .selectAll()
        .where('group_id', '=', groupId)
        .where('state', 'in', ['pending', 'processing'])
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
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
        .where(fenceHoldsOn(db, fence))
        .executeTakeFirst();
      markGroupsChanged(db);
      return Number(r.numUpdatedRows) === 1;
    },
    async setState(id: number, state: JobState, patch: { result?: unknown; error?: unknown }, now: number): Promise<void> {
      await db
        .updateTable('device_jobs')
        .set(jobValues(state, patch, now))
        .where('id', '=', id)
        .execute();
      markGroupsChanged(db);
    },
  };
}
export type JobRepository = ReturnType<typeof createJobRepository>;
