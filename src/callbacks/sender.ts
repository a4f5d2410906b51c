import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostOf, type Destination, type DestinationPolicy } from './destination.js';

/**
 * One callback POST. The host is resolved and checked by the destination policy, and the
 * connection is made to exactly that address (a `lookup` that answers with it), so a host name
 * cannot be re-resolved to a private address between the check and the connection (DNS
 * rebinding). TLS still verifies the certificate against the URL's host name. Bounded in every
 * direction: the name resolved and the connection made within `connectTimeoutMs`, the answer within
 * `responseTimeoutMs` after that, at most 4 KB of its body are read, and a redirect is an answer
 * like any other non-2xx (never followed: it could point anywhere). A fresh connection per attempt
 * (no agent), so a pooled socket to an address checked earlier is never reused.
 */

/** Why an attempt got no HTTP answer. Strings of the attempt log (`error`), documented in docs/api.md. */
export type AttemptError = 'destination_not_allowed' | 'dns_failed' | 'connect_failed' | 'timeout' | 'aborted' | 'internal';

export interface AttemptResult {
  /** The receiver's status; null without an answer. */
  status: number | null;
  error: AttemptError | null;
  /** What went wrong, for the log (never sent anywhere). */
  detail: string | null;
  /** The answer's Retry-After header, as sent. */
  retryAfter: string | undefined;
}

export interface SendOptions {
  policy: DestinationPolicy;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** Aborts the attempt (server stopping). */
  signal?: AbortSignal;
}

/** At most this much of an answer's body is read; the rest is never waited for. */
export const RESPONSE_BYTES_MAX = 4096;

class AttemptFailure extends Error {
  constructor(readonly code: AttemptError, message: string) {
    super(message);
  }
}

/** A lookup that answers with the checked address, in both the one-address and the `all` form Node may ask for. */
function fixedLookup(d: Destination): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: d.address, family: d.family }]);
    else callback(null, d.address, d.family);
  };
}

export async function postCallback(urlText: string, body: string, headers: Record<string, string>, o: SendOptions): Promise<AttemptResult> {
  const url = new URL(urlText);
  // Resolving the name is part of connecting: both within connectTimeoutMs, so an attempt is
  // bounded as a whole (the claim's lease relies on it).
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const resolved = await Promise.race([
    o.policy.resolve(hostOf(url)),
    new Promise<null>((r) => (timer = setTimeout(() => r(null), o.connectTimeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (resolved === null) return { status: null, error: 'timeout', detail: `${hostOf(url)} not resolved within ${o.connectTimeoutMs} ms`, retryAfter: undefined };
  if (!resolved.ok) return { status: null, error: resolved.error, detail: resolved.detail, retryAfter: undefined };
  const connectBudget = Math.max(1, o.connectTimeoutMs - (performance.now() - started));
  const dest = resolved.destination;
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let phase: NodeJS.Timeout | undefined;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(phase);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const fail = (e: unknown) => {
      const code = e instanceof AttemptFailure ? e.code : 'connect_failed';
      const detail = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim() : String(e);
      finish({ status: null, error: code, detail, retryAfter: undefined });
    };

    const req = client.request({
      protocol: url.protocol,
      hostname: hostOf(url),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close', host: url.host },
      agent: false,
      lookup: fixedLookup(dest),
      family: dest.family,
    });
    const abortWith = (code: AttemptError, message: string) => req.destroy(new AttemptFailure(code, message));
    const onAbort = () => abortWith('aborted', 'the server is stopping');
    if (o.signal?.aborted) {
      req.destroy();
      fail(new AttemptFailure('aborted', 'the server is stopping'));
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    // Connect phase, then answer phase: each bounded on its own.
    phase = setTimeout(() => abortWith('timeout', `no connection within ${o.connectTimeoutMs} ms`), connectBudget);
    const answerPhase = () => {
      clearTimeout(phase);
      phase = setTimeout(() => abortWith('timeout', `no answer within ${o.responseTimeoutMs} ms`), o.responseTimeoutMs);
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) answerPhase();
      else socket.once('connect', answerPhase);
    });
    req.on('error', fail);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      const answered = () => finish({ status, error: null, detail: null, retryAfter });
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= RESPONSE_BYTES_MAX) {
          answered();
          res.destroy();
        }
      });
      res.on('end', answered);
      // The status arrived: a body cut short (or a reset after the headers) does not change it.
      res.on('error', answered);
      res.on('close', answered);
    });
    req.end(body);
  });
}
