import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/storage/db.js';
import type { DeviceStatus } from '../../src/devices/driver.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createJobRepository } from '../../src/storage/jobs.js';
import { createUserRepository } from '../../src/storage/users.js';
import { BACKENDS, openMigratedDb, postgresReachable } from '../support/databases.js';
import { deviceStatus, registration } from './records.js';

const pgOk = await postgresReachable();

/** Repositories hand out typed records: JSON columns parsed, 0/1 columns as booleans, enumerations checked. */
describe.each(BACKENDS)('typed records on %s', (backend) => {
  let db!: Db;
  let close = async (): Promise<void> => undefined;
  const now = 1_780_000_000_000;
  let groupId = 0;
  let deviceId = 0;

  beforeAll(async () => {
    if (backend === 'postgres' && !pgOk) return;
    const opened = await openMigratedDb(backend, 'cr_rec');
    db = opened.db;
    close = () => opened.close();
    const settings = { name: 'g', enabled: false, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: false, shiftDurationMin: 600, dailyCloseTime: '23:30' };
    const created = await createGroupRepository(db).create(settings, { driver: 'emulator', config: { latency_ms: 3 } }, now);
    groupId = created.group.id;
    deviceId = created.device.id;
    expect(created.group).toMatchObject({ enabled: false, running: false, auto_open_shift: false, shift_duration_min: 600, daily_close_time: '23:30' });
    expect(created.device).toMatchObject({ driver: 'emulator', config: { latency_ms: 3 }, state: 'stopped', registration: null, status: null });
  });
  afterAll(async () => {
    await close();
  });

  it.skipIf(backend === 'postgres' && !pgOk)('groups and users: booleans', async () => {
    const groups = createGroupRepository(db);
    await groups.update(groupId, { enabled: true, autoOpenShift: true }, now);
    await groups.setRunning(groupId, true, now);
    expect(await groups.get(groupId)).toMatchObject({ enabled: true, running: true, auto_open_shift: true });
    expect((await groups.list())[0]).toMatchObject({ enabled: true, running: true });
    const users = createUserRepository(db.kysely);
    const u = await users.create({ login: 'clerk', name: 'c', passwordHash: 'x', isActive: true, isSuperuser: false }, now);
    expect(u).toMatchObject({ is_active: true, is_superuser: false });
    expect(await users.update(u.id, { isActive: false, isSuperuser: true }, now)).toMatchObject({ is_active: false, is_superuser: true });
    expect(await users.findByLogin('clerk')).toMatchObject({ is_active: false, is_superuser: true });
  });

  it.skipIf(backend === 'postgres' && !pgOk)('devices: config, registration and status parsed; a driver change marks the group lookups stale', async () => {
    const devices = createDeviceRepository(db);
    const groups = createGroupRepository(db);
    expect((await groups.forReceiptsCached(groupId, null))?.device).toEqual({ id: deviceId, registration: null });
    const status: DeviceStatus = deviceStatus;
    expect(await devices.updateDevice(deviceId, { registration, status, statusAt: now, state: 'running', config: { latency_ms: 7 } }, now)).toBe(true);
    expect(await devices.deviceOf(groupId)).toMatchObject({ id: deviceId, driver: 'emulator', config: { latency_ms: 7 }, registration, status, status_at: now, state: 'running' });
    expect((await groups.forReceiptsCached(groupId, null))?.device).toEqual({ id: deviceId, registration });
    expect(await devices.get(deviceId)).toMatchObject({ driver: 'emulator' });
  });

  it.skipIf(backend === 'postgres' && !pgOk)('jobs: parameters typed by kind and refused when they do not fit', async () => {
    const jobs = createJobRepository(db);
    const page = await jobs.create(groupId, deviceId, null, 'documents', { before: null, limit: 20 }, now);
    expect(page).toMatchObject({ kind: 'documents', params: { before: null, limit: 20 }, state: 'pending', result: null, error: null });
    const one = await jobs.get((await jobs.create(groupId, deviceId, null, 'document', { fd: 12 }, now)).id);
    if (one?.kind !== 'document') throw new Error('expected a document job');
    expect(one.params.fd).toBe(12);
    await expect(jobs.create(groupId, deviceId, null, 'document', { fd: 'twelve' }, now)).rejects.toThrow(TypeError);
    await expect(jobs.create(groupId, deviceId, null, 'x_report', { fd: 1 }, now)).rejects.toThrow(TypeError);
    await jobs.setState(page.id, 'failed', { error: { code: 'offline', message: 'gone' } }, now);
    expect(await jobs.get(page.id)).toMatchObject({ state: 'failed', error: { code: 'offline', message: 'gone' }, result: null });
  });
});
