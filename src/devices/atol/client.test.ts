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

  /** A web server whose task is `ready` from poll `readyAt` on, and the pauses the client makes before it. */
  async function pollUntilReady(readyAt: number, pollIntervalMs: number): Promise<{ status: string | undefined; pauses: number[] }> {
    let polls = 0;
    server = createServer((req, res) => {
      polls += 1;
      const done = polls >= readyAt;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ status: done ? 'ready' : 'wait', errorCode: 0, errorDescription: '', result: done ? {} : null }] }));
      req.resume();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const pauses: number[] = [];
    const client = createAtolClient({
      url: `http://127.0.0.1:${port}`, deviceId: null, username: null, password: null, pollIntervalMs, timeoutMs: 60_000,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    const results = await client.wait('u-1');
    return { status: results?.[0]?.status, pauses };
  }

  it('polls soon after the submit and backs off to the interval: 25, 50, 100, 200, then every poll_interval_ms', async () => {
    const { status, pauses } = await pollUntilReady(7, 250);
    expect(status).toBe('ready');
    expect(pauses).toEqual([25, 50, 100, 200, 250, 250]);
  });

  it('never pauses longer than a short poll_interval_ms', async () => {
    const { pauses } = await pollUntilReady(4, 10);
    expect(pauses).toEqual([10, 10, 10]);
  });
});
