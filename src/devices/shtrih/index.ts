// The driver only: the protocol emulator (a server) is ./emulator/index.js, for tests and `cr-server emulate`.
export { shtrihDriver, createShtrihDriver, SHTRIH_MODELS } from './driver.js';
export { shtrihConfigSchema, shtrihDefaults } from './config.js';
export type { ShtrihConfig } from './config.js';
export { createShtrihLink } from './link.js';
export type { ShtrihLink, LinkOptions } from './link.js';
