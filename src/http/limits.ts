import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

export type LimitsConfig = Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections' | 'maxConnectionsPerIp'>;

/**
 * Fastify server options for the connection timeouts. Fastify creates the http.Server when the
 * instance is built, so they go in here rather than on `listen`:
 * - requestTimeout: the whole request (headers and body) must arrive within it — a body trickled
 *   one byte at a time, never idle, is cut here;
 * - http.headersTimeout: the headers must arrive within it;
 * - connectionTimeout: the socket idle timeout (nothing received or sent), see `limitConnections`;
 * - keepAliveTimeout: an idle keep-alive connection between requests.
 * Node checks the request and header deadlines every `connectionsCheckingInterval` (30 s by
 * default, which would let a slow client overstay a 10 s deadline by 30 s): at most 1 s here.
 */
export function timeoutOptions(c: LimitsConfig) {
  const checkEveryMs = Math.max(100, Math.min(1000, Math.floor(Math.min(c.headersTimeoutMs, c.requestTimeoutMs) / 2)));
  return {
    requestTimeout: c.requestTimeoutMs,
    connectionTimeout: c.idleTimeoutMs,
    keepAliveTimeout: c.keepAliveTimeoutMs,
    http: {
      headersTimeout: c.headersTimeoutMs,
      requestTimeout: c.requestTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
    },
  };
}

/** Internal fields of Node's http server sockets read below (stable since Node 12). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** One warning per kind and minute (a fixed set of kinds): a flood of refused connections must not flood the log. */
function rateLimitedWarn(log: FastifyBaseLogger) {
  const last = new Map<string, number>();
  return (kind: string, details: Record<string, unknown>, message: string) => {
    const now = Date.now();
    if ((last.get(kind) ?? 0) + 60_000 > now) return;
    last.set(kind, now);
    log.warn(details, message);
  };
}

/**
 * Connection caps and the idle-socket rule on the http.Server:
 * - `maxConnections` in total: Node closes connections over it at accept;
 * - `maxConnectionsPerIp` per remote address: counted on 'connection', the socket over the cap is
 *   destroyed at once (behind a reverse proxy every client shares the proxy's address: raise the
 *   cap, or let the proxy limit its clients);
 * - the idle timeout ('timeout' event) cuts silent clients — a stalled body, stalled headers, a
 *   response the client does not read, an idle keep-alive — but not a request whose handler is
 *   still working (a shift operation waits for the device up to 30 s without a byte on the wire).
 */
export function limitConnections(server: Server, c: LimitsConfig, log: FastifyBaseLogger): void {
  const warn = rateLimitedWarn(log);
  server.maxConnections = c.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    warn('total', { remoteAddress: data?.remoteAddress, maxConnections: c.maxConnections }, 'connection refused: too many open connections');
  });

  const perIp = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress;
    if (ip === undefined || socket.destroyed) return;
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > c.maxConnectionsPerIp) {
      warn('per-ip', { remoteAddress: ip, maxConnectionsPerIp: c.maxConnectionsPerIp }, 'connection refused: too many open connections from one address');
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });

  // With a 'timeout' listener on the server Node no longer destroys idle sockets itself: this does.
  server.on('timeout', (socket: HttpSocket) => {
    const res = socket._httpMessage;
    const handlerRunning = res !== null && res !== undefined && !res.headersSent && res.req.complete;
    if (handlerRunning) {
      socket.setTimeout(c.idleTimeoutMs);
      return;
    }
    socket.destroy();
  });
}

/**
 * An error answered before the request body was read (401 from the Basic-auth hook, 403, 413 from
 * the announced length, 415, 429 ...) goes out with `Connection: close`. Node then ends the socket
 * once the answer is flushed instead of draining the rest of the body, so a body trickled a byte
 * at a time cannot hold the connection after its refusal. Callback-style: runs on every request.
 */
export function registerCloseAfterUnreadBody(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && bodyUnread(request)) void reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** True when the request has a body that has not fully arrived (app.inject() requests count as read). */
export function bodyUnread(request: FastifyRequest): boolean {
  return (request.raw as typeof request.raw & { complete?: boolean }).complete === false;
}
