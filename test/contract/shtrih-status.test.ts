/**
 * The Shtrih-M emulator's status answers, read the way a third-party client reads them: a raw 0x11
 * over TCP, decoded by the protocol's byte layout (docs/domain.md §5.2).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { password4 } from '../../src/devices/shtrih/bytes.js';
import { CMD, decodeFullStatus } from '../../src/devices/shtrih/commands.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { createShtrihLink } from '../../src/devices/shtrih/link.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('shtrih emulator 0x11 full status', () => {
  it.each(['770123456703', '7825706086'])('carries the user INN %s the register is registered with', async (inn) => {
    const register = createEmulatorDriver({ ...emulatorDefaults(), company_inn: inn }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
    await register.open();
    cleanups.push(() => register.close());
    const emulator = createShtrihEmulator({ driver: register, port: 0, logger });
    const port = await emulator.listen();
    cleanups.push(() => emulator.close());
    const link = createShtrihLink({ host: '127.0.0.1', port, timeoutMs: 2000, retries: 2 });
    cleanups.push(() => link.close());

    const answer = await link.call(CMD.fullStatus, password4(30));
    expect(answer.error).toBe(0);
    const status = decodeFullStatus(answer.data);
    expect(status.inn).toBe(inn);
    expect((await register.registrationInfo()).companyInn).toBe(inn);
  });
});
