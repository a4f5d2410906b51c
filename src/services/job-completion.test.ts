import { describe, expect, it } from 'vitest';
import type { GroupRepository } from '../storage/groups.js';
import type { DeviceRepository } from '../storage/devices.js';
import type { JobRepository } from '../storage/jobs.js';
import type { Actor } from './actor.js';
import { createDeviceOperations } from './device-operations.js';
import { createJobCompletion } from './job-completion.js';

const actor: Actor = { id: 1, login: 'admin', isSuperuser: true, ip: '127.0.0.1', sessionId: null };

describe('job completion', () => {
  it('wakes a waiting request when its job finishes, reading the job only around the wake-up', async () => {
    const completion = createJobCompletion();
    let state: 'pending' | 'success' = 'pending';
    let reads = 0;
    const group = { id: 7, enabled: true, running: true };
    const groups = { forReceipts: async () => ({ group, device: null, allowed: true }) } as unknown as GroupRepository;
    const jobs = {
      create: async () => ({ id: 42 }),
      get: async () => {
        reads += 1;
        return { id: 42, state, result: state === 'success' ? { ok: true } : null, error: null };
      },
    } as unknown as JobRepository;
    const audit = { write: async () => undefined, writeAnonymous: async () => undefined };
    const devices = { deviceOf: async () => ({ id: 3, group_id: 7 }), get: async () => undefined } as unknown as Pick<DeviceRepository, 'get' | 'deviceOf'>;
    const ops = createDeviceOperations({ groups, jobs, devices, completion, audit, now: () => 0, notify: () => undefined, driverOf: () => undefined, waitMs: 30_000, recheckMs: 10_000 });

    const answer = ops.shift(actor, 7, 'x_report');
    await new Promise((r) => setTimeout(r, 50));
    expect(completion.waiting).toBe(1);
    state = 'success';
    const started = performance.now();
    completion.finished({ id: 42, groupId: 7 });
    await expect(answer).resolves.toMatchObject({ id: 42, state: 'success', result: { ok: true } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reads).toBe(2);
    expect(completion.waiting).toBe(0);
  });

  it('wakes the waiters of a group on activity reported from another node', async () => {
    const completion = createJobCompletion();
    const w = completion.wait(1, 3, 60_000);
    completion.groupActivity(4);
    expect(completion.waiting).toBe(1);
    completion.groupActivity(3);
    await w.done;
    expect(completion.waiting).toBe(0);
  });
});
