import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../src/storage/devices.js';
import type { GroupRecord } from '../../src/storage/groups.js';
import { deviceStatus, registration } from '../storage/records.js';
import { attentionOf } from '../../src/services/overview.js';
import { DEFAULT_POOL_POLICY } from '../../src/domain/pool.js';
import type { GroupState } from '../../src/services/groups.js';

const stateOf = (d: DeviceRecord): GroupState => ({ group, device: d, registers: [{ device: d, open: 0, recent: 0, share: 0 }], queueLength: 0, lastReceiptAt: null, orphanDocuments: 0 });

const NOW = Date.parse('2026-12-01T12:00:00Z');
const group: GroupRecord = {
  id: 3, name: 'Магазин', enabled: true, running: true, default_tax_system: 1, default_vat: null, auto_open_shift: true,
  shift_duration_min: 1440, daily_close_time: null, marking_policy: 'offline_allowed', group_code: null, pool_policy: DEFAULT_POOL_POLICY, events_url: null, events_user_id: null, created_at: NOW, updated_at: NOW,
};
const device = (status: DeviceRecord['status']): DeviceRecord => ({
  id: 7, group_id: 3, driver: 'emulator', config: {}, state: 'running', state_reason: null, registration, status, status_at: NOW,
  lease_owner: null, lease_epoch: 1, lease_until: null, reconciled_fd: null, service: 'active', health: null, created_at: NOW, updated_at: NOW,
});

describe('what needs an admin', () => {
  it('a blocked FN marking work is an error item with the number of waiting notifications', () => {
    const blocked = { blocked: true, unconfirmedNotifications: 4, oldestUnconfirmedAt: '2026-11-27T10:00:00+03:00' };
    const items = attentionOf(stateOf(device({ ...deviceStatus, marking: blocked })), new Map(), NOW);
    expect(items).toContainEqual(expect.objectContaining({ code: 'marking_blocked', severity: 'error', count: 4 }));
    const fine = attentionOf(stateOf(device({ ...deviceStatus, marking: { ...blocked, blocked: false } })), new Map(), NOW);
    expect(fine.map((a) => a.code)).not.toContain('marking_blocked');
  });
});
