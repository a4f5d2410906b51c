import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A real callback receiver for the tests: node:http on 127.0.0.1, answering each request as the
 * test scripted it (a status, a Retry-After, or no answer at all), recording every request, and
 * processing each event id once — what a receiver does with a redelivered event.
 */
export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
}

export type Reply = { status: number; retryAfter?: string; body?: string } | { hang: true };

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Event ids processed (the first request of each; later ones are duplicates). */
  processed: string[];
  /** Answers for the next requests, in order; after them, `fallback`. */
  script(replies: Reply[], fallback?: Reply): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const processed: string[] = [];
  let queue: Reply[] = [];
  let fallback: Reply = { status: 200 };
  const hung = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ at: Date.now(), headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> });
      const reply = queue.shift() ?? fallback;
      if ('hang' in reply) {
        // Never answers: the sender's response timeout has to end it.
        const end = () => res.destroy();
        hung.add(end);
        res.on('close', () => hung.delete(end));
        return;
      }
      const eventId = String(req.headers['x-cr-event-id']);
      if (reply.status >= 200 && reply.status < 300 && !processed.includes(eventId)) processed.push(eventId);
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.retryAfter !== undefined ? { 'retry-after': reply.retryAfter } : {}) });
      res.end(reply.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/cr`,
    port,
    requests,
    processed,
    script(replies, fb = { status: 200 }) {
      queue = [...replies];
      fallback = fb;
    },
    async close() {
      for (const end of hung) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The verification the README shows (section "Callbacks"), line for line as a receiver writes it
 * (typed): the HMAC of "<timestamp>.<raw body>" under the secret, compared in constant time with
 * each `v1=` of the header.
 */
export const verify = (secret: string, headers: IncomingHttpHeaders, rawBody: string): boolean => {
  const expected = createHmac('sha256', secret).update(`${String(headers['x-cr-timestamp'])}.${rawBody}`).digest();
  return String(headers['x-cr-signature']).split(',').some((p) => { const got = Buffer.from(p.replace(/^v1=/, ''), 'hex'); return got.length === expected.length && timingSafeEqual(got, expected); });
};
