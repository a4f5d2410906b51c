import { sql, type Selectable } from 'kysely';
import type { Db } from './db.js';
import type { ServiceGroupsTable } from './schema.js';
import { toDeviceRecord, type DeviceRecord } from './devices.js';
import type { RegistrationInfo } from '../devices/driver.js';
import { parseStoredOrNull } from './json.js';
import { WORKER_GROUP_RECHECK_MS } from './fast-paths.js';
import { isMarkingPolicy, type MarkingPolicy } from '../domain/ffd12.js';
import { poolPolicyOf, type PoolPolicy } from '../domain/pool.js';

type GroupRow = Selectable<ServiceGroupsTable>;

/** A stored service group, its 0/1 columns as booleans. */
export type GroupRecord = Omit<GroupRow, 'enabled' | 'running' | 'auto_open_shift' | 'marking_policy' | 'pool_policy'> & {
  enabled: boolean;
  /** The admin's «Пуск»/«Стоп»: whether the group's device should be driven. */
  running: boolean;
  auto_open_shift: boolean;
  /** What a marking check's answer does to the receipt (migration 006). */
  marking_policy: MarkingPolicy;
  /** The pool's health thresholds (migration 009), the defaults filled in. */
  pool_policy: PoolPolicy;
};

/**
 * Only this version's values are ever written (the admin API and the group service check them);
 * a value it does not know (a newer version's, after a downgrade) is read as 'strict', the policy
 * that never sells a marked unit on an answer it cannot judge.
 */
const markingPolicyOf = (stored: string): MarkingPolicy => (isMarkingPolicy(stored) ? stored : 'strict');

export function toGroupRecord(row: GroupRow): GroupRecord {
  return {
    ...row,
    enabled: row.enabled === 1,
    running: row.running === 1,
    auto_open_shift: row.auto_open_shift === 1,
    marking_policy: markingPolicyOf(row.marking_policy),
    pool_policy: poolPolicyOf(parseStoredOrNull<Partial<Record<keyof PoolPolicy, unknown>>>(row.pool_policy)),
  };
}

/** What accepting a receipt needs: the group, its device and whether the caller may use it — one statement. */
export interface GroupForReceipts {
  group: GroupRecord;
  device: { id: number; registration: RegistrationInfo | null } | null;
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
  /** Absent on create: the column's default, 'offline_allowed' (migration 006). */
  markingPolicy?: MarkingPolicy;
  /** The ATOL Online group code (migration 008); null clears it; absent on create: none. */
  groupCode?: string | null;
  /** The pool's thresholds (migration 009); absent on create: the defaults. */
  poolPolicy?: PoolPolicy;
  /**
   * Where the group's register events go and whose callback secret signs them (migration 010);
   * null clears both; absent: unchanged (on create: none).
   */
  events?: { url: string; userId: number } | null;
}

/** How long group lookups are reused (see FastPaths.rechecked). */
export { GROUP_RECHECK_MS } from './fast-paths.js';

/**
 * Service groups and their access lists. Every write here marks the handle's group lookups stale
 * (FastPaths.markGroupsChanged), so a change made through this process applies to the next request.
 */
