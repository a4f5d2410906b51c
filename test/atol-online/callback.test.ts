import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserRepository } from '../../src/storage/users.js';
import { startReceiver, verify, type Receiver } from '../callbacks/receiver.js';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { apiUser, atolGroup, fixture, satisfies, type Json } from './helpers.js';

const pgOk = await postgresReachable();
const FAST = { baseDelayMs: 100, capDelayMs: 2000, connectTimeoutMs: 1000, responseTimeoutMs: 700, pollMs: 50, leaseMs: 5000 };

/**
 * A document registered through the ATOL Online API with `service.callback_url` is reported to that
 * URL as ATOL reports it (the body of GET …/report/{uuid}), signed like every cr-server callback.
 */
describe.each(BACKENDS)('ATOL Online callbacks on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  let rx: Receiver;
  let token = '';

  beforeAll(async () => {
    if (skip) return;
    rx = await startReceiver();
    s = await testServer(backend, { env: { CR_CALLBACK_ALLOW: '127.0.0.1/32' }, callbacks: FAST });
    const g = await atolGroup(s, 'cb-group', { ffd_version: '105' });
    await apiUser(s, 'shop', 'secret-1', [g]);
    const t = await s.app.inject({ method: 'POST', url: '/possystem/v4/getToken', payload: { login: 'shop', pass: 'secret-1' } });
    token = t.json<{ token: string }>().token;
  }, 120_000);
  afterAll(async () => {
    if (skip) return;
    await s.cleanup();
    await rx.close();
  });

  it.skipIf(skip)('posts ATOL\'s report body to callback_url, signed, once the document is done', async () => {
    const body = fixture<Json>('requests/v4-sell.json');
    body.external_id = `callback-${backend}`;
    body.service = { callback_url: rx.url };
    const accepted = await s.app.inject({ method: 'POST', url: '/possystem/v4/cb-group/sell', headers: { token }, payload: body });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const uuid = accepted.json<{ uuid: string }>().uuid;

    const got = await eventually(async () => rx.requests.find((r) => r.json.uuid === uuid) ?? null, 20_000);
    expect(got.json).toMatchObject({ uuid, status: 'done', external_id: `callback-${backend}`, group_code: 'cb-group', callback_url: rx.url, error: null });
    // ATOL's schema types `warnings` as an object, its own answers send null (responses/report-fail-agent-2009.json).
    expect(satisfies('v4-report-response.json', { ...got.json, warnings: got.json.warnings ?? {} }).errors).toEqual([]);
    // The same packet the report endpoint gives, apart from its own timestamp.
    const report = (await s.app.inject({ url: `/possystem/v4/cb-group/report/${uuid}`, headers: { token } })).json<Json>();
    expect({ ...got.json, timestamp: null }).toEqual({ ...report, timestamp: null });
    expect(got.json).not.toHaveProperty('event_id');

    const users = createUserRepository(s.db.kysely);
    const secrets = await users.callbackSecrets((await users.findByLogin('shop'))?.id ?? 0);
    expect(verify(secrets?.current ?? '', got.headers, got.body)).toBe(true);
  });
});
