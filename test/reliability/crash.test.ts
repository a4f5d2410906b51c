import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { openDb, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { createUserRepository } from '../../src/storage/users.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { hashPassword } from '../../src/services/passwords.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { BACKENDS, createTempDatabase, postgresReachable } from '../support/databases.js';
import { freePort, startChild, type ChildServer } from '../support/child.js';
import { basic } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const pgOk = await postgresReachable();
const TOTAL = 1000;
const CLIENTS = 8;
const KILLS = 5;
const AUTH = basic('admin', 'admin');

/** What fetch throws when the server is killed under it: refused, reset or cut off, or no answer in time. */
const isConnectionError = (e: unknown): boolean =>
  e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError' || (e instanceof TypeError && /^(fetch failed|terminated)$/.test(e.message)));

/**
 * The crash test of the exactly-once promise: a real server process takes a stream of receipts from
 * concurrent clients and is killed with SIGKILL at random moments (device calls take a few ms, so
 * kills land while a call is in flight). Clients retry with the same Idempotency-Key, as the API
 * asks them to. After the last restart every receipt that got a 200 must reach success, no two share
 * a fiscal document, and the register's journal holds exactly one receipt document per success.
 */
describe.each(BACKENDS)('crash test on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  const dataDir = mkdtempSync(join(tmpdir(), 'cr-crash-'));
  let dropDb: (() => Promise<void>) | null = null;
  let stopServer: () => void = () => undefined;
  afterAll(async () => {
    stopServer(); // a failed run leaves its child running
    if (dropDb) await dropDb();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)(`survives ${KILLS} SIGKILLs during ${TOTAL} receipts with no loss and no duplicate`, { timeout: 300_000 }, async () => {
    const env: Record<string, string> = { CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin' };
    let db: Db;
    if (backend === 'postgres') {
      const tmp = await createTempDatabase();
      dropDb = () => tmp.drop();
      env.CR_PROFILE = 'postgres';
      env.DATABASE_URL = tmp.url;
      db = openDb({ dialect: 'postgres', url: tmp.url });
    } else {
      env.CR_PROFILE = 'embedded';
      db = openDb({ dialect: 'sqlite', file: join(dataDir, 'cr-server.sqlite') });
    }
    // The group's virtual register answers after 2 ms per operation, so a kill often hits a device call.
    await migrate(db);
    const users = createUserRepository(db.kysely);
    const groups = createGroupRepository(db);
    await users.create({ login: 'admin', name: 'Admin', passwordHash: await hashPassword('admin'), isActive: true, isSuperuser: true }, Date.now());
    const { group, device } = await groups.create(
      { name: 'Crash', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: { latency_ms: 2 } },
      Date.now(),
    );
    await groups.setRunning(group.id, true, Date.now());

    const port = await freePort();
    let server: ChildServer = await startChild(env, port);
    stopServer = () => server.proc.kill('SIGKILL');
    const accepted = new Map<string, string>(); // idempotency key → receipt id
    let next = 0;
    let down = false;
    let replays = 0;
    /** The first failure of a client or the killer: every loop stops, so it surfaces at once, not as a timeout. */
    let failure: { error: unknown } | null = null;

    /**
     * One POST and its answer, or null when the connection failed: the server was killed (refused,
     * reset, or the answer cut off) or did not answer in time. Only these are retried; anything
     * else, and every assertion below, propagates.
     */
    async function attempt(key: string, body: string): Promise<{ status: number; text: string } | null> {
      try {
        const r = await fetch(`${server.url}/service_groups/${group.id}/receipts/`, {
          method: 'POST',
          headers: { authorization: AUTH, 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        return { status: r.status, text: await r.text() };
      } catch (e) {
        if (isConnectionError(e)) return null;
        throw e;
      }
    }

    /** Registers `body` under `key`, retrying over kills and 503 as the API asks; the receipt id, and whether a retry happened. */
    async function register(key: string, body: string): Promise<{ id: string; retried: boolean }> {
      let retried = false;
      for (;;) {
        if (failure) throw new Error('another client failed');
        const res = await attempt(key, body);
        if (res !== null && res.status !== 503) {
          expect(res.status, res.text).toBe(200);
          return { id: (JSON.parse(res.text) as { id: string }).id, retried };
        }
        retried = true;
        // Server down or stopping: retry the same key once it is back.
        await new Promise((r) => setTimeout(r, down ? 100 : 20));
      }
    }

    async function client(c: number): Promise<void> {
      for (;;) {
        const n = next++;
        if (n >= TOTAL || failure) return;
        const key = `crash-${c}-${n}`;
        const body = JSON.stringify(sellReceipt({ order_id: key, products: [{ name: `Item ${n}`, payment_state_int: 4, price: (n % 500) + 1, commodity_type_int: 1, quantity: 1 }], payments: [{ payment_type_int: 0, payment_sum: 1000 }] }));
        const first = await register(key, body);
        expect(accepted.has(key)).toBe(false);
        accepted.set(key, first.id);
        // The idempotency promise, asked directly: a retry of an answered request (every one that
        // met a kill, and every 10th) names the same receipt, across restarts too.
        if (first.retried || n % 10 === 0) {
          const again = await register(key, body);
          expect(again.id, `retry of ${key}`).toBe(first.id);
          replays++;
        }
      }
    }

    const failFast = <T>(p: Promise<T>) => p.catch((error: unknown) => {
      failure ??= { error };
      return null;
    });

    async function killer(): Promise<number> {
      let kills = 0;
      while (kills < KILLS && next < TOTAL && !failure) {
        // Kills are spread over the run by progress, not by time: a faster server must not finish
        // the 1000 receipts before every kill has landed.
        const due = Math.floor(((kills + 1) * TOTAL) / (KILLS + 1) + (Math.random() - 0.5) * (TOTAL / (KILLS + 1) / 2));
        while (next < due && !failure) await new Promise((res) => setTimeout(res, 5));
        if (failure) break;
        await new Promise((res) => setTimeout(res, Math.random() * 50));
        down = true;
        server.proc.kill('SIGKILL');
        await server.exited;
        kills++;
        server = await startChild(env, port);
        down = false;
      }
      return kills;
    }

    // Everything settles before a failure is thrown: no client or restarted server outlives the test.
    const [kills] = await Promise.all([failFast(killer()), ...Array.from({ length: CLIENTS }, (_, c) => failFast(client(c)))]);
    if (failure) throw (failure as { error: unknown }).error;
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(accepted.size).toBe(TOTAL);
    expect(replays).toBeGreaterThanOrEqual(TOTAL / 10);

    // After the last restart, every accepted receipt reaches success.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const open = await db.kysely.selectFrom('receipts').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '!=', 'success').executeTakeFirstOrThrow();
      if (Number(open.n) === 0) break;
      if (Date.now() > deadline) throw new Error(`${open.n} receipts not successful: ${server.output().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const rows = await db.kysely.selectFrom('receipts').select(['id', 'state', 'fd_number', 'order_id']).execute();
    const resolutions = await db.kysely.selectFrom('audit_log').select(['details']).where('action', '=', 'receipt.in_doubt_resolved').execute();
    await db.close();
    expect(rows).toHaveLength(TOTAL);
    // One row per key (order_id = key), and it is the receipt the client was answered with.
    expect(new Map(rows.map((r) => [r.order_id, String(r.id)]))).toEqual(accepted);
    const fds = rows.map((r) => r.fd_number);
    expect(fds.every((f) => typeof f === 'number')).toBe(true);
    expect(new Set(fds).size).toBe(TOTAL);

    const driver = createEmulatorDriver({ ...emulatorDefaults(), latency_ms: 0 }, { deviceId: device.id, dataDir, logger: pino({ level: 'silent' }), clock: systemClock });
    const journal = await driver.journal();
    await driver.close();
    const receiptDocs = journal.filter((d) => d.kind === 'receipt');
    expect(receiptDocs).toHaveLength(TOTAL);
    expect(new Set(receiptDocs.map((d) => d.fdNumber))).toEqual(new Set(fds));
    // FD numbers in the journal have no gaps: nothing was numbered and lost.
    expect(journal.map((d) => d.fdNumber)).toEqual(journal.map((_, i) => i + 1));
    // Kills landed mid-receipt, and the restarted server resolved those receipts from the device's
    // counter (the audit journal records each resolution; logs of a killed process may be lost).
    expect(resolutions.length).toBeGreaterThanOrEqual(1);
  });
});
