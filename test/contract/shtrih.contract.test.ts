/**
 * The Shtrih-M driver end to end: driver → real TCP socket (ephemeral port) → protocol emulator →
 * virtual register. Faults are injected at the emulator's wire.
 */
import { pino } from 'pino';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { shtrihDriver } from '../../src/devices/shtrih/index.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { runDriverContract } from './fiscal-driver-contract.js';

const logger = pino({ level: 'silent' });

for (const ffd of ['105', '120'] as const) {
  runDriverContract(`shtrih over TCP → protocol emulator (FFD ${ffd})`, async (checkFence) => {
    const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: ffd }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
    const emulator = createShtrihEmulator({ driver: register, port: 0, logger });
    const port = await emulator.listen();
    const driver = shtrihDriver.create({ ...shtrihDriver.defaults(), port, timeout_ms: 2000, retries: 2 }, { deviceId: 1, dataDir: null, logger, clock: systemClock, checkFence });
    return {
      driver,
      faults: emulator.faults,
      teardown: async () => {
        await emulator.close();
        await register.close();
      },
    };
  });
}
