import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/passwords.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createUserRepository } from '../../src/storage/users.js';
import { basic, eventually, testServer, type TestServer } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';

type Who = 'none' | 'wrong_password' | 'other_group_user' | 'allowed_user' | 'inactive_user' | 'superuser';
const WHO: Who[] = ['none', 'wrong_password', 'other_group_user', 'allowed_user', 'inactive_user', 'superuser'];

/**
 * Every REST endpoint × every kind of caller. Group 1 is the allowed user's; group 2 is the other
 * user's. Expected statuses: 401 without valid active credentials; 403 on a group the user may not
 * use and on superuser-only actions; otherwise the endpoint's own answer.
 */
describe('access matrix', () => {
  let s: TestServer;
  let receiptId = '';
  let failedId = 0;
  let fd = 0;
  const auth: Record<Who, string | undefined> = {
    none: undefined,
    wrong_password: basic('cashier', 'wrong'),
    other_group_user: basic('other', 'secret'),
    allowed_user: basic('cashier', 'secret'),
    inactive_user: basic('gone', 'secret'),
    superuser: basic('admin', 'admin'),
  };

  beforeAll(async () => {
    s = await testServer('sqlite');
    const users = createUserRepository(s.db.kysely);
    const groups = createGroupRepository(s.db);
    const hash = await hashPassword('secret');
    const cashier = await users.create({ login: 'cashier', name: 'C', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    const other = await users.create({ login: 'other', name: 'O', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    const gone = await users.create({ login: 'gone', name: 'G', passwordHash: hash, isActive: false, isSuperuser: false }, Date.now());
    const { group } = await groups.create(
      { name: 'Other', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: {} },
      Date.now(),
    );
    await groups.setAccess(1, [cashier.id, gone.id]);
    await groups.setAccess(group.id, [other.id]);
    const res = await s.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: s.admin }, payload: ORIGINAL_EXAMPLE });
    receiptId = res.json<{ id: string }>().id;
    const r = await eventually(async () => {
      const j = (await s.app.inject({ url: `/service_groups/1/receipts/${receiptId}`, headers: { authorization: s.admin } })).json<{ state: string; receipt_num: number }>();
      return j.state === 'success' ? j : null;
    });
    fd = r.receipt_num;
    const ok = await s.db.kysely.selectFrom('receipts').selectAll().where('id', '=', Number(receiptId)).executeTakeFirstOrThrow();
    const failed = await s.db.kysely
      .insertInto('receipts')
      .values({ group_id: 1, user_id: cashier.id, device_id: null, state: 'failed', attempts: 1, error: '{"code":"fn_expired","message":"x"}', idempotency_key: null, request_hash: ok.request_hash, request: ok.request, order_id: null, receipt_type: 1, total: ok.total, created_at: Date.now(), updated_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    failedId = failed.id;
  });
  afterAll(async () => {
    await s.cleanup();
  });

  // [method, url, body, expected status for the allowed user, superuser only?]
  const endpoints = (): [string, string, unknown, number, boolean][] => [
    ['POST', '/service_groups/1/receipts/', ORIGINAL_EXAMPLE, 200, false],
    ['GET', `/service_groups/1/receipts/${receiptId}`, undefined, 200, false],
    ['GET', '/service_groups/1/receipts/', undefined, 200, false],
    ['GET', `/service_groups/1/receipts/${receiptId}/print`, undefined, 200, false],
    ['GET', '/service_groups/1', undefined, 200, false],
    ['POST', '/service_groups/1/reports/x', undefined, 200, false],
    ['GET', '/service_groups/1/documents/', undefined, 200, false],
    ['GET', `/service_groups/1/documents/${fd}`, undefined, 200, false],
    ['POST', `/service_groups/1/receipts/${failedId}/retry`, undefined, 200, true],
    ['POST', `/service_groups/1/receipts/${receiptId}/cancel`, undefined, 409, true],
    ['GET', '/service_groups/1/device/faults', undefined, 200, true],
  ];

  it('gives every caller the expected status on every endpoint', async () => {
    const failures: string[] = [];
    for (const [method, url, body, okStatus, superOnly] of endpoints()) {
      for (const who of WHO) {
        if (url.endsWith('/retry')) await s.db.kysely.updateTable('receipts').set({ state: 'failed' }).where('id', '=', failedId).execute();
        const res = await s.app.inject({
          method: method as 'GET' | 'POST',
          url,
          headers: auth[who] ? { authorization: auth[who] } : {},
          // The guesser comes from its own address: its failures must not throttle the real cashier.
          remoteAddress: who === 'wrong_password' ? '10.66.0.1' : '127.0.0.1',
          ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
        });
        let expected: number;
        if (who === 'none' || who === 'wrong_password' || who === 'inactive_user') expected = 401;
        else if (who === 'other_group_user') expected = 403;
        else if (who === 'allowed_user') expected = superOnly ? 403 : okStatus;
        else expected = okStatus;
        // Repeated bad credentials from one address are throttled: 429 with Retry-After is the right answer then.
        if (expected === 401 && who !== 'none' && res.statusCode === 429) {
          if (!res.headers['retry-after']) failures.push(`${method} ${url} as ${who}: 429 without Retry-After`);
          continue;
        }
        if (res.statusCode !== expected) failures.push(`${method} ${url} as ${who}: ${res.statusCode}, expected ${expected} ${res.body.slice(0, 200)}`);
        if (url.endsWith('/retry') && res.statusCode === 200) await s.db.kysely.updateTable('receipts').set({ state: 'failed' }).where('id', '=', failedId).execute();
        if (expected === 401 && !res.headers['www-authenticate']) failures.push(`${method} ${url} as ${who}: 401 without WWW-Authenticate`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('lists only the groups a user may use', async () => {
    const list = async (who: Who) => (await s.app.inject({ url: '/service_groups/', headers: auth[who] ? { authorization: auth[who] } : {} }));
    expect((await list('allowed_user')).json<{ id: number }[]>().map((g) => g.id)).toEqual([1]);
    expect((await list('other_group_user')).json<{ id: number }[]>().map((g) => g.id)).toEqual([2]);
    expect((await list('superuser')).json<{ id: number }[]>().map((g) => g.id)).toEqual([1, 2]);
    expect((await list('none')).statusCode).toBe(401);
    expect([401, 429]).toContain((await list('inactive_user')).statusCode);
  });
});

describe('X-Forwarded-For from an untrusted peer', () => {
  it('cannot pick a new client address for each guess: the throttle still stops the guesser', async () => {
    const s = await testServer('sqlite', { env: { CR_TRUST_PROXY: 'false' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await s.app.inject({
          url: '/service_groups/',
          headers: { authorization: basic('admin', `guess-${i}`), 'x-forwarded-for': `198.51.100.${i}` },
          remoteAddress: '203.0.113.9',
        });
        statuses.push(res.statusCode);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    } finally {
      await s.cleanup();
    }
  });
});
