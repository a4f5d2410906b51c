import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { FiscalDriver } from '../../driver.js';
import { isObject } from '../protocol.js';
import type { JsonObject, SubtaskResult } from '../protocol.js';
import { WEB_ERRORS } from './errors.js';
import { createAtolQueue } from './queue.js';
import type { AtolQueue } from './queue.js';
import { isFiscalTask } from './tasks.js';

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
  /** The id `/api/v2/devices` reports for the one device. Default "1". */
  deviceId?: string;
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

/**
 * An HTTP-level refusal. Web Requests answers `{error: {code: 505, description}}` with the HTTP
 * status telling what went wrong (kktsite-agent `src/server.js`, recorded from Web Requests 1.0.4.0).
 */
class HttpError extends Error {
  constructor(
    readonly status: number,
    description: string,
  ) {
    super(description);
  }
}

const sendError = (res: ServerResponse, status: number, description: string): void =>
  send(res, status, { error: { code: WEB_ERRORS.WEB_FAIL, description } });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpError(413, 'Слишком большой запрос'));
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
 * One subtask as GET /api/v2/requests/{uuid} shows it. Two forms are in use and clients read one
 * or the other: the web server of driver 10 and Web Requests nest the error as
 * `error{code, description}` (ArchDemons/atolwebserver `Result.java`, kktsite-agent), while
 * documented clients of the same API read flat `errorCode` / `errorDescription` (the 1C module
 * in the code index, the shop-ctrl.ru description of the same API). Both are sent; they agree.
 */
const subtaskJson = (s: SubtaskResult): JsonObject => ({
  status: s.status,
  error: { code: s.errorCode, description: s.errorDescription },
  errorCode: s.errorCode,
  errorDescription: s.errorDescription,
  result: s.result,
});

/**
 * `{uuid, request}` of POST /api/v2/requests → the task list, or the 400 both reimplementations
 * answer. A single task object is taken as a list of one (ArchDemons `JsonTaskServlet`).
 */
function parseSubmit(text: string): { uuid: string; tasks: JsonObject[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `Ошибка разбора JSON: ${(err as Error).message}`);
  }
  if (!isObject(body) || typeof body.uuid !== 'string' || body.uuid === '') throw new HttpError(400, "Поле 'uuid' не задано");
  const raw: unknown[] = Array.isArray(body.request) ? body.request : body.request === undefined || body.request === null ? [] : [body.request];
  if (raw.length === 0) throw new HttpError(400, "Поле 'request' не задано или пустое");
  const tasks = raw.filter(isObject);
  if (tasks.length !== raw.length) throw new HttpError(400, "Поле 'request' должно содержать JSON-задания (объекты)");
  // One fiscal document per request (ArchDemons `JsonTaskServlet`: 400 "Too many fiscal
  // sub-tasks"), so a blocked request has exactly one FD to account for.
  const fiscal = tasks.filter(isFiscalTask).length;
  if (fiscal > 1) throw new HttpError(400, `Too many fiscal sub-tasks - ${fiscal}`);
  return { uuid: body.uuid, tasks };
}

type Route = (req: IncomingMessage, res: ServerResponse, param: string) => Promise<void> | void;

/**
 * An emulator of the ATOL driver web server's v2 API in front of a FiscalDriver:
 * POST /api/v2/requests, GET|DELETE /api/v2/requests/{uuid}, GET /api/v2/getRequestsQueueStatus,
 * GET /api/v2/devices[/{id}], GET / for liveness. `?deviceID=` is accepted and ignored: the
 * emulator serves exactly one device, whatever id a client was configured with.
 */
export function createAtolEmulator(opts: AtolEmulatorOptions): AtolEmulator {
  const queue: AtolQueue = createAtolQueue({
    driver: opts.driver,
    stateFile: opts.stateFile ?? null,
    recoveryIntervalMs: opts.recoveryIntervalMs ?? 500,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const deviceId = opts.deviceId ?? '1';
  const expectedAuth =
    opts.username === undefined ? null : `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  let url = '';

  const notFound = (uuid: string): HttpError => new HttpError(404, `Задание с UUID [${uuid}] для устройства [${deviceId}] не найдено`);

  /** The one device, with the fields of Web Requests' device list that mean something here. */
  const device = (): JsonObject => ({ id: deviceId, name: 'cr-server virtual register', isActive: true, isDefault: true, isLock: queue.status().isBlocked, hasLicense: true });

  const submit: Route = async (req, res) => {
    const { uuid, tasks } = parseSubmit(await readBody(req));
    if (queue.add(uuid, tasks) === 'exists') {
      throw new HttpError(409, `Не удалось добавить задание с UUID [${uuid}], задание с таким UUID уже есть`);
    }
    const { number, isBlocked, blockedUUID, blockReason } = queue.status();
    send(res, 201, { number, uuid, isBlocked, blockedUUID, blockReason });
  };

  const results: Route = (_req, res, uuid) => {
    const r = queue.get(uuid);
    if (!r) throw notFound(uuid);
    send(res, 200, { results: r.results.map(subtaskJson) });
  };

  const cancel: Route = (_req, res, uuid) => {
    switch (queue.cancel(uuid)) {
      case 'canceled':
        return send(res, 200, {});
      case 'not_found':
        throw notFound(uuid);
      case 'not_allowed':
        // Web Requests: only a request none of whose subtasks has started can be cancelled.
        throw new HttpError(409, `Задание с UUID [${uuid}] для устройства [${deviceId}] нельзя отменить (выполнено, выполняется или уже отменено)`);
    }
  };

  const oneDevice: Route = (_req, res, id) => {
    if (id !== deviceId && id !== 'default') throw new HttpError(404, `Устройство с ID [${id}] не найдено`);
    send(res, 200, device());
  };

  /** path pattern → method → handler; the capture group is the handler's `param`. */
  const routes: readonly [RegExp, Partial<Record<string, Route>>][] = [
    [/^\/$/, { GET: (_q, res) => send(res, 200, { app: 'cr-server ATOL web server emulator' }) }],
    [/^\/api\/v2\/requests$/, { POST: submit }],
    [/^\/api\/v2\/requests\/([^/]+)$/, { GET: results, DELETE: cancel }],
    [/^\/api\/v2\/getRequestsQueueStatus$/, { GET: (_q, res) => send(res, 200, queue.status()) }],
    [/^\/api\/v2\/devices$/, { GET: (_q, res) => send(res, 200, [device()]) }],
    [/^\/api\/v2\/devices\/([^/]+)$/, { GET: oneDevice }],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (expectedAuth !== null && !sameText(req.headers.authorization ?? '', expectedAuth)) {
      res.setHeader('www-authenticate', 'Basic realm="atol"');
      return sendError(res, 401, 'Unauthorized');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    for (const [pattern, methods] of routes) {
      const m = pattern.exec(path);
      if (m === null) continue;
      const route = methods[req.method ?? ''];
      if (route === undefined) return sendError(res, 405, `Метод ${req.method ?? ''} не поддерживается для ${path}`);
      return route(req, res, m[1] === undefined ? '' : decodeURIComponent(m[1]));
    }
    return sendError(res, 404, `Нет такого метода: ${req.method ?? ''} ${path}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) return sendError(res, err.status, err.message);
      // A malformed %-escape in the uuid is the client's fault, not ours.
      if (err instanceof URIError) return sendError(res, 400, err.message);
      opts.logger?.error({ err }, 'atol emulator: request failed');
      sendError(res, 500, 'Внутренняя ошибка сервера');
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
