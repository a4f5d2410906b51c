import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../devices/driver.js';
import { emulatorDefaults } from '../devices/emulator/config.js';
import { createEmulatorDriver } from '../devices/emulator/emulator-driver.js';
import { fakeClock } from '../devices/fiscal-core/testing.js';
import { createCallFence } from './call-fence.js';
import { createDeviceSession, type SessionHooks } from './device-session.js';
import { LeaseGone, staleWrites } from './stale-write.js';

const logger = pino({ level: 'silent' });
const errorOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof DeviceError ? `${e.kind}:${e.code}` : e instanceof LeaseGone ? 'lease_gone' : String(e)));

/** A session on a virtual register with storage that accepts every write. */
function setup(opts: { notBefore?: number; storageProblem?: () => string | null; timeoutMs?: number; hooks?: Partial<SessionHooks> } = {}) {
  const clock = fakeClock();
  const emulator = createEmulatorDriver(emulatorDefaults(), { deviceId: 1, dataDir: null, clock, logger });
  const counts = { open: 0, close: 0 };
  const driver = {
    ...emulator,
    open: async () => {
      counts.open++;
      return emulator.open();
    },
    close: async () => {
      counts.close++;
      return emulator.close();
    },
  };
  const fence = { deviceId: 1, owner: 'test-node', epoch: 1 };
  const observed: { operation: string; ok: boolean }[] = [];
  const { fenced, stale } = staleWrites({ fence, deviceId: 1, groupId: 1, logger, now: () => clock.now() });
  const session = createDeviceSession(
    {
      groupId: 1,
      deviceId: 1,
      driver,
      fence,
      callFence: createCallFence({ validUntil: () => performance.now() + 60_000, timeoutMs: opts.timeoutMs ?? 5_000 }),
      ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
      ...(opts.storageProblem ? { storageProblem: opts.storageProblem } : {}),
      devices: { get: async () => undefined, updateDevice: async () => true, reconciledFd: async () => null, setReconciledFd: async () => true, setHealth: async () => true, poolPeersCached: async () => [], poolPeersPeek: () => undefined },
      receipts: { maxOwnedFd: async () => null, ownedFds: async () => new Set<number>() },
      observe: (operation, _seconds, ok) => void observed.push({ operation, ok }),
      logger,
      now: () => clock.now(),
    },
    { fenced, stale, saveSuccess: async () => undefined, running: () => true, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), ...opts.hooks },
  );
  return { session, counts, observed, driver };
}

describe('device session', () => {
  it('a takeover touches the device only after the previous owner cannot be in a call any more', async () => {
    const notBefore = performance.now() + 60;
    const { session } = setup({ notBefore });
    let calledAt = 0;
    await session.call('status', async () => (calledAt = performance.now()));
    expect(calledAt).toBeGreaterThanOrEqual(notBefore);
  });

  it('a worker stopped during the takeover wait gives up without a device call', async () => {
    let running = true;
    const { session } = setup({ notBefore: performance.now() + 60_000, hooks: {
        running: () => running,
        sleep: async () => {
          running = false;
        },
      },
    });
    let called = false;
    expect(await errorOf(session.call('status', async () => (called = true)))).toBe('lease_gone');
    expect(called).toBe(false);
  });

  it('saves the last success before every device call', async () => {
    const order: string[] = [];
    const { session } = setup({ hooks: { saveSuccess: async () => void order.push('save') } });
    await session.call('status', async () => void order.push('call'));
    expect(order).toEqual(['save', 'call']);
  });

  it('starts no device call while storage cannot keep its outcome', async () => {
    const { session, observed } = setup({ storageProblem: () => 'disk full' });
    let called = false;
    expect(await errorOf(session.call('register', async () => (called = true)))).toBe('offline:storage_unavailable');
    expect(called).toBe(false);
    expect(observed).toEqual([]);
  });

  it('a timed-out call drops the link: the next ensureOpen opens it again', async () => {
    const { session, counts, observed } = setup({ timeoutMs: 50 });
    await session.ensureOpen();
    await session.ensureOpen();
    expect(counts.open).toBe(1);
    const slow = () => new Promise<void>((r) => setTimeout(r, 120));
    expect(await errorOf(session.call('status', slow))).toBe('offline:device_timeout');
    expect(counts.close).toBe(1);
    expect(observed.at(-1)).toEqual({ operation: 'status', ok: false });
    // The abandoned call must settle before the fence lets another one start.
    await new Promise((r) => setTimeout(r, 150));
    await session.ensureOpen();
    expect(counts.open).toBe(2);
  });

  it('knows the device counter from the status read at open: a claim asks the device nothing more', async () => {
    const { session, driver, observed } = setup();
    await session.ensureOpen();
    const calls = observed.length;
    const last = await driver.lastFdNumber();
    expect(await session.lastFdReference()).toBe(last);
    expect(observed).toHaveLength(calls);
    expect(session.status?.lastFdNumber).toBe(last);
  });
});
