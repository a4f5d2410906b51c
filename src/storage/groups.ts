import { sql, type Kysely, type Selectable } from 'kysely';
import { precompile } from './precompiled.js';
import type { Database, DevicesTable, ServiceGroupsTable } from './schema.js';
import { fenceHoldsOn, type Fence } from './fence.js';

export type GroupRow = Selectable<ServiceGroupsTable>;
export type DeviceRow = Selectable<DevicesTable>;

/** What accepting a receipt needs: the group, its device and whether the caller may use it — one statement. */
export interface GroupForReceipts {
  group: GroupRow;
  device: { id: number; registration: string | null } | null;
  allowed: boolean;
}

export interface GroupSettings {
  name: string;
  enabled: boolean;
  defaultTaxSystem: number | null;
  defaultVat: number | null;
  autoOpenShift: boolean;
  shiftDurationMin: number;
  dailyCloseTime: string | null;
}

/**
 * A counter per database handle, bumped by every write to groups, devices' settings and access
 * lists through any repository on that handle: in-process caches of those rows compare it to know
 * at once that what they hold is stale.
 */
const generations = new WeakMap<Kysely<Database>, { n: number }>();
function generationOf(db: Kysely<Database>): { n: number } {
  let g = generations.get(db);
  if (!g) generations.set(db, (g = { n: 0 }));
  return g;
}

/** For other repositories whose writes change what the group caches hold (a device job queued or finished). */
export function markGroupsChanged(db: Kysely<Database>): void {
  generationOf(db).n++;
}

/**
 * How long a receipt-accepting lookup (group settings, device registration, access) is reused. A
 * change made through this process applies to the next request; one made on another node (or by
 * hand in the database) within this delay — the same bound as the credential cache's re-check.
 */
export const GROUP_RECHECK_MS = 1000;
const GROUP_CACHE_MAX = 10_000;

/**
 * A read reused for GROUP_RECHECK_MS unless the handle's generation moved since it was made. The
 * generation is taken before the read: a write racing the read leaves the entry already stale.
 */
function rechecked<A extends unknown[], V>(generation: { n: number }, load: (...args: A) => Promise<V>, keyOf: (...args: A) => string | number) {
  const entries = new Map<string | number, { at: number; generation: number; value: V }>();
  return async (...args: A): Promise<V> => {
    const key = keyOf(...args);
    const hit = entries.get(key);
    const t = performance.now();
    if (hit && hit.generation === generation.n && t - hit.at < GROUP_RECHECK_MS) return hit.value;
    const before = generation.n;
    const value = await load(...args);
    if (entries.size >= GROUP_CACHE_MAX) entries.clear();
    entries.set(key, { at: t, generation: before, value });
    return value;
  };
}