export function createGroupRepository(handle: Db) {
  const { kysely: db, fast } = handle;
  const changed = <T>(result: T): T => {
    fast.markGroupsChanged();
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
    ...(s.markingPolicy !== undefined ? { marking_policy: s.markingPolicy } : {}),
    ...(s.groupCode !== undefined ? { group_code: s.groupCode } : {}),
    ...(s.poolPolicy !== undefined ? { pool_policy: JSON.stringify(s.poolPolicy) } : {}),
    ...(s.events !== undefined ? { events_url: s.events?.url ?? null, events_user_id: s.events?.userId ?? null } : {}),
  });

  type Joined = GroupRow & { device_id: number | null; device_registration: string | null; allowed: number | boolean };
  // The group's first register not retired (as deviceOf): receipts are validated against its registration.
  const withDevice = (userId: number | null) =>
    db
      .selectFrom('service_groups')
      .leftJoin('devices', (j) =>
        j
          .onRef('devices.group_id', '=', 'service_groups.id')
          .on('devices.service', '!=', sql.lit('retired'))
          .on((eb) =>
            eb.not(eb.exists(eb.selectFrom('devices as older').select('older.id').whereRef('older.group_id', '=', 'service_groups.id').where('older.service', '!=', sql.lit('retired')).whereRef('older.id', '<', 'devices.id'))),
          ),
      )
      .selectAll('service_groups')
      .select(['devices.id as device_id', 'devices.registration as device_registration'])
      .select((eb) =>
        userId === null
          ? sql<number>`1`.as('allowed')
          : eb.exists(eb.selectFrom('group_access').select('group_access.user_id').whereRef('group_access.group_id', '=', 'service_groups.id').where('group_access.user_id', '=', userId)).as('allowed'),
      );
  const forAll = fast.precompile<[number], Joined>(1, (groupId) => withDevice(null).where('service_groups.id', '=', groupId));
  const forUser = fast.precompile<[number, number], Joined>(2, (groupId, userId) => withDevice(userId).where('service_groups.id', '=', groupId));

  const withJobFlag = fast.precompile<[number], GroupRow & { has_job: number | boolean }>(1, (groupId) =>
    db
      .selectFrom('service_groups')
      .selectAll()
      .select(sql<boolean>`EXISTS (SELECT 1 FROM device_jobs WHERE device_jobs.group_id = service_groups.id AND device_jobs.state IN ('pending', 'processing'))`.as('has_job'))
      .where('id', '=', groupId),
  );

  const accessRow = fast.precompile<[number, number], { user_id: number }>(2, (groupId, userId) =>
    db.selectFrom('group_access').select('user_id').where('group_id', '=', groupId).where('user_id', '=', userId),
  );

  /** The group and whether manual device jobs wait for it: what a device worker reads before every step, in one statement. */
  async function forWorker(groupId: number): Promise<{ group: GroupRecord; hasJob: boolean } | undefined> {
    const [row] = await withJobFlag(groupId);
    if (!row) return undefined;
    const { has_job, ...group } = row;
    return { group: toGroupRecord(group), hasJob: Boolean(has_job) };
  }
  /** userId null: a superuser, who may use every group. */
  async function forReceipts(groupId: number, userId: number | null): Promise<GroupForReceipts | undefined> {
    const [row] = userId === null ? await forAll(groupId) : await forUser(groupId, userId);
    if (!row) return undefined;
    const { device_id, device_registration, allowed, ...group } = row;
    return {
      group: toGroupRecord(group),
      device: device_id === null ? null : { id: device_id, registration: parseStoredOrNull<RegistrationInfo>(device_registration) },
      allowed: Boolean(allowed),
    };
  }

  const forWorkerReused = fast.rechecked(forWorker, (groupId) => groupId, WORKER_GROUP_RECHECK_MS, (groupId) => groupId);

  return {
    forWorker,
    /**
     * forWorker, reused: a device worker sees a change of its group's settings or jobs made through
     * this process at once, one made on another node as soon as its notification arrives
     * (PostgreSQL, migration 011), anything else within WORKER_GROUP_RECHECK_MS.
     */
    forWorkerCached: (groupId: number) => forWorkerReused(groupId),
    /** Something changed in the group that this process did not write (the scheduler found a job waiting): read its lookups again. */
    changedElsewhere: (groupId: number) => fast.markGroupsChanged(groupId),
    forReceipts,
    /**
     * forReceipts, reused for GROUP_RECHECK_MS unless the group changed since it was read: through
     * this process (any repository on the same handle), or on another node (its notification).
     */
    forReceiptsCached: fast.rechecked(forReceipts, (groupId, userId) => `${groupId}:${userId ?? '*'}`, undefined, (groupId) => groupId),
    async get(id: number): Promise<GroupRecord | undefined> {
      const row = await db.selectFrom('service_groups').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toGroupRecord(row);
    },
    /** The group with this ATOL Online group code (migration 008), if any. */
    async findByGroupCode(code: string): Promise<GroupRecord | undefined> {
      const row = await db.selectFrom('service_groups').selectAll().where('group_code', '=', code).executeTakeFirst();
      return row && toGroupRecord(row);
    },
    async list(): Promise<GroupRecord[]> {
      return (await db.selectFrom('service_groups').selectAll().orderBy('id').execute()).map(toGroupRecord);
    },
    async listForUser(userId: number): Promise<GroupRecord[]> {
      const rows = await db
        .selectFrom('service_groups')
        .innerJoin('group_access', 'group_access.group_id', 'service_groups.id')
        .selectAll('service_groups')
        .where('group_access.user_id', '=', userId)
        .orderBy('service_groups.id')
        .execute();
      return rows.map(toGroupRecord);
    },
    async count(): Promise<number> {
      const r = await db.selectFrom('service_groups').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Creates the group and its device in one transaction. */
    async create(s: GroupSettings, device: { driver: string; config: Record<string, unknown> }, now: number): Promise<{ group: GroupRecord; device: DeviceRecord }> {
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
            ...(s.markingPolicy !== undefined ? { marking_policy: s.markingPolicy } : {}),
            ...(s.groupCode !== undefined ? { group_code: s.groupCode } : {}),
            ...(s.poolPolicy !== undefined ? { pool_policy: JSON.stringify(s.poolPolicy) } : {}),
            ...(s.events ? { events_url: s.events.url, events_user_id: s.events.userId } : {}),
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const dev = await tx
          .insertInto('devices')
          .values({ group_id: group.id, driver: device.driver, config: JSON.stringify(device.config), state: 'stopped', created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { group: toGroupRecord(group), device: toDeviceRecord(dev) };
      }));
    },
    async update(id: number, s: Partial<GroupSettings>, now: number): Promise<GroupRecord | undefined> {
      const row = changed(await db.updateTable('service_groups').set({ ...toRow(s), updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst());
      return row && toGroupRecord(row);
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
  };
}
export type GroupRepository = ReturnType<typeof createGroupRepository>;
