import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/passwords.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createUserRepository } from '../../src/storage/users.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { basic, eventually, testServer, type TestServer } from '../support/server.js';
import { call, login } from '../admin/helpers.js';
import { sellReceipt } from '../api/fixtures.js';
import { startReceiver, verify, type Receiver } from './receiver.js';

const pgOk = await postgresReachable();

/** The Node verification exactly as README.md "Callbacks" prints it, run as a receiver would paste it. */
function readmeVerify(): (secret: string, headers: IncomingHttpHeaders, rawBody: string) => boolean {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const code = /## Callbacks[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('README.md has no Node verification under "Callbacks"');
  expect(code.trim().split('\n')).toHaveLength(5);
  type Verify = (secret: string, headers: IncomingHttpHeaders, rawBody: string) => boolean;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the README's snippet is the code under test
  const load = new Function('require', `${code}\nreturn verify;`) as (req: NodeJS.Require) => Verify;
  return load(createRequire(import.meta.url));
}

/** Test timing: short backoff and timeouts, so retries come within a second or two (the behaviour, not the numbers, is tested). */
const FAST = { baseDelayMs: 100, capDelayMs: 2000, connectTimeoutMs: 1000, responseTimeoutMs: 700, pollMs: 50, leaseMs: 5000 };

interface CallbackBlock { url: string; state: string | null; attempts: number; last_status: number | null; last_error: string | null; next_attempt_at: string | null; delivered_at: string | null }
interface LogEntry { at: string; status: number | null; latency_ms: number; error: string | null; node?: string }
interface Delivery { id: number; event_id: string; event: string; kind: string; url: string; state: string; attempts: number; last_status: number | null; last_error: string | null; log: LogEntry[] }

/**
 * Completion callbacks end to end on SQLite and PostgreSQL: a real receiver on 127.0.0.1 (allowed
 * with CR_CALLBACK_ALLOW), the server's delivery worker sending to it, the REST views of the
 * delivery, and the SSRF refusals of a server without the allow-list.
 */
