import { sql, type Kysely, type Selectable } from 'kysely';
import type { Db } from './db.js';
import type { Database, DevicesTable } from './schema.js';
import { eventValues, type GroupEvent } from './callbacks.js';
import { createLeaseRepository, dbNow, fenceHolds, type Fence } from './fence.js';
import { WORKER_RECHECK_MS } from './fast-paths.js';
import { HEALTH_LEVELS, REGISTER_SERVICES, type Health, type HealthLevel, type RegisterService } from '../domain/pool.js';
import { DEVICE_STATES, type DeviceState } from '../domain/records.js';
import type { DeviceStatus, RegistrationInfo } from '../devices/driver.js';
import { parseStored, parseStoredOrNull, storedEnum } from './json.js';

type DeviceRow = Selectable<DevicesTable>;

/** A stored device: its JSON columns parsed, its state one of DeviceState. */
export type DeviceRecord = Omit<DeviceRow, 'config' | 'registration' | 'status' | 'state' | 'service' | 'health_level' | 'health'> & {
  /** The driver's settings, validated against its config schema when they were saved. */
  config: Record<string, unknown>;
  registration: RegistrationInfo | null;
  status: DeviceStatus | null;
  state: DeviceState;
  /** Its place in the pool: active, maintenance («обслуживание»: drained) or retired. */
  service: RegisterService;
  /** What the register's worker last judged (null: not yet). */
  health: Health | null;
};

export function toDeviceRecord(row: DeviceRow): DeviceRecord {
  const { service, health_level: _level, health, ...rest } = row;
  return {
    ...rest,
    config: parseStored<Record<string, unknown>>(row.config),
    registration: parseStoredOrNull<RegistrationInfo>(row.registration),
    status: parseStoredOrNull<DeviceStatus>(row.status),
    state: storedEnum(DEVICE_STATES, row.state, 'devices.state'),
    service: storedEnum(REGISTER_SERVICES, service, 'devices.service'),
    health: parseStoredOrNull<Health>(health),
  };
}

/** A register of a pool as its peers see it when routing (PoolPeers). */
export interface PoolPeer {
  id: number;
  /** null: its worker has not judged it yet. */
  level: HealthLevel | null;
  /** Not active: takes no work and does not count as a peer. */
  maintenance: boolean;
  /** A node holds its lease now and its worker is not failing. */
  live: boolean;
  ffdVersion: string | null;
}

export interface DevicePatch {
  driver: string;
  config: Record<string, unknown>;
  state: DeviceState;
  stateReason: string | null;
  registration: RegistrationInfo;
  status: DeviceStatus;
  statusAt: number;
}

/**
 * Device rows: the driver and its settings, what the device last reported, and the scale-out
 * lease (which node drives it, under which fencing epoch). Groups and their access lists live in
 * GroupRepository; a group's device is created with the group.
 */
