import { DeviceError, deviceErrorText, leaseLost } from '../devices/driver.js';

/**
 * Bounds every device call of one worker in time, on the monotonic clock (performance.now(), which
 * a wall-clock step never moves; a paused process sees it jump by the pause):
 * - a call starts only while the lease is known valid for longer than the call may take;
 * - it is abandoned when it outlives its timeout;
 * - the driver asks `check()` right before each step the FN cannot take back, and is refused once
 *   the call's own deadline passed — so a process frozen mid-call (SIGSTOP, a VM pause, a GC pause)
 *   wakes up unable to write a document after its successor took the device over.
 * One call at a time: a call abandoned at its timeout may still be running inside the driver, so
 * until it settles its expired deadline stays the current one (every check fails) and no new call
 * starts — a device never has two calls in flight. (Not AsyncLocalStorage: on Node 20 it turns on
 * promise hooks for the whole process, which cost every request memory and CPU.)
 */
export function createCallFence(opts: {
  /** performance.now() until which this node's lease is known to hold. */
  validUntil: () => number;
  timeoutMs: number;
  /** Kept between the lease's end and the end of the longest call (clock drift, scheduling). */
  marginMs?: number;
}) {
  const margin = opts.marginMs ?? Math.min(1000, Math.round(opts.timeoutMs / 4));
  let current: { deadline: number } | null = null;
  let abandoned: Promise<unknown> | null = null;

  return {
    timeoutMs: opts.timeoutMs,
    /**
     * Runs one device call under a deadline. `documentMaking`: a timeout leaves the outcome
     * unknown (in doubt) rather than "nothing happened".
     */
    async run<T>(documentMaking: boolean, fn: () => Promise<T>): Promise<T> {
      if (abandoned) throw new DeviceError('offline', 'device_timeout', `${deviceErrorText('device_timeout')}: the abandoned call has not ended yet`);
      const start = performance.now();
      const left = opts.validUntil() - start;
      if (left < opts.timeoutMs + margin) {
        throw leaseLost(`the lease holds for ${Math.max(0, Math.round(left))} ms more, a call may take ${opts.timeoutMs} ms`);
      }
      const token = { deadline: start + opts.timeoutMs };
      current = token;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const call = fn();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new DeviceError(documentMaking ? 'in_doubt' : 'offline', 'device_timeout', `${deviceErrorText('device_timeout')} (${opts.timeoutMs} ms)`));
        }, opts.timeoutMs);
      });
      try {
        return await Promise.race([call, timeout]);
      } finally {
        clearTimeout(timer);
        if (timedOut) {
          // Still running in the driver: its (expired) deadline stays current until it ends.
          const settled = call.then(
            () => undefined,
            () => undefined,
          );
          abandoned = settled;
          void settled.then(() => {
            if (abandoned === settled) abandoned = null;
            if (current === token) current = null;
          });
        } else if (current === token) {
          current = null;
        }
      }
    },
    /** DriverContext.checkFence. Outside a fenced call (tools, tests driving a driver directly) it allows. */
    check(): void {
      const s = current;
      if (!s) return;
      const t = performance.now();
      if (t > s.deadline) throw leaseLost(`the call's deadline passed ${Math.round(t - s.deadline)} ms ago`);
      if (t > opts.validUntil()) throw leaseLost('the lease is no longer known to hold');
    },
  };
}
export type CallFence = ReturnType<typeof createCallFence>;
