export { atolDriver, createAtolDriver } from './driver.js';
export { ATOL_DEVICE_MODELS, atolConfigSchema, atolDefaults } from './config.js';
export type { AtolConfig, AtolDeviceModel } from './config.js';
export { receiptToTask, taskToReceipt } from './receipt-task.js';
export { createAtolEmulator, runAtolEmulatorCli } from './emulator/index.js';
export type { AtolEmulator, AtolEmulatorOptions, AtolEmulatorCliHandle } from './emulator/index.js';
