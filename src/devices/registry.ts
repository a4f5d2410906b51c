import type { DriverFactory } from './driver.js';
import { emulatorDriver } from './emulator/index.js';
import { atolDriver } from './atol/index.js';
import { shtrihDriver } from './shtrih/index.js';

/**
 * Every driver model the server can drive, by `model` name. Drivers only: the ATOL and Shtrih
 * protocol emulators are servers for test benches (`cr-server emulate`) and stay out of the
 * production module graph (registry.test.ts checks it). The virtual register is a driver, the one
 * `npm start` uses.
 */
export function createDriverRegistry(factories: readonly DriverFactory[] = [emulatorDriver, atolDriver, shtrihDriver]) {
  const byModel = new Map(factories.map((f) => [f.model, f]));
  return {
    get(model: string): DriverFactory | undefined {
      return byModel.get(model);
    },
    list(): DriverFactory[] {
      return [...byModel.values()];
    },
  };
}
export type DriverRegistry = ReturnType<typeof createDriverRegistry>;
