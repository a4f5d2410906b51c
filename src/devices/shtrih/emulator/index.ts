export { createShtrihEmulator } from './server.js';
export type { ShtrihEmulator, ShtrihEmulatorOptions } from './server.js';
export { runShtrihEmulatorCli } from './cli.js';
export type { ShtrihEmulatorCliHandle } from './cli.js';
