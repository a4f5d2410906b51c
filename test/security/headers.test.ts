/**
 * Security headers outside the dashboard: the print page gets the dashboard's print policy
 * (framable only by the server itself), every other REST API answer — errors included — gets
 * nosniff and a CSP that allows nothing; /docs keeps its own (swagger-ui needs scripts and styles).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { DASHBOARD_CSP, PRINT_CSP } from '../../src/http/admin/headers.js';
import { basic, eventually } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

const AUTH = basic('admin', 'admin');
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

describe('security headers of the REST API and the print page', () => {
  let server: Server;
  let receiptId = '';

  beforeAll(async () => {
    server = await startServer(loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent' }, { nodeId: 'headers-test' }), { listen: false });
    const res = await server.app.inject({ method: 'POST', url: '/service_groups/1/receipts/', headers: { authorization: AUTH }, payload: sellReceipt() });
    expect(res.statusCode, res.body).toBe(200);
    receiptId = res.json<{ id: string }>().id;
    await eventually(async () => {
      const r = await server.app.inject({ url: `/service_groups/1/receipts/${receiptId}`, headers: { authorization: AUTH } });
      return r.json<{ state: string }>().state === 'success';
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the print page: PRINT_CSP (framed only by the server itself), nosniff, SAMEORIGIN, a referrer policy', async () => {
    const res = await server.app.inject({ url: `/service_groups/1/receipts/${receiptId}/print`, headers: { authorization: AUTH } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(PRINT_CSP);
    expect(PRINT_CSP).toContain("frame-ancestors 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('an error of the print route is not framable', async () => {
    const res = await server.app.inject({ url: '/service_groups/1/receipts/999999/print', headers: { authorization: AUTH } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it.each([
    ['a JSON answer', '/service_groups/1', true, 200],
    ['a 401', '/service_groups/1', false, 401],
    ['a 404 of an unknown route', '/no/such/route', true, 404],
    ['a malformed URL', '/service_groups/%c0', true, 400],
    ['/health', '/health', false, 200],
    ['/ready', '/ready', false, 200],
    ['/metrics', '/metrics', false, 200],
  ])('%s: nosniff and a CSP that allows nothing', async (_name, url, authed, status) => {
    const res = await server.app.inject({ url, headers: authed ? { authorization: AUTH } : {} });
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('a POST answer and a 415 too', async () => {
    for (const headers of [{ authorization: AUTH }, { authorization: AUTH, 'content-type': 'text/plain' }]) {
      const res = await server.app.inject({ method: 'POST', url: '/service_groups/1/reports/x', headers, ...(headers['content-type'] ? { payload: 'x' } : {}) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe(API_CSP);
    }
  });

  it('/docs keeps its own policy (swagger-ui runs scripts); the dashboard keeps its own', async () => {
    const docs = await server.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy'] ?? '').not.toContain("default-src 'none'");
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    const admin = await server.app.inject({ url: '/admin/' });
    expect(admin.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(admin.headers['x-frame-options']).toBe('DENY');
    const adminApi = await server.app.inject({ url: '/admin/api/session' });
    expect(adminApi.headers['content-security-policy']).toBe(DASHBOARD_CSP);
  });
});
