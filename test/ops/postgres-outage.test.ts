import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { PG_ADMIN_URL, createTempDatabase, postgresReachable } from '../support/databases.js';
import { basic, eventually } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';
import { tcpProxy } from './helpers.js';

const skip = !(await postgresReachable());
const auth = basic('admin', 'admin');

/**
 * A PostgreSQL server on a temp database whose receipts stay pending: the group's device model is
 * not installed, so no worker runs and only the HTTP path touches the database under test.
 */
async function pgServer(url: string): Promise<Server> {
  const config = loadConfig([], { CR_PROFILE: 'postgres', DATABASE_URL: url, CR_ADMIN_PASSWORD: 'admin', CR_LOG_LEVEL: 'silent', CR_PORT: '0' }, { nodeId: 'ops-test' });
  const server = await startServer(config, { listen: false, drivers: [] });
  const groups = createGroupRepository(server.db);
  const { group } = await groups.create(
    { name: 'outage', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
    { driver: 'not-installed', config: {} },
    Date.now(),
  );
  await groups.setRunning(group.id, true, Date.now());
  return server;
}

const post = (s: Server, groupId: number) =>
  s.app.inject({ method: 'POST', url: `/service_groups/${groupId}/receipts/`, headers: { authorization: auth }, payload: ORIGINAL_EXAMPLE });

describe.skipIf(skip)('PostgreSQL connections dropped under load', () => {
  let tmp: { url: string; drop(): Promise<void> };
  let server: Server;
  let admin: pg.Client;
  beforeAll(async () => {
    tmp = await createTempDatabase('cr_ops_drop');
    server = await pgServer(tmp.url);
    admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await server?.close();
    await tmp?.drop();
  });

  it('answers every request in flight 200 or 503 with Retry-After, never 500, and keeps every acknowledged receipt', { timeout: 60_000 }, async () => {
    const dbName = new URL(tmp.url).pathname.slice(1);
    const statuses = new Map<number, number>();
    const accepted: number[] = [];
    let unavailable = 0;
    let badRetryAfter = 0;
    const bodies: string[] = [];
    let stop = false;

    // Four clients post continuously while the server's backends are killed every 30 ms.
    const client = async () => {
      while (!stop) {
        const res = await post(server, 1);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 200) accepted.push(Number(res.json<{ id: string }>().id));
        else {
          if (res.statusCode === 503) unavailable++;
          if (!(Number(res.headers['retry-after']) >= 1)) badRetryAfter++;
          if (bodies.length < 5) bodies.push(`${res.statusCode} ${res.body}`);
        }
      }
    };
    const killer = async () => {
      const deadline = Date.now() + 20_000;
      let kills = 0;
      // Until enough requests met a dropped connection (each kill usually breaks a few), bounded in time.
      while ((kills < 20 || statuses.size < 2 || unavailable + (statuses.get(500) ?? 0) < 10) && Date.now() < deadline) {
        const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
        if ((r.rowCount ?? 0) > 0) kills++;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      stop = true;
    };
    await Promise.all([killer(), client(), client(), client(), client()]);

    expect(bodies.filter((b) => !b.startsWith('503 ')), 'non-503 failures').toEqual([]);
    expect([...statuses.keys()].sort()).toEqual([200, 503]);
    expect(badRetryAfter).toBe(0);
    expect(unavailable).toBeGreaterThan(0);
    for (const b of bodies) expect(JSON.parse(b.slice(4))).toEqual({ errors: [{ code: 'database_unavailable', message: expect.any(String) as string }] });

    // The pool recovers by itself; every receipt acknowledged with 200 is stored.
    await eventually(async () => (await post(server, 1)).statusCode === 200, 10_000);
    const stored = new Set((await server.db.kysely.selectFrom('receipts').select('id').execute()).map((r) => r.id));
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);
  });
});

describe.skipIf(skip)('PostgreSQL unreachable', () => {
  let tmp: { url: string; drop(): Promise<void> };
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let server: Server;
  beforeAll(async () => {
    tmp = await createTempDatabase('cr_ops_down');
    const target = new URL(PG_ADMIN_URL);
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(tmp.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    server = await pgServer(url.toString());
  });
  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await server?.close();
    await proxy?.close();
    await tmp?.drop();
  });

  it('/ready is 503 database_unavailable without internal details, receipts get 503 with Retry-After, and both recover', { timeout: 60_000 }, async () => {
    expect((await server.app.inject('/ready')).statusCode).toBe(200);
    expect((await post(server, 1)).statusCode).toBe(200);

    await proxy.down();
    const ready = await eventually(async () => {
      const r = await server.app.inject('/ready');
      return r.statusCode === 503 ? r : null;
    }, 10_000);
    expect(ready.json()).toEqual({ status: 'not_ready', code: 'database_unavailable' });
    expect(ready.body).not.toMatch(/ECONN|127\.0\.0\.1|terminat|connect/i);

    const res = await post(server, 1);
    expect(res.statusCode).toBe(503);
    expect(res.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('database_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    await proxy.up();
    await eventually(async () => (await server.app.inject('/ready')).statusCode === 200, 10_000);
    expect((await post(server, 1)).statusCode).toBe(200);
  });
});
