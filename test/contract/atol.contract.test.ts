/**
 * The ATOL driver end to end: driver → HTTP (ephemeral port) → ATOL web server emulator (v2
 * JSON queue) → virtual register. Faults are injected into the virtual register behind it.
 */
import { pino } from 'pino';
import { atolDriver } from '../../src/devices/atol/index.js';
import { createAtolEmulator } from '../../src/devices/atol/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { runDriverContract } from './fiscal-driver-contract.js';

const logger = pino({ level: 'silent' });

for (const ffd of ['105', '120'] as const) {
  runDriverContract(`atol over HTTP → web server emulator (FFD ${ffd})`, async (checkFence) => {
    const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: ffd }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
    // Recovery slower than the driver's polling, so a lost answer is seen as `blocked` (in doubt).
    const emulator = createAtolEmulator({ port: 0, driver: register, recoveryIntervalMs: 100, logger });
    await emulator.listen();
    const driver = atolDriver.create(
      { ...atolDriver.defaults(), url: emulator.url, poll_interval_ms: 10, timeout_ms: 5000 },
      { deviceId: 1, dataDir: null, logger, clock: systemClock, checkFence },
    );
    return {
      driver,
      faults: register.faults,
      teardown: async () => {
        await emulator.close();
        await register.close();
      },
    };
  });
}