export function createGroupRepository(db: Kysely<Database>) {
  const generation = generationOf(db);
  const changed = <T>(result: T): T => {
    generation.n++;
    return result;
  };
  const toRow = (s: Partial<GroupSettings>) => ({
    ...(s.name !== undefined ? { name: s.name } : {}),
    ...(s.enabled !== undefined ? { enabled: s.enabled ? 1 : 0 } : {}),
    ...(s.defaultTaxSystem !== undefined ? { default_tax_system: s.defaultTaxSystem } : {}),
    ...(s.defaultVat !== undefined ? { default_vat: s.defaultVat } : {}),
    ...(s.autoOpenShift !== undefined ? { auto_open_shift: s.autoOpenShift ? 1 : 0 } : {}),
    ...(s.shiftDurationMin !== undefined ? { shift_duration_min: s.shiftDurationMin } : {}),
    ...(s.dailyCloseTime !== undefined ? { daily_close_time: s.dailyCloseTime } : {}),
  });

  type Joined = GroupRow & { device_id: number | null; device_registration: string | null; allowed: number | boolean };
  // The group's first device (a group owns one today; the table allows several, as deviceOf).
  const withDevice = (userId: number | null) =>
    db
      .selectFrom('service_groups')
      .leftJoin('devices', (j) =>
        j
          .onRef('devices.group_id', '=', 'service_groups.id')
          .on((eb) => eb.not(eb.exists(eb.selectFrom('devices as older').select('older.id').whereRef('older.group_id', '=', 'service_groups.id').whereRef('older.id', '<', 'devices.id')))),
      )
      .selectAll('service_groups')
      .select(['devices.id as device_id', 'devices.registration as device_registration'])
      .select((eb) =>
        userId === null
          ? sql<number>`1`.as('allowed')
          : eb.exists(eb.selectFrom('group_access').select('group_access.user_id').whereRef('group_access.group_id', '=', 'service_groups.id').where('group_access.user_id', '=', userId)).as('allowed'),
      );
  const forAll = precompile<[number], Joined>(db, 1, (groupId) => withDevice(null).where('service_groups.id', '=', groupId));
  const forUser = precompile<[number, number], Joined>(db, 2, (groupId, userId) => withDevice(userId).where('service_groups.id', '=', groupId));

  const withJobFlag = precompile<[number], GroupRow & { has_job: number | boolean }>(db, 1, (groupId) =>
    db
      .selectFrom('service_groups')
      .selectAll()
      .select(sql<boolean>`EXISTS (SELECT 1 FROM device_jobs WHERE device_jobs.group_id = service_groups.id AND device_jobs.state IN ('pending', 'processing'))`.as('has_job'))
      .where('id', '=', groupId),
  );

  const accessRow = precompile<[number, number], { user_id: number }>(db, 2, (groupId, userId) =>
    db.selectFrom('group_access').select('user_id').where('group_id', '=', groupId).where('user_id', '=', userId),
  );

  /** The group and whether manual device jobs wait for it: what a device worker reads before every step, in one statement. */
  async function forWorker(groupId: number): Promise<{ group: GroupRow; hasJob: boolean } | undefined> {
    const [row] = await withJobFlag(groupId);
    if (!row) return undefined;
    const { has_job, ...group } = row;
    return { group, hasJob: Boolean(has_job) };
  }
  /** userId null: a superuser, who may use every group. */
  async function forReceipts(groupId: number, userId: number | null): Promise<GroupForReceipts | undefined> {
    const [row] = userId === null ? await forAll(groupId) : await forUser(groupId, userId);
    if (!row) return undefined;
    const { device_id, device_registration, allowed, ...group } = row;
    return { group, device: device_id === null ? null : { id: device_id, registration: device_registration }, allowed: Boolean(allowed) };
  }

  return {
    forWorker,
    /**
     * forWorker, reused: a device worker between two receipts sees a change made through this
     * process (settings, a queued job) at once, one made on another node within GROUP_RECHECK_MS —
     * about the delay an idle worker's poll has anyway.
     */
    forWorkerCached: rechecked(generation, forWorker, (groupId) => groupId),
    forReceipts,
    /**
     * forReceipts, reused for GROUP_RECHECK_MS unless a write through this process (any repository
     * on the same handle) happened since it was read.
     */
    forReceiptsCached: rechecked(generation, forReceipts, (groupId, userId) => `${groupId}:${userId ?? '*'}`),
    async get(id: number): Promise<GroupRow | undefined> {
      return db.selectFrom('service_groups').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async list(): Promise<GroupRow[]> {
      return db.selectFrom('service_groups').selectAll().orderBy('id').execute();
    },
    async listForUser(userId: number): Promise<GroupRow[]> {
      return db
        .selectFrom('service_groups')
        .innerJoin('group_access', 'group_access.group_id', 'service_groups.id')
        .selectAll('service_groups')
        .where('group_access.user_id', '=', userId)
        .orderBy('service_groups.id')
        .execute();
    },
    async count(): Promise<number> {
      const r = await db.selectFrom('service_groups').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Creates the group and its device in one transaction. */
    async create(s: GroupSettings, device: { model: string; config: unknown }, now: number): Promise<{ group: GroupRow; device: DeviceRow }> {
      return changed(await db.transaction().execute(async (tx) => {
        const group = await tx
          .insertInto('service_groups')
          .values({
            name: s.name,
            enabled: s.enabled ? 1 : 0,
            running: 0,
            default_tax_system: s.defaultTaxSystem,
            default_vat: s.defaultVat,
            auto_open_shift: s.autoOpenShift ? 1 : 0,
            shift_duration_min: s.shiftDurationMin,
            daily_close_time: s.dailyCloseTime,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const dev = await tx
          .insertInto('devices')
          .values({ group_id: group.id, model: device.model, config: JSON.stringify(device.config), state: 'stopped', created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { group, device: dev };
      }));
    },
    async update(id: number, s: Partial<GroupSettings>, now: number): Promise<GroupRow | undefined> {
      return changed(await db.updateTable('service_groups').set({ ...toRow(s), updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst());
    },
    async setRunning(id: number, running: boolean, now: number): Promise<void> {
      changed(await db.updateTable('service_groups').set({ running: running ? 1 : 0, updated_at: now }).where('id', '=', id).execute());
    },
    async delete(id: number): Promise<void> {
      changed(await db.deleteFrom('service_groups').where('id', '=', id).execute());
    },
    async hasAccess(groupId: number, userId: number): Promise<boolean> {
      return (await accessRow(groupId, userId)).length > 0;
    },
    async accessList(groupId: number): Promise<number[]> {
      const rows = await db.selectFrom('group_access').select('user_id').where('group_id', '=', groupId).orderBy('user_id').execute();
      return rows.map((r) => r.user_id);
    },
    /** Replaces the group's allowed users atomically (the «Настройки доступа» dialog). */
    async setAccess(groupId: number, userIds: readonly number[]): Promise<void> {
      changed(await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('group_access').where('group_id', '=', groupId).execute();
        if (userIds.length > 0) {
          await tx.insertInto('group_access').values(userIds.map((user_id) => ({ group_id: groupId, user_id }))).execute();
        }
      }));
    },
    /** The group's device (a group owns one device today; the table allows several). */
    async deviceOf(groupId: number): Promise<DeviceRow | undefined> {
      return db.selectFrom('devices').selectAll().where('group_id', '=', groupId).orderBy('id').limit(1).executeTakeFirst();
    },
    async devices(): Promise<DeviceRow[]> {
      return db.selectFrom('devices').selectAll().orderBy('id').execute();
    },
    async updateDevice(
      id: number,
      patch: Partial<{ model: string; config: unknown; state: string; stateReason: string | null; registration: unknown; status: unknown; statusAt: number }>,
      now: number,
      /** A device worker's write: applies only while its lease holds (false: stale, nothing written). */
      fence?: Fence,
    ): Promise<boolean> {
      const r = await db
        .updateTable('devices')
        .set({
          ...(patch.model !== undefined ? { model: patch.model } : {}),
          ...(patch.config !== undefined ? { config: JSON.stringify(patch.config) } : {}),
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.stateReason !== undefined ? { state_reason: patch.stateReason } : {}),
          ...(patch.registration !== undefined ? { registration: JSON.stringify(patch.registration) } : {}),
          ...(patch.status !== undefined ? { status: JSON.stringify(patch.status) } : {}),
          ...(patch.statusAt !== undefined ? { status_at: patch.statusAt } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .$if(fence !== undefined, (q) => q.where(fenceHoldsOn(db, fence as Fence)))
        .executeTakeFirst();
      // The registration (FFD version, tax systems) is what validating a receipt reads; status refreshes are not.
      if (patch.registration !== undefined || patch.model !== undefined) changed(undefined);
      return Number(r.numUpdatedRows) > 0;
    },
    /** Where the FN journal has been checked for receipt documents no receipt owns (null: never). */
    async reconciledFd(deviceId: number): Promise<number | null> {
      const r = await db.selectFrom('devices').select('reconciled_fd').where('id', '=', deviceId).executeTakeFirst();
      return r?.reconciled_fd ?? null;
    },
    async setReconciledFd(fence: Fence, fd: number): Promise<boolean> {
      const r = await db.updateTable('devices').set({ reconciled_fd: fd }).where('id', '=', fence.deviceId).where(fenceHoldsOn(db, fence)).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
export type GroupRepository = ReturnType<typeof createGroupRepository>;
