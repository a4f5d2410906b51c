import type { FastifyInstance } from 'fastify';

/**
 * Counts route handlers still running. `app.close()` resolves once the sockets are gone, but the
 * handler of a request whose client already hung up keeps running — into a closed database if
 * shutdown went on (seen while building the benchmarks: "driver has already been destroyed",
 * logged as 500s). Shutdown waits for this count to reach zero before closing the database.
 * Counted from preHandler (the handler is about to run) to onSend (it produced its reply, or its
 * error did); callback-style hooks, because this runs on every request.
 */
export function createInFlight() {
  const counted = new WeakSet<object>();
  let running = 0;
  let waiters: (() => void)[] = [];

  return {
    get running(): number {
      return running;
    },
    register(app: FastifyInstance): void {
      app.addHook('preHandler', (request, _reply, done) => {
        counted.add(request);
        running++;
        done();
      });
      app.addHook('onSend', (request, _reply, payload, done) => {
        if (counted.delete(request) && --running === 0) {
          const ws = waiters;
          waiters = [];
          for (const w of ws) w();
        }
        done(null, payload);
      });
    },
    /** Resolves when no handler runs, or after `timeoutMs` (true: drained, false: gave up). */
    drained(timeoutMs: number): Promise<boolean> {
      if (running === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(done);
      });
    },
  };
}
export type InFlight = ReturnType<typeof createInFlight>;
