export { createEmulatorDriver, emulatorDriver, emulatorFile, isEmulatorDriver, EMULATOR_MODEL, EMULATOR_DEVICE_MODEL } from './emulator-driver.js';
export type { EmulatorDriver } from './emulator-driver.js';
export { emulatorConfigSchema, emulatorDefaults, EMULATOR_DEFAULTS } from './config.js';
export type { EmulatorConfig } from './config.js';
