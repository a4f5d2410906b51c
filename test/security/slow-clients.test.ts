/**
 * Slow and greedy clients against a real listening server (raw sockets): request, header, idle
 * and keep-alive timeouts; error answers sent before the body was read close the connection;
 * per-address and total connection caps. The rest of the server keeps answering throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { basic } from '../support/server.js';
import { listeningServer, rawGet, RawConnection } from './raw.js';

const AUTH = basic('admin', 'admin');
const head = (port: number, method: string, path: string, headers: Record<string, string>) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

describe('short timeouts (idle 1 s, headers 1 s, whole request 2 s, keep-alive 0.5 s)', () => {
  let server: Server & { port: number };
  const open: RawConnection[] = [];
  const conn = async () => {
    const c = await RawConnection.open(server.port);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await listeningServer({
      CR_IDLE_TIMEOUT_MS: '1000', CR_HEADERS_TIMEOUT_MS: '1000', CR_REQUEST_TIMEOUT_MS: '2000', CR_KEEPALIVE_TIMEOUT_MS: '500',
    });
  });
  afterAll(async () => {
    for (const c of open) c.destroy();
    await server?.close();
  });

  it('a body that stops arriving is cut by the idle timeout; authenticated requests and /health answer meanwhile', async () => {
    const silent = await conn();
    silent.write(head(server.port, 'POST', '/service_groups/1/receipts/', { authorization: AUTH, 'content-type': 'application/json', 'content-length': '1000' }) + '{"a":');
    const t0 = Date.now();

    // While it hangs, the server answers others.
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const group = await fetch(`${server.url}/service_groups/1`, { headers: { authorization: AUTH } });
    expect(group.status).toBe(200);

    expect(await silent.closesWithin(4000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('a body trickled one byte every 300 ms (never idle) is cut by the request timeout, with a 408 in the API error format', async () => {
    const slow = await conn();
    slow.write(head(server.port, 'POST', '/service_groups/1/receipts/', { authorization: AUTH, 'content-type': 'application/json', 'content-length': '100000' }));
    slow.startTrickle('x'.repeat(100), 300);
    const t0 = Date.now();
    // Authenticated requests still work while the slow body is open.
    const group = await fetch(`${server.url}/service_groups/1`, { headers: { authorization: AUTH } });
    expect(group.status).toBe(200);

    expect(await slow.closesWithin(5000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThan(1500);
    expect(slow.status()).toBe(408);
    expect(JSON.parse(slow.body())).toEqual({ errors: [{ code: 'request_timeout', message: expect.any(String) as string }] });
  });

  it('a request whose handler works longer than the idle timeout (a slow device) is not cut', async () => {
    const faults = `${server.url}/service_groups/1/device/faults`;
    const inject = await fetch(faults, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'slow', delay_ms: 1600 }) });
    expect(inject.status, await inject.text()).toBe(200);
    try {
      const t0 = Date.now();
      const res = await fetch(`${server.url}/service_groups/1/reports/x`, { method: 'POST', headers: { authorization: AUTH } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ kind: 'x_report', state: 'success' });
      expect(Date.now() - t0).toBeGreaterThan(1500);
    } finally {
      await fetch(faults, { method: 'DELETE', headers: { authorization: AUTH } });
    }
  });

  it('headers trickled one byte every 300 ms are cut by the headers timeout', async () => {
    const slow = await conn();
    slow.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    slow.startTrickle('X-Slow: ' + 'a'.repeat(100), 300);
    expect(await slow.closesWithin(4000)).toBe(true);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const c = await conn();
    c.write(head(server.port, 'GET', '/health', {}));
    expect(await c.waitFor(/\r\n\r\n\{"status":"ok"\}/, 2000)).not.toBeNull();
    expect(c.header('connection')).toBe('keep-alive');
    const t0 = Date.now();
    expect(await c.closesWithin(2500)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThan(300);
  });
});

describe('default timeouts, at most 4 connections per address and 8 in total', () => {
  let server: Server & { port: number };
  const open: RawConnection[] = [];
  const conn = async (localAddress?: string) => {
    const c = await RawConnection.open(server.port, localAddress);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await listeningServer({ CR_MAX_CONNECTIONS_PER_IP: '4', CR_MAX_CONNECTIONS: '8' });
  });
  afterAll(async () => {
    for (const c of open) c.destroy();
    await server?.close();
  });

  it('an error answered before the body was read (401, 413) closes the connection at once, even while the body trickles', async () => {
    // Unauthenticated: the 401 comes from the onRequest hook, before the body is read.
    const c401 = await conn();
    c401.write(head(server.port, 'POST', '/service_groups/1/reports/x', { 'content-type': 'application/json', 'content-length': '100000' }) + '{');
    c401.startTrickle(' '.repeat(1000), 200);
    // Authenticated, but the announced body is over the limit.
    const c413 = await conn();
    c413.write(head(server.port, 'POST', '/service_groups/1/receipts/', { authorization: AUTH, 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) }) + '{');
    c413.startTrickle(' '.repeat(1000), 200);

    expect(await c401.waitFor(/^HTTP\/1\.1 401[^]*?\r\n\r\n/, 2000)).not.toBeNull();
    expect(await c413.waitFor(/^HTTP\/1\.1 413[^]*?\r\n\r\n/, 2000)).not.toBeNull();
    expect(c401.header('connection')).toBe('close');
    expect(c413.header('connection')).toBe('close');
    // Promptly: the default timeouts (10 s idle, 30 s request) play no part here.
    expect(await c401.closesWithin(1500)).toBe(true);
    expect(await c413.closesWithin(1500)).toBe(true);
    expect(JSON.parse(c401.body())).toMatchObject({ errors: [{ code: 'auth_required' }] });
  });

  it('an error to a request without a body keeps the connection alive', async () => {
    const c = await conn();
    c.write(head(server.port, 'GET', '/service_groups/1', {}));
    expect(await c.waitFor(/^HTTP\/1\.1 401[^]*?\r\n\r\n/, 2000)).not.toBeNull();
    expect(c.header('connection')).toBe('keep-alive');
    expect(await c.closesWithin(300)).toBe(false);
    c.destroy();
  });

  it('refuses the 5th connection from one address and the 9th in total; /health answers again once they are gone', async () => {
    // Let the previous test's connections be counted out.
    await new Promise((r) => setTimeout(r, 200));
    const held: RawConnection[] = [];
    // Four keep-alive connections from 127.0.0.1, each proven accepted by a full answer.
    for (let i = 0; i < 4; i++) {
      const c = await conn();
      c.write(head(server.port, 'GET', '/health', {}));
      expect(await c.waitFor(/\{"status":"ok"\}/, 2000)).not.toBeNull();
      held.push(c);
    }
    // The fifth from the same address is dropped without an answer.
    expect(await rawGet(server.port, '/health')).toBeNull();
    // Another address is not affected.
    expect(await rawGet(server.port, '/health', { localAddress: '127.0.0.2' })).toBe(200);
    // Four more from 127.0.0.2 fill the total of 8: a third address is refused too.
    for (let i = 0; i < 4; i++) {
      const c = await conn('127.0.0.2');
      c.write(head(server.port, 'GET', '/health', {}));
      expect(await c.waitFor(/\{"status":"ok"\}/, 2000)).not.toBeNull();
      held.push(c);
    }
    expect(await rawGet(server.port, '/health', { localAddress: '127.0.0.3' })).toBeNull();

    for (const c of held) c.destroy();
    const deadline = Date.now() + 3000;
    let status: number | null = null;
    while (Date.now() < deadline && status !== 200) {
      status = await rawGet(server.port, '/health');
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
  });
});
