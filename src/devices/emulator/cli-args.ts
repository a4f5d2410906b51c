import { readFileSync } from 'node:fs';
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
