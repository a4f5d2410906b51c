import { AsyncLocalStorage } from 'node:async_hooks';
import { DeviceError, WORKER_ERROR_CODES, leaseLost } from '../devices/driver.js';

/**
 * Bounds every device call of one worker in time, on the monotonic clock (performance.now(), which
 * a wall-clock step never moves; a paused process sees it jump by the pause):
 * - a call starts only while the lease is known valid for longer than the call may take;
 * - it is abandoned when it outlives its timeout;
 * - the driver asks `check()` right before each step the FN cannot take back, and is refused once
 *   the call's own deadline passed — so a process frozen mid-call (SIGSTOP, a VM pause, a GC pause)
 *   wakes up unable to write a document after its successor took the device over.
 * The deadline belongs to the call (AsyncLocalStorage), not to the worker: a call that timed out
 * and still runs in the background keeps its expired deadline while the next call has its own.
 */
export function createCallFence(opts: {
  /** performance.now() until which this node's lease is known to hold. */
  validUntil: () => number;
  timeoutMs: number;
  /** Kept between the lease's end and the end of the longest call (clock drift, scheduling). */
  marginMs?: number;
}) {
  const scope = new AsyncLocalStorage<{ deadline: number }>();
  const margin = opts.marginMs ?? Math.min(1000, Math.round(opts.timeoutMs / 4));

  return {
    timeoutMs: opts.timeoutMs,
    /**
     * Runs one device call under a deadline. `documentMaking`: a timeout leaves the outcome
     * unknown (in doubt) rather than "nothing happened".
     */
    async run<T>(documentMaking: boolean, fn: () => Promise<T>): Promise<T> {
      const start = performance.now();
      const left = opts.validUntil() - start;
      if (left < opts.timeoutMs + margin) {
        throw leaseLost(`the lease holds for ${Math.max(0, Math.round(left))} ms more, a call may take ${opts.timeoutMs} ms`);
      }
      const deadline = start + opts.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const call = scope.run({ deadline }, fn);
      // Abandoned on timeout: its later failure must not surface as an unhandled rejection.
      call.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new DeviceError(documentMaking ? 'in_doubt' : 'offline', 'device_timeout', `${WORKER_ERROR_CODES.device_timeout} (${opts.timeoutMs} ms)`),
            ),
          opts.timeoutMs,
        );
      });
      try {
        return await Promise.race([call, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** DriverContext.checkFence. Outside a fenced call (tools, tests driving a driver directly) it allows. */
    check(): void {
      const s = scope.getStore();
      if (!s) return;
      const t = performance.now();
      if (t > s.deadline) throw leaseLost(`the call's deadline passed ${Math.round(t - s.deadline)} ms ago`);
      if (t > opts.validUntil()) throw leaseLost('the lease is no longer known to hold');
    },
  };
}
export type CallFence = ReturnType<typeof createCallFence>;
