import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/storage/db.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createTempDatabase, postgresReachable, type Backend } from '../support/databases.js';
import { freePort, startChild, type ChildServer } from '../support/child.js';
import { basic, eventually } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';
import { startReceiver, type Receiver } from './receiver.js';

const pgOk = await postgresReachable();
const AUTH = basic('admin', 'admin');

/**
 * Callbacks across real server processes: the outbox is the delivery's whole state, so a delivery
 * pending when its server is killed (SIGKILL, mid-retry) is sent by the next server started on the
 * same database, and one pending on a node that dies is sent by another node of the same
 * PostgreSQL database — also one whose attempt was cut off mid-request, once its claim expired.
 * Production timing throughout (first retry within 10 s, claims of 30 s): a receiver's
 * `Retry-After: 3` keeps the delivery waiting long enough to kill the server in between.
 */
describe('callbacks across restarts and nodes (real processes)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  interface Target {
    env: Record<string, string>;
    /** The database, opened by the test (for group setup and the attempt log with its nodes). */
    db: () => Db;
    group: number;
  }

  async function target(backend: Backend): Promise<Target> {
    const dataDir = mkdtempSync(join(tmpdir(), 'cr-cb-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { CR_DATA_DIR: dataDir, CR_ADMIN_PASSWORD: 'admin', CR_CALLBACK_ALLOW: '127.0.0.1/32' };
    let db: Db | null = null;
    if (backend === 'postgres') {
      const tmp = await createTempDatabase('cr_cbr');
      cleanups.push(() => tmp.drop());
      Object.assign(env, { CR_PROFILE: 'postgres', DATABASE_URL: tmp.url });
    } else {
      env.CR_PROFILE = 'embedded';
    }
    const open = () => {
      db ??= backend === 'postgres' ? openDb({ dialect: 'postgres', url: env.DATABASE_URL ?? '' }) : openDb({ dialect: 'sqlite', file: join(dataDir, 'cr-server.sqlite') });
      return db;
    };
    cleanups.push(async () => {
      await db?.close();
    });
    return { env, db: open, group: 1 };
  }

  async function start(t: Target, node: string): Promise<ChildServer> {
    const child = await startChild({ ...t.env, CR_NODE_ID: node }, await freePort());
    cleanups.push(() => {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    });
    return child;
  }

  /** PostgreSQL starts without the demo group: one on the virtual register, started (the nodes' reconcile picks it up). */
  async function demoGroup(t: Target): Promise<void> {
    const groups = createGroupRepository(t.db());
    const { group } = await groups.create(
      { name: 'Демо', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: {} },
      Date.now(),
    );
    await groups.setRunning(group.id, true, Date.now());
    t.group = group.id;
  }

  const post = async (c: ChildServer, t: Target, body: unknown): Promise<string> => {
    const res = await fetch(`${c.url}/service_groups/${t.group}/receipts/`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return (await res.json() as { id: string }).id;
  };
  const callbackOf = async (c: ChildServer, t: Target, id: string) =>
    ((await (await fetch(`${c.url}/service_groups/${t.group}/receipts/${id}`, { headers: { authorization: AUTH } })).json()) as { callback: { state: string | null; attempts: number } | null }).callback;
  const attempts = (t: Target, receiptId: string) =>
    t.db().kysely
      .selectFrom('callback_attempts')
      .innerJoin('callback_deliveries', 'callback_deliveries.id', 'callback_attempts.delivery_id')
      .select(['callback_attempts.status', 'callback_attempts.error', 'callback_attempts.node', 'callback_deliveries.event_id'])
      .where('callback_deliveries.receipt_id', '=', Number(receiptId))
      .orderBy('callback_attempts.id')
      .execute();
  const requestsFor = (rx: Receiver, id: string) => rx.requests.filter((r) => String(r.json.id) === id);

  for (const backend of ['sqlite', 'postgres'] as const) {
    it.skipIf(backend === 'postgres' && !pgOk)(`sends a delivery left pending by a killed server after the restart (${backend})`, { timeout: 180_000 }, async () => {
      const rx = await startReceiver();
      cleanups.push(() => rx.close());
      rx.script([{ status: 500, retryAfter: '3' }], { status: 200 });
      const t = await target(backend);
      const first = await start(t, 'node-a');
      if (backend === 'postgres') await demoGroup(t);
      const id = await post(first, t, sellReceipt({ callback_url: rx.url }));

      // The first attempt failed and is recorded; the retry waits for at least 3 s. Kill the server now.
      await eventually(async () => (await attempts(t, id)).length === 1, 60_000, 50);
      first.proc.kill('SIGKILL');
      await first.exited;
      expect(requestsFor(rx, id)).toHaveLength(1);

      const second = await start(t, 'node-b');
      await eventually(async () => (await callbackOf(second, t, id))?.state === 'delivered', 60_000, 100);
      const reqs = requestsFor(rx, id);
      expect(reqs).toHaveLength(2);
      expect(reqs[1]?.headers['x-cr-event-id']).toBe(reqs[0]?.headers['x-cr-event-id']);
      expect((reqs[1]?.at ?? 0) - (reqs[0]?.at ?? 0)).toBeGreaterThanOrEqual(2900);
      const log = await attempts(t, id);
      expect(log.map((a) => [a.status, a.node])).toEqual([[500, 'node-a'], [200, 'node-b']]);
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    });
  }

  it.skipIf(!pgOk)('lets another node of the database deliver when the first dies mid-retry, and mid-attempt once its claim expired', { timeout: 240_000 }, async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const t = await target('postgres');
    const a = await start(t, 'node-a');
    const b = await start(t, 'node-b');
    await demoGroup(t);
    const nodes: Record<string, ChildServer> = { 'node-a': a, 'node-b': b };
    const survivorOf = (dead: string) => (dead === 'node-a' ? 'node-b' : 'node-a');

    // Mid-retry: the first attempt got a 500 asking for 3 s; the node that made it is killed meanwhile.
    rx.script([{ status: 500, retryAfter: '3' }], { status: 200 });
    const id = await post(a, t, sellReceipt({ callback_url: rx.url }));
    const [firstAttempt] = await eventually(async () => {
      const log = await attempts(t, id);
      return log.length === 1 ? log : null;
    }, 60_000, 50);
    const dead = firstAttempt?.node ?? '';
    nodes[dead]?.proc.kill('SIGKILL');
    await nodes[dead]?.exited;
    const survivor = nodes[survivorOf(dead)];
    if (!survivor) throw new Error('no survivor');
    await eventually(async () => (await callbackOf(survivor, t, id))?.state === 'delivered', 60_000, 100);
    expect((await attempts(t, id)).map((x) => [x.status, x.node])).toEqual([[500, dead], [200, survivorOf(dead)]]);

    // Mid-attempt: a fresh node takes the dead one's place; the receiver holds the next request
    // open, and the node sending it is killed while it waits. Its claim (30 s, the duration under
    // test) must expire before the other node sends the attempt again, with the same event id.
    const c = await start(t, dead === 'node-a' ? 'node-c' : 'node-d');
    nodes[dead === 'node-a' ? 'node-c' : 'node-d'] = c;
    rx.script([{ hang: true }], { status: 200 });
    const id2 = await post(survivor, t, sellReceipt({ callback_url: rx.url }));
    await eventually(async () => requestsFor(rx, id2).length === 1, 60_000, 20);
    const claim = await t.db().kysely.selectFrom('callback_deliveries').select(['lease_owner', 'lease_until']).where('receipt_id', '=', Number(id2)).executeTakeFirstOrThrow();
    const holder = claim.lease_owner ?? '';
    const killedAt = Date.now();
    nodes[holder]?.proc.kill('SIGKILL');
    await nodes[holder]?.exited;
    const other = Object.entries(nodes).find(([name, child]) => name !== holder && child.proc.exitCode === null && child.proc.signalCode === null)?.[1];
    if (!other) throw new Error('no node left');
    await eventually(async () => (await callbackOf(other, t, id2))?.state === 'delivered', 90_000, 200);
    const reqs = requestsFor(rx, id2);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]?.headers['x-cr-event-id']).toBe(reqs[0]?.headers['x-cr-event-id']);
    // Not before the dead node's claim ended.
    expect(reqs[1]?.at ?? 0).toBeGreaterThanOrEqual(Number(claim.lease_until) - 1000);
    expect((reqs[1]?.at ?? 0) - killedAt).toBeLessThan(60_000);
    // The killed node never recorded its attempt; the survivor's is the only one.
    expect((await attempts(t, id2)).map((x) => x.status)).toEqual([200]);
    for (const child of Object.values(nodes)) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
  });
});
