// The driver only: the protocol emulator (a server) is ./emulator/index.js, for tests and `cr-server emulate`.
export { atolDriver, createAtolDriver } from './driver.js';
export { ATOL_DEVICE_MODELS, atolConfigSchema, atolDefaults } from './config.js';
export type { AtolConfig, AtolDeviceModel } from './config.js';
export { receiptToTask, taskToReceipt } from './receipt-task.js';
