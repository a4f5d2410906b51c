export { shtrihDriver, createShtrihDriver, SHTRIH_MODELS } from './driver.js';
export { shtrihConfigSchema, shtrihDefaults } from './config.js';
export type { ShtrihConfig } from './config.js';
export { createShtrihLink } from './link.js';
export type { ShtrihLink, LinkOptions } from './link.js';
export { createShtrihEmulator } from './emulator/server.js';
export type { ShtrihEmulator, ShtrihEmulatorOptions } from './emulator/server.js';
export { runShtrihEmulatorCli } from './emulator/cli.js';
export type { ShtrihEmulatorCliHandle } from './emulator/cli.js';
