import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAtolClient } from './client.js';

describe('ATOL web server client: polling a queued request', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
    server = null;
  });

  it('polls soon after the submit and backs off to the interval: 25, 50, 100, 200, then every poll_interval_ms', async () => {
    let polls = 0;
    server = createServer((req, res) => {
      polls += 1;
      const done = polls >= 7;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ status: done ? 'ready' : 'wait', errorCode: 0, errorDescription: '', result: done ? {} : null }] }));
      req.resume();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const pauses: number[] = [];
    const client = createAtolClient({
      url: `http://127.0.0.1:${port}`, deviceId: null, username: null, password: null, pollIntervalMs: 250, timeoutMs: 60_000,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    const results = await client.wait('u-1');
    expect(results?.[0]?.status).toBe('ready');
    expect(pauses).toEqual([25, 50, 100, 200, 250, 250]);
  });

  it('never pauses longer than a short poll_interval_ms', async () => {
    let polls = 0;
    server = createServer((req, res) => {
      polls += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ status: polls >= 4 ? 'ready' : 'wait', errorCode: 0, errorDescription: '', result: null }] }));
      req.resume();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const pauses: number[] = [];
    const client = createAtolClient({
      url: `http://127.0.0.1:${port}`, deviceId: null, username: null, password: null, pollIntervalMs: 10, timeoutMs: 60_000,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    await client.wait('u-2');
    expect(pauses).toEqual([10, 10, 10]);
  });
});
