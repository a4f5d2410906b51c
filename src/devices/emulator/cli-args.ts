import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type FiscalDriver } from '../driver.js';
import { emulatorDriver } from './index.js';
import { Value } from 'typebox/value';
import { emulatorConfigSchema, emulatorDefaults, type EmulatorConfig } from './config.js';

/**
 * Command-line pieces shared by the protocol emulators (`cr-server emulate shtrih|atol`): both run
 * the virtual register, configured the same way.
 */

/** `--config '{"ffd_version":"120"}'` or `--config @file.json`, over the virtual register's defaults, validated. */
export function parseEmulatorConfigArg(value: string | undefined): EmulatorConfig {
  const defaults = emulatorDefaults();
  if (value === undefined) return defaults;
  const parsed: unknown = JSON.parse(value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('--config must be a JSON object');
  const config: unknown = { ...defaults, ...parsed };
  if (!Value.Check(emulatorConfigSchema, config)) {
    const first = [...Value.Errors(emulatorConfigSchema, config)][0];
    throw new Error(`--config: ${first ? `${first.instancePath} ${first.message}` : 'invalid'}`);
  }
  return config;
}

export function nonNegativeIntArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

/** The options every protocol emulator takes (`parseArgs` format); each adds its own. */
export const COMMON_EMULATOR_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'device-id': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** The virtual register behind a protocol emulator, from the common options, opened. */
export async function openVirtualRegister(
  values: { 'data-dir'?: string | undefined; 'device-id'?: string | undefined; config?: string | undefined },
  defaultDataDir: string,
  logger: Logger,
): Promise<{ dataDir: string; deviceId: number; config: EmulatorConfig; driver: FiscalDriver }> {
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir);
  const deviceId = nonNegativeIntArg('device-id', values['device-id'], 1);
  const config = parseEmulatorConfigArg(values.config);
  const driver = emulatorDriver.create(config, { deviceId, dataDir, logger, clock: systemClock });
  await driver.open();
  return { dataDir, deviceId, config, driver };
}

/**
 * SIGINT/SIGTERM close the emulator, then its virtual register (the FN file is flushed last), and
 * exit. The returned close() does the same without exiting and first detaches the signal handlers,
 * so a test that runs several emulators in one process leaves none behind.
 */
export function closeOnSignals(name: string, logger: Logger, emulator: { close(): Promise<void> }, driver: { close(): Promise<void> }): () => Promise<void> {
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await emulator.close();
      await driver.close();
    })());
  const onSignal = (): void => {
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `${name}: close failed`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  };
}