export function createDeviceRepository(handle: Db, options: { onCallbackQueued?: () => void } = {}) {
  const { kysely: db, dialect, fast } = handle;
  /** The registers of a group as routing sees them, reused like the other group lookups. */
  const poolPeers = fast.rechecked(async (groupId: number): Promise<PoolPeer[]> => {
    const rows = await db
      .selectFrom('devices')
      .select(['id', 'health_level', 'service', 'state', 'registration'])
      .select(sql<number>`CASE WHEN lease_owner IS NOT NULL AND lease_until > ${dbNow(dialect)} THEN 1 ELSE 0 END`.as('leased'))
      .where('group_id', '=', groupId)
      .where('service', '!=', 'retired')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      level: r.health_level === null ? null : storedEnum(HEALTH_LEVELS, r.health_level, 'devices.health_level'),
      maintenance: r.service !== 'active',
      live: Number(r.leased) === 1 && r.state === 'running',
      ffdVersion: parseStoredOrNull<RegistrationInfo>(r.registration)?.ffdVersion ?? null,
    }));
  }, (groupId) => groupId, WORKER_RECHECK_MS, (groupId) => groupId);

  return {
    leases: createLeaseRepository(db, dialect),
    async get(id: number): Promise<DeviceRecord | undefined> {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toDeviceRecord(row);
    },
    /**
     * The group's first register not retired: the one whose registration (FFD version, tax systems) receipts
     * are validated against, and which manual operations address unless they name another.
     */
    async deviceOf(groupId: number): Promise<DeviceRecord | undefined> {
      const row = await db.selectFrom('devices').selectAll().where('group_id', '=', groupId).where('service', '!=', 'retired').orderBy('id').limit(1).executeTakeFirst();
      return row && toDeviceRecord(row);
    },
    /** The registers of a group's pool, first register first. */
    async listOf(groupId: number): Promise<DeviceRecord[]> {
      return (await db.selectFrom('devices').selectAll().where('group_id', '=', groupId).orderBy('id').execute()).map(toDeviceRecord);
    },
    async list(): Promise<DeviceRecord[]> {
      return (await db.selectFrom('devices').selectAll().orderBy('id').execute()).map(toDeviceRecord);
    },
    /** Which register belongs to which group, without the JSON columns (the worker manager's pass); retired ones are not driven. */
    async placement(groupId?: number): Promise<{ id: number; group_id: number }[]> {
      let q = db.selectFrom('devices').select(['id', 'group_id']).where('service', '!=', 'retired');
      if (groupId !== undefined) q = q.where('group_id', '=', groupId);
      return q.orderBy('id').execute();
    },
    /** Adds a register to a group's pool (stopped; in service unless told otherwise). */
    async add(groupId: number, device: { driver: string; config: Record<string, unknown> }, now: number, service: RegisterService = 'active'): Promise<DeviceRecord> {
      const row = await db
        .insertInto('devices')
        .values({ group_id: groupId, service, driver: device.driver, config: JSON.stringify(device.config), state: 'stopped', state_reason: null, registration: null, status: null, status_at: null, lease_owner: null, lease_until: null, reconciled_fd: null, health_level: null, health: null, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      fast.markGroupsChanged();
      return toDeviceRecord(row);
    },
    /** Every register not retired with its last health (the metrics' scrape: one statement, no status JSON). */
    async healthAll(): Promise<{ id: number; groupId: number; service: RegisterService; health: Health | null }[]> {
      const rows = await db.selectFrom('devices').select(['id', 'group_id', 'service', 'health']).where('service', '!=', 'retired').orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, groupId: r.group_id, service: storedEnum(REGISTER_SERVICES, r.service, 'devices.service'), health: parseStoredOrNull<Health>(r.health) }));
    },
    /** Whether receipts or found FN documents name the register (it is then retired, never deleted). */
    async hasHistory(id: number): Promise<boolean> {
      const r = await sql<{ n: number }>`SELECT (CASE WHEN EXISTS (SELECT 1 FROM receipts WHERE device_id = ${id}) OR EXISTS (SELECT 1 FROM orphan_documents WHERE device_id = ${id}) THEN 1 ELSE 0 END) AS n`.execute(db);
      return Number(r.rows[0]?.n ?? 0) === 1;
    },
    /** Removes a register (the service checked it is drained); false: it was not there. */
    async remove(id: number): Promise<boolean> {
      const r = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      fast.markGroupsChanged();
      return Number(r.numDeletedRows) > 0;
    },
    async setService(id: number, service: RegisterService, now: number): Promise<boolean> {
      const r = await db.updateTable('devices').set({ service, updated_at: now }).where('id', '=', id).executeTakeFirst();
      fast.markGroupsChanged();
      return Number(r.numUpdatedRows) > 0;
    },
    /** The worker's judgement of its register, written only while its lease holds. */
    /**
     * `event`: a register event the new health records (an FN forecast warning that appeared), queued
     * in the callbacks outbox in the same transaction and only if the fenced write landed — the
     * stored health is what tells a worker (this one after a restart, or a successor) that the
     * warning is not new, so the event is queued exactly once per appearance.
     */
    async setHealth(fence: Fence, groupId: number, health: Health, event?: GroupEvent): Promise<boolean> {
      const write = async (q: Kysely<Database>): Promise<boolean> => {
        const r = await q
          .updateTable('devices')
          .set({ health_level: health.level, health: JSON.stringify(health) })
          .where('id', '=', fence.deviceId)
          .where(fenceHolds(dialect, fence))
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      };
      const ok = event === undefined
        ? await write(db)
        : await db.transaction().execute(async (trx) => {
          if (!(await write(trx))) return false;
          await trx.insertInto('callback_deliveries').values(eventValues(dialect, event)).execute();
          return true;
        });
      // Peers route on the level (poolPeersCached): a change applies to their next claim. Only this
      // group's lookups: a thousand registers' health refreshes must not empty every group's cache.
      fast.markGroupsChanged(groupId);
      if (ok && event !== undefined) options.onCallbackQueued?.();
      return ok;
    },
    /** The registers of a group as routing sees them, reused like the other group lookups. */
    poolPeersCached: (groupId: number): Promise<PoolPeer[]> => poolPeers(groupId),
    /**
     * The pool as last read, however long ago, while no change of the group's registers invalidated
     * it: their service and registration are current, their liveness may not be (a lease runs out
     * without a write). Undefined when there is no such entry.
     */
    poolPeersPeek: (groupId: number): PoolPeer[] | undefined => poolPeers.peek(groupId),
    async updateDevice(
      id: number,
      patch: Partial<DevicePatch>,
      now: number,
      /** A device worker's write: applies only while its lease holds (false: stale, nothing written). */
      fence?: Fence,
    ): Promise<boolean> {
      let q = db
        .updateTable('devices')
        .set({
          ...(patch.driver !== undefined ? { driver: patch.driver } : {}),
          ...(patch.config !== undefined ? { config: JSON.stringify(patch.config) } : {}),
          ...(patch.state !== undefined ? { state: patch.state } : {}),
          ...(patch.stateReason !== undefined ? { state_reason: patch.stateReason } : {}),
          ...(patch.registration !== undefined ? { registration: JSON.stringify(patch.registration) } : {}),
          ...(patch.status !== undefined ? { status: JSON.stringify(patch.status) } : {}),
          ...(patch.statusAt !== undefined ? { status_at: patch.statusAt } : {}),
          updated_at: now,
        })
        .where('id', '=', id);
      if (fence !== undefined) q = q.where(fenceHolds(dialect, fence));
      const r = await q.executeTakeFirst();
      // The registration (FFD version, tax systems) is what validating a receipt reads (the group
      // lookups cache it); status refreshes are not.
      if (patch.registration !== undefined || patch.driver !== undefined) fast.markGroupsChanged();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Where the FN journal has been checked for receipt documents no receipt owns (null: never). */
    async reconciledFd(deviceId: number): Promise<number | null> {
      const r = await db.selectFrom('devices').select('reconciled_fd').where('id', '=', deviceId).executeTakeFirst();
      return r?.reconciled_fd ?? null;
    },
    async setReconciledFd(fence: Fence, fd: number): Promise<boolean> {
      const r = await db.updateTable('devices').set({ reconciled_fd: fd }).where('id', '=', fence.deviceId).where(fenceHolds(dialect, fence)).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
export type DeviceRepository = ReturnType<typeof createDeviceRepository>;
