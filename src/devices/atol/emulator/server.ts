import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { FiscalDriver } from '../../driver.js';
import { isFiscalTaskType, isObject, isTaskType } from '../protocol.js';
import type { RequestResults } from '../protocol.js';
import { createAtolQueue } from './queue.js';

export interface AtolEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The register behind the web server (the virtual register, or any FiscalDriver). */
  driver: FiscalDriver;
  /** HTTP Basic auth; when set, every route requires it. */
  username?: string;
  password?: string;
  /** Where the request queue is persisted; null or omitted: memory only (no recovery across restarts). */
  stateFile?: string | null;
  /** Pause between reconnection attempts while the queue is blocked. Default 500 ms. */
  recoveryIntervalMs?: number;
  logger?: Logger;
}

export interface AtolEmulator {
  listen(): Promise<void>;
  /** Stops at once, abandoning a device call in flight (like a killed process). */
  close(): Promise<void>;
  /** Base URL, valid after listen(). */
  readonly url: string;
}

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * An emulator of the ATOL driver web server's v2 queue API in front of a FiscalDriver:
 * POST/GET/DELETE /api/v2/requests[/{uuid}], GET / for liveness. `?deviceID=` is accepted and
 * ignored: the emulator serves exactly one device.
 */
export function createAtolEmulator(opts: AtolEmulatorOptions): AtolEmulator {
  const queue = createAtolQueue({
    driver: opts.driver,
    stateFile: opts.stateFile ?? null,
    recoveryIntervalMs: opts.recoveryIntervalMs ?? 500,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const expectedAuth =
    opts.username === undefined ? null : `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  let url = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (expectedAuth !== null && !sameText(req.headers.authorization ?? '', expectedAuth)) {
      res.setHeader('www-authenticate', 'Basic realm="atol"');
      return send(res, 401, { error: { code: 401, description: 'Unauthorized' } });
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    if (path === '/' && req.method === 'GET') return send(res, 200, { app: 'cr-server ATOL web server emulator' });
    if (path === '/api/v2/requests' && req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, { error: { code: 400, description: 'invalid JSON' } });
      }
      if (!isObject(body) || typeof body.uuid !== 'string' || body.uuid === '' || body.request === undefined) {
        return send(res, 400, { error: { code: 400, description: 'uuid and request are required' } });
      }
      // A single task object is accepted as well as an array of them.
      const raw: unknown[] = Array.isArray(body.request) ? body.request : [body.request];
      const tasks = raw.filter(isObject);
      if (tasks.length === 0 || tasks.length !== raw.length) {
        return send(res, 400, { error: { code: 400, description: 'request must be a task or a list of tasks' } });
      }
      // Like the reference implementation: one fiscal document per request, so a blocked
      // subtask has exactly one FD to account for.
      if (tasks.filter((t) => isTaskType(t.type) && isFiscalTaskType(t.type)).length > 1) {
        return send(res, 400, { error: { code: 400, description: 'more than one fiscal task in a request' } });
      }
      const outcome = queue.add(body.uuid, tasks);
      return outcome === 'exists'
        ? send(res, 409, { error: { code: 409, description: `request ${body.uuid} already exists` } })
        : send(res, 201);
    }
    const m = /^\/api\/v2\/requests\/([^/]+)$/.exec(path);
    if (m?.[1] !== undefined) {
      const uuid = decodeURIComponent(m[1]);
      if (req.method === 'GET') {
        const r = queue.get(uuid);
        if (!r) return send(res, 404, { error: { code: 404, description: 'request not found' } });
        const answer: RequestResults = { results: r.results };
        return send(res, 200, answer);
      }
      if (req.method === 'DELETE') {
        switch (queue.cancel(uuid)) {
          case 'canceled':
            return send(res, 200);
          case 'not_found':
            return send(res, 404, { error: { code: 404, description: 'request not found' } });
          case 'not_allowed':
            return send(res, 405, { error: { code: 405, description: 'the request is already being processed' } });
        }
      }
    }
    return send(res, 404, { error: { code: 404, description: 'not found' } });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger?.error({ err }, 'atol emulator: request failed');
      if (!res.headersSent) send(res, 500, { error: { code: 500, description: 'internal error' } });
    });
  });

  return {
    get url() {
      return url;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
      queue.start();
    },
    async close() {
      queue.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
