export { createAtolEmulator } from './server.js';
export type { AtolEmulator, AtolEmulatorOptions } from './server.js';
export { runAtolEmulatorCli } from './cli.js';
export type { AtolEmulatorCliHandle } from './cli.js';
