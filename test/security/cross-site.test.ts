/**
 * State-changing REST routes take JSON or no body, and refuse cross-site browser requests
 * (Sec-Fetch-Site, else Origin) before Basic auth is even looked at. Clients that send neither
 * header (curl, server-to-server) are not affected. app.inject(); the real-browser attack is in
 * cross-site.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { basic } from '../support/server.js';

const AUTH = basic('admin', 'admin');
const X = '/service_groups/1/reports/x';

describe('cross-site and content-type guard of the REST API', () => {
  let server: Server;
  const xReports = async () => Number((await server.db.kysely.selectFrom('device_jobs').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', 'x_report').executeTakeFirstOrThrow()).n);
  const audits = async () => Number((await server.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'service_group.x_report').executeTakeFirstOrThrow()).n);
  const post = (headers: Record<string, string>, payload?: string, url = X, method: 'POST' | 'DELETE' | 'PUT' | 'PATCH' = 'POST') =>
    server.app.inject({ method, url, headers: { authorization: AUTH, host: 'kassa.example:8080', ...headers }, ...(payload !== undefined ? { payload } : {}) });
  const errorCode = (body: string) => (JSON.parse(body) as { errors: { code: string; message: string }[] }).errors[0]?.code;

  beforeAll(async () => {
    server = await startServer(loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent', CR_PUBLIC_URL: 'https://kassa.example' }, { nodeId: 'cross-site-test' }), { listen: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['text/plain', 'a=b'],
    ['text/plain; charset=utf-8', '{}'],
    ['application/x-www-form-urlencoded', 'a=b'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'],
    ['application/jsonx', '{}'],
  ])('a %s POST to a body-less route is refused with 415 and runs nothing', async (type, body) => {
    const [jobs, audit] = [await xReports(), await audits()];
    const res = await post({ 'content-type': type }, body);
    expect(res.statusCode, res.body).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(errorCode(res.body)).toBe('unsupported_media_type');
    expect([await xReports(), await audits()]).toEqual([jobs, audit]);
  });

  it('a body without a Content-Type is refused with 415', async () => {
    const res = await server.app.inject({ method: 'POST', url: X, headers: { authorization: AUTH }, payload: Buffer.from('a=b') });
    expect(res.statusCode, res.body).toBe(415);
  });

  it('415 also on DELETE, and before authentication', async () => {
    const del = await post({ 'content-type': 'text/plain' }, 'x', '/service_groups/1/device/faults', 'DELETE');
    expect(del.statusCode, del.body).toBe(415);
    const anon = await server.app.inject({ method: 'POST', url: X, headers: { 'content-type': 'text/plain' }, payload: 'a=b' });
    expect(anon.statusCode).toBe(415);
    expect(anon.headers['www-authenticate']).toBeUndefined();
  });

  it.each(['cross-site', 'same-site'])('Sec-Fetch-Site: %s is refused with 403 cross_site_request, even with a JSON body', async (site) => {
    const jobs = await xReports();
    const res = await post({ 'sec-fetch-site': site, 'content-type': 'application/json' }, '{}');
    expect(res.statusCode, res.body).toBe(403);
    expect(errorCode(res.body)).toBe('cross_site_request');
    expect(await xReports()).toBe(jobs);
  });

  it('a cross-site request is refused before Basic auth: no challenge, no failed login counted', async () => {
    const res = await server.app.inject({ method: 'POST', url: X, headers: { 'sec-fetch-site': 'cross-site', authorization: basic('admin', 'wrong') } });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(errorCode(res.body)).toBe('cross_site_request');
  });

  it.each([
    ['a foreign Origin', 'https://evil.example'],
    ['the same host on another scheme', 'http://kassa.example:8080.evil.example'],
    ['an opaque Origin', 'null'],
  ])('without Sec-Fetch-Site, %s is refused with 403', async (_name, origin) => {
    const res = await post({ origin, 'content-type': 'application/json' }, '{}');
    expect(res.statusCode, res.body).toBe(403);
    expect(errorCode(res.body)).toBe('cross_site_request');
  });

  it.each([
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin', origin: 'https://kassa.example' }],
    ['Sec-Fetch-Site: none (typed in the address bar, bookmarks)', { 'sec-fetch-site': 'none' }],
    ['the public URL as Origin', { origin: 'https://kassa.example' }],
    ['the Host header as Origin', { origin: 'http://kassa.example:8080' }],
    ['neither header (curl, servers)', {}],
  ])('%s with JSON passes', async (_name, headers: Record<string, string>) => {
    const jobs = await xReports();
    const res = await post({ ...headers, 'content-type': 'application/json' }, '{}');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'x_report', state: 'success' });
    expect(await xReports()).toBe(jobs + 1);
  });

  it('a POST without a body passes, and so do receipts with application/json; charset=utf-8', async () => {
    expect((await post({})).statusCode).toBe(200);
    const res = await post({ 'content-type': 'application/json; charset=utf-8' }, '{}');
    expect(res.statusCode, res.body).toBe(200);
  });

  it('reads are not refused cross-site (links to the print page from other applications)', async () => {
    const res = await server.app.inject({ url: '/service_groups/1', headers: { authorization: AUTH, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
    expect(res.statusCode).toBe(200);
  });
});
