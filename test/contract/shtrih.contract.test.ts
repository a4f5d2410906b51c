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

// The cash-core models (code 45 in 0xFC) take an item's tags before its FF46 (src/devices/shtrih/README.md).
const SETUPS = [
  { ffd: '105', modelCode: undefined, name: 'FFD 105' },
  { ffd: '120', modelCode: undefined, name: 'FFD 120' },
  { ffd: '120', modelCode: 45, name: 'FFD 1.2, cash-core item order' },
] as const;

for (const { ffd, modelCode, name } of SETUPS) {
  runDriverContract(`shtrih over TCP → protocol emulator (${name})`, async (checkFence) => {
    const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: ffd }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
    const emulator = createShtrihEmulator({ driver: register, port: 0, logger, ...(modelCode !== undefined ? { modelCode } : {}) });
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
