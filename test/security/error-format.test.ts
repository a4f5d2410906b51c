/**
 * Every error answer uses the API error format {"errors":[{"code","message"}]} — also the ones
 * Fastify and Node produce before any route runs: malformed URLs and percent-encoding (router),
 * over-long path parameters, static-file refusals in the dashboard, and malformed HTTP or
 * oversized headers (the socket-level client-error handler).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { basic } from '../support/server.js';
import { listeningServer, RawConnection } from './raw.js';

const AUTH = basic('admin', 'admin');

const expectApiError = (status: number, contentType: string | undefined, body: string, context: string) => {
  expect(status, context).toBeGreaterThanOrEqual(400);
  expect(contentType, context).toMatch(/^application\/json/);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(Object.keys(parsed), `${context}: ${body}`).toEqual(['errors']);
  expect(parsed.errors, `${context}: ${body}`).toEqual([{ code: expect.stringMatching(/^[a-z_]+$/) as string, message: expect.any(String) as string }]);
};

describe('the API error format everywhere', () => {
  let server: Server & { port: number };

  beforeAll(async () => {
    server = await listeningServer({}, 'error-format-test');
  });
  afterAll(async () => {
    await server?.close();
  });

  const MALFORMED = [
    '/admin/..%c0%af..',
    '/admin/..%c0%af../..%c0%af../etc/passwd',
    '/%',
    '/%zz',
    '/service_groups/%zz',
    '/service_groups/1/receipts/%c0',
    '/service_groups/%E0%A4%A/receipts/',
    '/admin/%',
    '/admin/api/%',
    '/admin/api/service_groups/%c0',
    '/admin/assets/%c0%af',
    '/docs/%c0',
    '/health%',
  ];

  it.each(MALFORMED)('GET %s', async (url) => {
    const res = await server.app.inject({ url, headers: { authorization: AUTH } });
    expectApiError(res.statusCode, res.headers['content-type'] as string | undefined, res.body, url);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'bad_url' }] });
  });

  it.each(MALFORMED.slice(0, 6))('POST %s', async (url) => {
    const res = await server.app.inject({ method: 'POST', url, headers: { authorization: AUTH }, payload: {} });
    expectApiError(res.statusCode, res.headers['content-type'] as string | undefined, res.body, url);
  });

  it('a path parameter over the router limit', async () => {
    const url = `/service_groups/${'1'.repeat(150)}`;
    const res = await server.app.inject({ url, headers: { authorization: AUTH } });
    expectApiError(res.statusCode, res.headers['content-type'] as string | undefined, res.body, url);
  });

  it.each(['/admin/..%2f..%2f..%2fetc%2fpasswd', '/admin/assets/..%2f..%2fpackage.json', '/admin/%2e%2e/%2e%2e/package.json'])('dashboard static-file refusal %s', async (url) => {
    const res = await server.app.inject({ url });
    expectApiError(res.statusCode, res.headers['content-type'] as string | undefined, res.body, url);
    expect(res.body).not.toContain('cr-server"');
    // The code names the refusal (not a generic "bad_request" for a 403).
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: res.statusCode === 403 ? 'forbidden' : 'not_found' }] });
  });

  it('a malformed request line (socket level) gets a 400 in the API format', async () => {
    const c = await RawConnection.open(server.port);
    c.write('GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    await c.closesWithin(2000);
    expect(c.status()).toBe(400);
    expectApiError(400, c.header('content-type') ?? undefined, c.body(), 'bad header line');
  });

  it('oversized headers (socket level) get a 431 in the API format', async () => {
    const c = await RawConnection.open(server.port);
    c.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await c.closesWithin(2000);
    expect(c.status()).toBe(431);
    expectApiError(431, c.header('content-type') ?? undefined, c.body(), 'header overflow');
  });
});
