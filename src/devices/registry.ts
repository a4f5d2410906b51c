import type { DriverFactory } from './driver.js';
import { emulatorDriver } from './emulator/index.js';
import { atolDriver } from './atol/index.js';
import { shtrihDriver } from './shtrih/index.js';

/** Every driver model the server can drive, by `model` name. */
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
