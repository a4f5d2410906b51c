import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A held lease is renewed once it is past a third of its time, not at every reconcile pass (with a
 * thousand registers the per-pass renewal was most of what an idle node wrote), and it never has
 * less than half its time left: a device call, which needs a third, is never refused for want of lease.
 */
describe('lease renewal', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-renew-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('renews every third of the lease, keeping at least half of it', { timeout: 30_000 }, async () => {
    const config = loadConfig([], { CR_PROFILE: 'embedded', CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent', CR_NODE_ID: 'renew-node' }, { nodeId: 'renew-node' });
    const ttl = 3000;
    const pass = 250;
    const s = await startServer(config, { listen: false, leases: { reconcileMs: pass, ttlMs: ttl } });
    try {
      const groups = createGroupRepository(s.db);
      const { group, device } = await groups.create(
        { name: 'Renewed', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
        { driver: 'emulator', config: {} },
        Date.now(),
      );
      await groups.setRunning(group.id, true, Date.now());
      await s.workers.reconcile();
      expect(s.workers.isRunning(group.id)).toBe(true);
      const seen = new Set<number>();
      let leastLeft = Infinity;
      const until = Date.now() + 4 * ttl;
      while (Date.now() < until) {
        const row = await s.db.kysely.selectFrom('devices').select(['lease_until', 'lease_owner']).where('id', '=', device.id).executeTakeFirstOrThrow();
        expect(row.lease_owner).toBe('renew-node');
        const left = Number(row.lease_until) - Date.now();
        leastLeft = Math.min(leastLeft, left);
        seen.add(Number(row.lease_until));
        await sleep(50);
      }
      // 12 s of a 3 s lease: one renewal per second (a third), not one per 250 ms pass (48).
      expect(seen.size).toBeGreaterThanOrEqual(8);
      expect(seen.size).toBeLessThanOrEqual(20);
      expect(leastLeft).toBeGreaterThan(ttl / 2 - pass);
    } finally {
      await s.close();
    }
  });
});
