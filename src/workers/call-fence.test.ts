import { describe, expect, it } from 'vitest';
import { DeviceError } from '../devices/driver.js';
import { createCallFence } from './call-fence.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof DeviceError ? `${e.kind}:${e.code}` : String(e)));

describe('call fence', () => {
  it('starts a call only while the lease outlasts the call with a margin', async () => {
    let validUntil = performance.now() + 10_000;
    const fence = createCallFence({ validUntil: () => validUntil, timeoutMs: 1000, marginMs: 200 });
    expect(await codeOf(fence.run(false, async () => 1))).toBe('ok');
    validUntil = performance.now() + 1100;
    expect(await codeOf(fence.run(false, async () => 1))).toBe('offline:lease_lost');
  });

  it('a process frozen inside a call past its deadline is refused at the FN', async () => {
    const fence = createCallFence({ validUntil: () => performance.now() + 60_000, timeoutMs: 50 });
    const result = fence.run(true, async () => {
      // A freeze: the event loop does not run (no timer can fire) while the deadline passes.
      const until = performance.now() + 120;
      while (performance.now() < until);
      fence.check(); // what a driver asks right before writing the document
      return 'document written';
    });
    expect(await codeOf(result)).toBe('offline:lease_lost');
  });

  it('abandons a call at its timeout and starts no other until it ended; meanwhile the FN refuses it', async () => {
    const fence = createCallFence({ validUntil: () => performance.now() + 60_000, timeoutMs: 50 });
    let reachedFn = 'not yet';
    const slow = fence.run(true, async () => {
      await sleep(150);
      try {
        fence.check();
        reachedFn = 'written';
      } catch (e) {
        reachedFn = e instanceof DeviceError ? e.code : 'error';
        throw e;
      }
    });
    expect(await codeOf(slow)).toBe('in_doubt:device_timeout');
    // Another call while the abandoned one still runs: refused, and any check fails.
    expect(await codeOf(fence.run(false, async () => 1))).toBe('offline:device_timeout');
    expect(() => fence.check()).toThrow(/deadline passed/);
    await sleep(200);
    expect(reachedFn).toBe('lease_lost');
    // It ended: calls go again, and outside a call nothing is refused.
    expect(await codeOf(fence.run(false, async () => 1))).toBe('ok');
    expect(() => fence.check()).not.toThrow();
  });
});
