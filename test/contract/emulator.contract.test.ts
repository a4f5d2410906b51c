import { pino } from 'pino';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { systemClock } from '../../src/devices/driver.js';
import { runDriverContract } from './fiscal-driver-contract.js';

const logger = pino({ level: 'silent' });

for (const ffd of ['105', '120'] as const) {
  runDriverContract(`emulator in process (FFD ${ffd})`, async (checkFence) => {
    const driver = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: ffd }, { deviceId: 1, dataDir: null, logger, clock: systemClock, checkFence });
    return { driver, faults: driver.faults, teardown: async () => undefined };
  });
}
