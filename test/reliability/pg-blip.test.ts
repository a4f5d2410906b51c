import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { openDb } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { createUserRepository } from '../../src/storage/users.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { hashPassword } from '../../src/services/passwords.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { PG_ADMIN_URL, createTempDatabase, postgresReachable } from '../support/databases.js';
import { freePort, startChild, type ChildServer } from '../support/child.js';
import { basic } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const pgOk = await postgresReachable();
const AUTH = basic('admin', 'admin');
const TOTAL = 300;
const CLIENTS = 6;
const BLIPS = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * PostgreSQL drops every connection of the server (pg_terminate_backend, as a failover or an admin
 * would) several times under load. The process must stay up: requests in flight get 503 with
 * Retry-After (never 500, nothing acknowledged lost), the pool reconnects, the device worker backs
 * off and resumes, and every receipt that got a 200 is fiscalized exactly once.
 */
describe('PostgreSQL connection drops under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-blip-'));
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!pgOk)(`survives ${BLIPS} terminations of all its connections during ${TOTAL} receipts`, { timeout: 180_000 }, async () => {
    const tmp = await createTempDatabase('cr_blip');
    cleanups.push(() => tmp.drop());
    const setup = openDb({ dialect: 'postgres', url: tmp.url });
    await migrate(setup);
    await createUserRepository(setup.kysely).create({ login: 'admin', name: 'Admin', passwordHash: await hashPassword('admin'), isActive: true, isSuperuser: true }, Date.now());
    const groups = createGroupRepository(setup);
    const { group, device } = await groups.create(
      { name: 'Blip', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: { latency_ms: 5 } },
      Date.now(),
    );
    await groups.setRunning(group.id, true, Date.now());
    await setup.close();

    const server: ChildServer = await startChild({ CR_PROFILE: 'postgres', DATABASE_URL: tmp.url, CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin' }, await freePort());
    cleanups.push(async () => {
      server.proc.kill('SIGKILL');
    });

    const statuses = new Map<number, number>();
    const accepted = new Map<string, string>();
    let next = 0;
    let missingRetryAfter = 0;
    async function client(): Promise<void> {
      for (;;) {
        const n = next++;
        if (n >= TOTAL) return;
        const key = `blip-${n}`;
        const body = JSON.stringify(sellReceipt({ order_id: key }));
        for (;;) {
          const r = await fetch(`${server.url}/service_groups/${group.id}/receipts/`, {
            method: 'POST',
            headers: { authorization: AUTH, 'content-type': 'application/json', 'idempotency-key': key },
            body,
          });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          const text = await r.text();
          if (r.status === 200) {
            accepted.set(key, (JSON.parse(text) as { id: string }).id);
            break;
          }
          expect(r.status, text).toBe(503);
          if (!r.headers.get('retry-after')) missingRetryAfter++;
          await sleep(50);
        }
      }
    }

    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    let terminated = 0;
    async function blipper(): Promise<void> {
      for (let i = 0; i < BLIPS; i++) {
        await sleep(400 + Math.random() * 300);
        const r = await admin.query<{ pid: number }>('SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(tmp.url).pathname.slice(1)]);
        terminated += r.rowCount ?? 0;
      }
    }
    await Promise.all([...Array.from({ length: CLIENTS }, () => client()), blipper()]);

    expect(server.proc.exitCode, server.output().slice(-2000)).toBeNull();
    expect(terminated).toBeGreaterThan(BLIPS);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(missingRetryAfter).toBe(0);
    expect(accepted.size).toBe(TOTAL);

    // Ready again, and the queue drains: every accepted receipt fiscalized, one document each.
    // The last termination may have landed just now: /ready reports the pool's reconnection, so wait
    // for it to say ready (it must, within seconds) rather than sampling it once.
    let readyStatus = 0;
    for (let i = 0; i < 100 && readyStatus !== 200; i++) {
      if (i > 0) await sleep(100);
      readyStatus = (await fetch(`${server.url}/ready`)).status;
    }
    expect(readyStatus).toBe(200);
    const check = openDb({ dialect: 'postgres', url: tmp.url });
    cleanups.push(() => check.close());
    for (let i = 0; ; i++) {
      const open = await check.kysely.selectFrom('receipts').select('id').where('state', '!=', 'success').execute();
      if (open.length === 0) break;
      if (i > 600) throw new Error(`unfinished: ${open.length}; ${server.output().slice(-2000)}`);
      await sleep(100);
    }
    const rows = await check.kysely.selectFrom('receipts').select(['id', 'fd_number']).execute();
    expect(rows).toHaveLength(TOTAL);
    expect(new Set(rows.map((r) => r.fd_number)).size).toBe(TOTAL);
    const driver = createEmulatorDriver(emulatorDefaults(), { deviceId: device.id, dataDir, logger: pino({ level: 'silent' }), clock: systemClock });
    const docs = (await driver.journal()).filter((d) => d.kind === 'receipt');
    await driver.close();
    expect(docs).toHaveLength(TOTAL);
  });
});
