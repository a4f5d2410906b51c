import type { Db } from '../../src/storage/db.js';
import { createLeaseRepository, type Fence } from '../../src/storage/fence.js';
import { createCallFence, type CallFence } from '../../src/workers/call-fence.js';

/**
 * What a device worker needs to run outside the worker manager (storage-level worker tests): the
 * device's lease taken for `owner`, and a call fence that trusts it for `ttlMs`.
 */
export async function testLease(db: Db, deviceId: number, owner = 'test-node', ttlMs = 60_000, callTimeoutMs = 10_000): Promise<{ fence: Fence; callFence: CallFence }> {
  const lease = await createLeaseRepository(db.kysely, db.dialect).acquire(deviceId, owner, ttlMs);
  if (!lease) throw new Error(`device ${deviceId}: lease held by another owner`);
  const validUntil = performance.now() + ttlMs;
  return { fence: { deviceId, owner, epoch: lease.epoch }, callFence: createCallFence({ validUntil: () => validUntil, timeoutMs: callTimeoutMs }) };
}
