import { DeviceError } from '../driver.js';
import { isFinalStatus, isObject, isRequestStatus } from './protocol.js';
import type { JsonObject, SubtaskResult } from './protocol.js';

/** The first pause between polls of a queued request; it doubles up to pollIntervalMs. */
const FIRST_POLL_MS = 25;

/**
 * HTTP client of the ATOL Web Server v2 queue: `POST /api/v2/requests` then poll
 * `GET /api/v2/requests/{uuid}` until every subtask is final or one is `blocked`.
 */
export interface AtolClientOptions {
  url: string;
  deviceId: string | null;
  username: string | null;
  password: string | null;
  pollIntervalMs: number;
  timeoutMs: number;
  /** Abortable sleep; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type SubmitOutcome = 'created' | 'exists';

export interface AtolClient {
  /** Throws DeviceError('offline') when the POST did not reach the web server. */
  submit(uuid: string, tasks: JsonObject[]): Promise<SubmitOutcome>;
  /**
   * Polls until all subtasks are final or one is blocked, or the timeout passes (then
   * returns the last results seen, or null when none could be read).
   */
  wait(uuid: string): Promise<SubtaskResult[] | null>;
  /** DELETE: cancels a request whose subtasks are all still `wait`. true if cancelled. */
  cancel(uuid: string): Promise<boolean>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseResults(body: unknown): SubtaskResult[] | null {
  if (!isObject(body) || !Array.isArray(body.results)) return null;
  const out: SubtaskResult[] = [];
  for (const r of body.results) {
    if (!isObject(r) || !isRequestStatus(r.status)) return null;
    // The v1 reimplementation nests the error as error{code, description}; v2 flattens it.
    const nested = isObject(r.error) ? r.error : {};
    const code = typeof r.errorCode === 'number' ? r.errorCode : typeof nested.code === 'number' ? nested.code : 0;
    const description =
      typeof r.errorDescription === 'string' ? r.errorDescription : typeof nested.description === 'string' ? nested.description : '';
    out.push({ status: r.status, errorCode: code, errorDescription: description, result: isObject(r.result) ? r.result : null });
  }
  return out;
}

export function createAtolClient(opts: AtolClientOptions): AtolClient {
  const base = opts.url.replace(/\/+$/, '');
  const query = opts.deviceId ? `?deviceID=${encodeURIComponent(opts.deviceId)}` : '';
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.username !== null) {
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const perCallTimeout = Math.max(1000, Math.min(opts.timeoutMs, 10_000));

  const once = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(perCallTimeout),
    });
  /**
   * One retry on a network failure: a pooled keep-alive socket to a web server that has since
   * restarted fails on first use. Retrying is safe for every call we make, POST included: the
   * request uuid makes a second delivery a 409, never a second document.
   */
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await once(method, path, body);
    } catch {
      await sleep(Math.min(opts.pollIntervalMs, 100));
      return once(method, path, body);
    }
  };

  const authError = (status: number): DeviceError =>
    new DeviceError('offline', 'device_offline', `ATOL web server refused the credentials (HTTP ${status})`, { deviceCode: `HTTP ${status}` });

  return {
    async submit(uuid, tasks) {
      let res: Response;
      try {
        res = await call('POST', `/api/v2/requests${query}`, { uuid, request: tasks });
      } catch (err) {
        // Refused / reset / timed out before an answer: the web server may or may not have
        // queued it. The caller keeps the uuid, so a resend gets 409 instead of a duplicate.
        throw new DeviceError('offline', 'device_offline', `ATOL web server unreachable: ${(err as Error).message}`);
      }
      await res.arrayBuffer();
      switch (res.status) {
        case 200:
        case 201:
          return 'created';
        case 409:
          return 'exists';
        case 401:
        case 403:
          throw authError(res.status);
        default:
          if (res.status >= 500) throw new DeviceError('offline', 'device_offline', `ATOL web server error HTTP ${res.status}`);
          throw new DeviceError('rejected', 'invalid_document', `ATOL web server refused the request (HTTP ${res.status})`, {
            deviceCode: `HTTP ${res.status}`,
          });
      }
    },

    async wait(uuid) {
      const deadline = now() + opts.timeoutMs;
      let last: SubtaskResult[] | null = null;
      // The web server finishes a receipt in a few hundred ms: the first polls come sooner (25 ms,
      // doubling up to the interval), so a 300 ms receipt is seen at ~375 ms rather than at the
      // second full interval (500 ms with the default 250).
      let pause = Math.min(FIRST_POLL_MS, opts.pollIntervalMs);
      for (;;) {
        try {
          const res = await call('GET', `/api/v2/requests/${encodeURIComponent(uuid)}${query}`);
          if (res.status === 401 || res.status === 403) {
            await res.arrayBuffer();
            throw authError(res.status);
          }
          const body: unknown = res.status === 200 ? await res.json() : await res.arrayBuffer();
          const parsed = res.status === 200 ? parseResults(body) : null;
          if (parsed !== null) {
            last = parsed;
            if (parsed.some((r) => r.status === 'blocked') || parsed.every((r) => isFinalStatus(r.status))) return parsed;
          }
        } catch (err) {
          if (err instanceof DeviceError) throw err;
          // Connection lost while polling: the web server may be restarting; keep polling.
        }
        if (now() >= deadline) return last;
        await sleep(pause);
        pause = Math.min(pause * 2, opts.pollIntervalMs);
      }
    },

    async cancel(uuid) {
      try {
        const res = await call('DELETE', `/api/v2/requests/${encodeURIComponent(uuid)}${query}`);
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    },
  };
}
