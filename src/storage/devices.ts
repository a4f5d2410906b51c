import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { DevicesTable } from './schema.js';
import { createLeaseRepository, fenceHolds, type Fence } from './fence.js';
import { DEVICE_STATES, type DeviceState } from '../domain/records.js';
import type { DeviceStatus, RegistrationInfo } from '../devices/driver.js';
import { parseStored, parseStoredOrNull, storedEnum } from './json.js';

type DeviceRow = Selectable<DevicesTable>;

/** A stored device: its JSON columns parsed, its state one of DeviceState. */
export type DeviceRecord = Omit<DeviceRow, 'config' | 'registration' | 'status' | 'state'> & {
  /** The driver's settings, validated against its config schema when they were saved. */
  config: Record<string, unknown>;
  registration: RegistrationInfo | null;
  status: DeviceStatus | null;
  state: DeviceState;
};

export function toDeviceRecord(row: DeviceRow): DeviceRecord {
  return {
    ...row,
    config: parseStored<Record<string, unknown>>(row.config),
    registration: parseStoredOrNull<RegistrationInfo>(row.registration),
    status: parseStoredOrNull<DeviceStatus>(row.status),
    state: storedEnum(DEVICE_STATES, row.state, 'devices.state'),
  };
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
export function createDeviceRepository(handle: Db) {
  const { kysely: db, dialect, fast } = handle;
  return {
    leases: createLeaseRepository(db, dialect),
    async get(id: number): Promise<DeviceRecord | undefined> {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toDeviceRecord(row);
    },
    /** The group's device (a group owns one device today; the table allows several). */
    async deviceOf(groupId: number): Promise<DeviceRecord | undefined> {
      const row = await db.selectFrom('devices').selectAll().where('group_id', '=', groupId).orderBy('id').limit(1).executeTakeFirst();
      return row && toDeviceRecord(row);
    },
    async list(): Promise<DeviceRecord[]> {
      return (await db.selectFrom('devices').selectAll().orderBy('id').execute()).map(toDeviceRecord);
    },
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