describe.each(BACKENDS)('completion callbacks on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  let strict: TestServer;
  let rx: Receiver;
  const cashier = basic('cashier', 'secret');
  const other = basic('other', 'secret');

  beforeAll(async () => {
    if (skip) return;
    rx = await startReceiver();
    s = await testServer(backend, { env: { CR_CALLBACK_ALLOW: '127.0.0.1/32' }, callbacks: FAST });
    // The same database's twin without an allow-list would share the outbox: a separate server.
    strict = await testServer(backend, { callbacks: FAST });
    const users = createUserRepository(s.db.kysely);
    const hash = await hashPassword('secret');
    const a = await users.create({ login: 'cashier', name: 'Cashier', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    const b = await users.create({ login: 'other', name: 'Other', passwordHash: hash, isActive: true, isSuperuser: false }, Date.now());
    await createGroupRepository(s.db).setAccess(1, [a.id, b.id]);
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await s.cleanup();
    await strict.cleanup();
    await rx.close();
  });

  const post = (server: TestServer, body: unknown, auth = server.admin, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: auth, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  const receipt = async (server: TestServer, id: string, auth = server.admin) =>
    (await server.app.inject({ url: `/service_groups/1/receipts/${id}`, headers: { authorization: auth } })).json<{ state: string; fiscal_sign: string | null; callback: CallbackBlock | null }>();
  const log = async (server: TestServer, id: string, auth = server.admin) => {
    const res = await server.app.inject({ url: `/service_groups/1/receipts/${id}/callbacks`, headers: { authorization: auth } });
    expect(res.statusCode).toBe(200);
    return res.json<{ callback_url: string | null; deliveries: Delivery[] }>();
  };
  const accepted = async (server: TestServer, body: unknown, auth = server.admin) => {
    const res = await post(server, body, auth);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ id: string }>().id;
  };
  /** Requests the receiver got for this receipt. */
  const requestsFor = (id: string) => rx.requests.filter((r) => String(r.json.id) === id);

  it.skipIf(skip)('POSTs the fiscalized receipt, signed with the user\'s secret, and shows the delivery', async () => {
    rx.script([{ status: 200 }]);
    const id = await accepted(s, sellReceipt({ callback_url: rx.url, order_id: 'cb-1' }), cashier);
    const [req] = await eventually(async () => (requestsFor(id).length > 0 ? requestsFor(id) : null), 10_000);
    if (!req) throw new Error('no callback');

    // The body: the receipt resource (without its own `callback` block) and the event.
    expect(req.json).toMatchObject({ id: Number(id), state: 'success', order_id: 'cb-1', event: 'receipt.success', event_id: req.headers['x-cr-event-id'] });
    expect(req.json.fiscal_sign).toMatch(/^\d+$/);
    expect(req.json).not.toHaveProperty('callback');
    expect(Date.parse(String(req.json.sent_at))).toBeGreaterThan(Date.now() - 60_000);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['x-cr-event']).toBe('receipt.success');
    expect(Number(req.headers['x-cr-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(String(req.headers['x-cr-signature'])).toMatch(/^v1=[0-9a-f]{64}$/);

    // The signature verifies with the cashier's secret (made at this first callback), and with no other.
    const secrets = await createUserRepository(s.db.kysely).callbackSecrets((await createUserRepository(s.db.kysely).findByLogin('cashier'))?.id ?? 0);
    expect(secrets?.current).toMatch(/^crcb_[A-Za-z0-9_-]{43}$/);
    expect(verify(secrets?.current ?? '', req.headers, req.body)).toBe(true);
    const fromReadme = readmeVerify();
    expect(fromReadme(secrets?.current ?? '', req.headers, req.body)).toBe(true);
    expect(fromReadme('crcb_wrong', req.headers, req.body)).toBe(false);
    expect(verify('crcb_wrong', req.headers, req.body)).toBe(false);
    expect(verify(secrets?.current ?? '', req.headers, req.body.replace('cb-1', 'cb-2'))).toBe(false);

    // The receipt's view and the attempt log (no node names on the REST API).
    const cb = await eventually(async () => {
      const r = await receipt(s, id, cashier);
      return r.callback?.state === 'delivered' ? r.callback : null;
    });
    expect(cb).toMatchObject({ url: rx.url, state: 'delivered', attempts: 1, last_status: 200, last_error: null, next_attempt_at: null });
    expect(Date.parse(cb.delivered_at ?? '')).toBeGreaterThan(0);
    const l = await log(s, id, cashier);
    expect(l.callback_url).toBe(rx.url);
    expect(l.deliveries).toHaveLength(1);
    expect(l.deliveries[0]).toMatchObject({ event: 'receipt.success', kind: 'outcome', state: 'delivered', attempts: 1, event_id: req.headers['x-cr-event-id'] });
    expect(l.deliveries[0]?.log.map((a) => [a.status, a.error])).toEqual([[200, null]]);
    expect(l.deliveries[0]?.log[0]).not.toHaveProperty('node');

    // The dashboard's log names the node.
    const admin = await login(s);
    const viaAdmin = await call(s, admin, 'GET', `/admin/api/service_groups/1/receipts/${id}/callbacks`);
    expect(viaAdmin.json<{ deliveries: Delivery[] }>().deliveries[0]?.log[0]?.node).toBe('test-node');

    // A receipt without callback_url shows none, and its log is empty.
    const plain = await accepted(s, sellReceipt());
    expect((await receipt(s, plain)).callback).toBeNull();
    expect(await log(s, plain)).toEqual({ callback_url: null, deliveries: [] });
  });

  it.skipIf(skip)('signs with both secrets for 24 h after a rotation', async () => {
    const admin = await login(s);
    const cashierId = (await createUserRepository(s.db.kysely).findByLogin('cashier'))?.id ?? 0;
    const before = await createUserRepository(s.db.kysely).callbackSecrets(cashierId);
    const rotated = await call(s, admin, 'POST', `/admin/api/users/${cashierId}/callback_secret/rotate`);
    expect(rotated.statusCode).toBe(200);
    const { secret, set, previous_valid_until: until } = rotated.json<{ secret: string; set: boolean; previous_valid_until: string }>();
    expect(set).toBe(true);
    expect(secret).toMatch(/^crcb_/);
    expect(secret).not.toBe(before?.current);
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(23 * 3600_000);
    // The status never shows the secret again.
    const status = await call(s, admin, 'GET', `/admin/api/users/${cashierId}/callback_secret`);
    expect(status.json()).toMatchObject({ set: true, previous_valid_until: until });
    expect(status.body).not.toContain(secret);
    // Only superusers rotate; the journal has it, without the secret.
    const audit = await call(s, admin, 'GET', '/admin/api/audit?limit=5');
    const entry = audit.json<{ action: string; target: string; details: string }[]>().find((e) => e.action === 'user.callback_secret_rotated');
    expect(entry?.target).toBe(`user:${cashierId}`);
    expect(entry?.details).not.toContain(secret);

    rx.script([{ status: 204 }]);
    const id = await accepted(s, sellReceipt({ callback_url: rx.url }), cashier);
    const req = await eventually(async () => requestsFor(id)[0], 10_000);
    const parts = String(req.headers['x-cr-signature']).split(',');
    expect(parts).toHaveLength(2);
    expect(verify(secret, req.headers, req.body)).toBe(true);
    expect(verify(before?.current ?? '', req.headers, req.body)).toBe(true);
    expect(verify(secret, { ...req.headers, 'x-cr-signature': parts[0] }, req.body)).toBe(true);
    await eventually(async () => (await receipt(s, id)).callback?.state === 'delivered');
  });

  it.skipIf(skip)('retries after a 500 and after a timeout, honours Retry-After, stops at the 2xx, and keeps the event id', async () => {
    // 500, then no answer (the response timeout), then 503 asking for 2 s, then 200.
    rx.script([{ status: 500 }, { hang: true }, { status: 503, retryAfter: '2' }, { status: 200 }]);
    const id = await accepted(s, sellReceipt({ callback_url: rx.url }));
    const reqs = await eventually(async () => (requestsFor(id).length >= 4 ? requestsFor(id) : null), 20_000);
    const cb = await eventually(async () => {
      const r = await receipt(s, id);
      return r.callback?.state === 'delivered' ? r.callback : null;
    });
    expect(cb).toMatchObject({ attempts: 4, last_status: 200, last_error: null });

    // One event, redelivered: the same id every time, which the receiver processed once.
    const ids = new Set(reqs.map((r) => r.headers['x-cr-event-id']));
    expect(ids.size).toBe(1);
    const eventId = String(reqs[0]?.headers['x-cr-event-id']);
    expect(rx.processed.filter((e) => e === eventId)).toHaveLength(1);
    // Retry-After: 2 was honoured (the backoff alone is at most a fraction of a second here).
    expect((reqs[3]?.at ?? 0) - (reqs[2]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    const l = await log(s, id);
    expect(l.deliveries[0]?.log.map((a) => [a.status, a.error])).toEqual([[500, null], [null, 'timeout'], [503, null], [200, null]]);
    // The 2xx ended it: nothing more comes.
    await new Promise((r) => setTimeout(r, 600));
    expect(requestsFor(id)).toHaveLength(4);

    // A failed receipt is sent too: a pending one canceled by a superuser (a slow register keeps
    // the receipt before it in the device, so this one waits in the queue).
    rx.script([{ status: 200 }]);
    const slow = await s.app.inject({ method: 'POST', url: '/service_groups/1/device/faults', headers: { authorization: s.admin }, payload: { kind: 'slow', delay_ms: 1500 } });
    expect(slow.statusCode).toBe(200);
    try {
      await accepted(s, sellReceipt());
      const waiting = await accepted(s, sellReceipt({ callback_url: rx.url }), cashier);
      // While it waits, there is nothing to send and nothing to resend.
      expect((await receipt(s, waiting)).callback).toMatchObject({ url: rx.url, state: null, attempts: 0 });
      const early = await s.app.inject({ method: 'POST', url: `/service_groups/1/receipts/${waiting}/callbacks/resend`, headers: { authorization: cashier } });
      expect(early.statusCode).toBe(409);
      expect(early.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('receipt_not_final');
      const canceled = await s.app.inject({ method: 'POST', url: `/service_groups/1/receipts/${waiting}/cancel`, headers: { authorization: s.admin } });
      expect(canceled.statusCode, canceled.body).toBe(200);
      const req = await eventually(async () => requestsFor(waiting)[0], 10_000);
      expect(req.json).toMatchObject({ state: 'failed', event: 'receipt.failed', error: { code: 'canceled' } });
    } finally {
      await s.app.inject({ method: 'DELETE', url: '/service_groups/1/device/faults', headers: { authorization: s.admin } });
    }
  });

  it.skipIf(skip)('resends as a new event, for the receipt\'s sender and superusers only, audited', async () => {
    rx.script([], { status: 200 });
    const id = await accepted(s, sellReceipt({ callback_url: rx.url }), cashier);
    await eventually(async () => (await receipt(s, id)).callback?.state === 'delivered');
    const first = String(requestsFor(id)[0]?.headers['x-cr-event-id']);

    const resend = (auth: string) => s.app.inject({ method: 'POST', url: `/service_groups/1/receipts/${id}/callbacks/resend`, headers: { authorization: auth } });
    // Another user of the group may read the log, not resend.
    expect((await log(s, id, other)).deliveries).toHaveLength(1);
    const refused = await resend(other);
    expect(refused.statusCode).toBe(403);
    const mine = await resend(cashier);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ kind: 'resend', event: 'receipt.success', state: 'pending', attempts: 0 });
    expect((await resend(s.admin)).statusCode).toBe(200);
    const events = await eventually(async () => {
      const ids = [...new Set(requestsFor(id).map((r) => String(r.headers['x-cr-event-id'])))];
      return ids.length === 3 ? ids : null;
    }, 10_000);
    expect(events[0]).toBe(first);
    expect(rx.processed.filter((e) => events.includes(e))).toHaveLength(3);
    const l = await log(s, id);
    expect(l.deliveries.map((d) => d.kind)).toEqual(['resend', 'resend', 'outcome']);
    const admin = await login(s);
    const journal = (await call(s, admin, 'GET', '/admin/api/audit?limit=20')).json<{ action: string; login: string; target: string }[]>();
    expect(journal.filter((e) => e.action === 'receipt.callback_resend' && e.target === `receipt:${id}`).map((e) => e.login).sort()).toEqual(['admin', 'cashier']);

    // A receipt without a callback_url has nothing to resend.
    const plain = await accepted(s, sellReceipt());
    await eventually(async () => (await receipt(s, plain)).state === 'success');
    const none = await s.app.inject({ method: 'POST', url: `/service_groups/1/receipts/${plain}/callbacks/resend`, headers: { authorization: s.admin } });
    expect(none.statusCode).toBe(409);
    expect(none.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('callback_not_configured');
  });

  it.skipIf(skip)('makes callback_url part of the idempotent request', async () => {
    const body = sellReceipt({ callback_url: rx.url, order_id: 'idem' });
    const key = { 'idempotency-key': `cb-${backend}` };
    const a = await post(s, body, s.admin, key);
    const b = await post(s, body, s.admin, key);
    expect(b.json()).toEqual(a.json());
    const c = await post(s, { ...body, callback_url: `${rx.url}?other` }, s.admin, key);
    expect(c.statusCode).toBe(409);
    expect(c.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('idempotency_key_reused');
  });

  it.skipIf(skip)('refuses a private literal at the API and a host name resolving to loopback at delivery', async () => {
    const refused = async (url: unknown, code: string) => {
      const res = await post(strict, sellReceipt({ callback_url: url }));
      expect(res.statusCode, String(url)).toBe(400);
      expect(res.json<{ errors: { field: string; code: string }[] }>().errors).toContainEqual(expect.objectContaining({ field: 'callback_url', code }));
    };
    for (const url of [
      `http://127.0.0.1:${rx.port}/`, 'http://127.1/', 'http://0x7f000001/', 'http://[::1]/', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://172.20.0.1/',
      'http://169.254.169.254/latest/meta-data/', 'http://100.64.1.1/', 'http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://[fe80::1]/',
      'http://[fd00::1]/', 'http://[ff02::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a00:1]/',
    ]) await refused(url, 'destination_not_allowed');
    for (const url of ['ftp://example.com/', 'example.com/hook', 'javascript:alert(1)', 'https://user:pw@example.com/', '']) await refused(url, 'invalid_format');
    await refused(`https://example.com/${'a'.repeat(2048)}`, 'too_long');
    await refused(42, 'invalid_type');
    // Reported with the receipt's own errors.
    const both = await post(strict, { ...sellReceipt({ callback_url: 'http://10.0.0.1/' }), receiptType: 3 });
    expect(both.json<{ errors: { field: string }[] }>().errors.map((e) => e.field).sort()).toEqual(['callback_url', 'receiptType']);

    // A host name passes the API and is refused after DNS, at every attempt, until the window ends.
    const before = rx.requests.length;
    const id = await accepted(strict, sellReceipt({ callback_url: `http://localhost:${rx.port}/hooks/cr` }));
    const l = await eventually(async () => {
      const x = await log(strict, id);
      return (x.deliveries[0]?.log.length ?? 0) >= 2 ? x : null;
    }, 10_000);
    expect(l.deliveries[0]?.state).toBe('pending');
    expect(l.deliveries[0]?.log.every((a) => a.status === null && a.error === 'destination_not_allowed')).toBe(true);
    expect((await receipt(strict, id)).callback).toMatchObject({ state: 'pending', last_error: 'destination_not_allowed', last_status: null });
    expect(rx.requests.length).toBe(before);
  });

  it.skipIf(skip)('exposes the delivery metrics', async () => {
    const text = (await s.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/^cr_callback_deliveries_total\{outcome="delivered"\} [1-9]/m);
    expect(text).toMatch(/^cr_callback_deliveries_total\{outcome="retry"\} [1-9]/m);
    expect(text).toMatch(/^cr_callback_attempt_seconds_count\{ok="true"\} [1-9]/m);
    expect(text).toMatch(/^cr_callback_attempt_seconds_count\{ok="false"\} [1-9]/m);
    expect(text).toMatch(/^cr_callback_backlog \d+$/m);
    expect(text).toMatch(/^cr_callback_oldest_pending_seconds [\d.e+-]+$/m);
    // The strict server's delivery to localhost is still pending: its backlog says so.
    const strictText = (await strict.app.inject({ url: '/metrics' })).body;
    expect(strictText).toMatch(/^cr_callback_backlog [1-9]/m);
    expect(Number(/^cr_callback_oldest_pending_seconds ([\d.e+-]+)$/m.exec(strictText)?.[1])).toBeGreaterThan(0);
  });
});
