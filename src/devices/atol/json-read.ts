import { DeviceError } from '../driver.js';
import { isObject } from './protocol.js';
import type { JsonObject } from './protocol.js';

/**
 * Defensive readers for JSON from the web server: a field of the wrong type means we cannot
 * trust the answer, which is a device error, not a crash.
 */
const badAnswer = (what: string): DeviceError =>
  new DeviceError('rejected', 'device_error', `unexpected ATOL answer: ${what}`, { retryable: true });

export function obj(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  if (isObject(v)) return v;
  throw badAnswer(`${key} is not an object`);
}

export const optObj = (o: JsonObject, key: string): JsonObject => {
  const v = o[key];
  return isObject(v) ? v : {};
};

export function int(o: JsonObject, key: string, fallback?: number): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (fallback !== undefined) return fallback;
  throw badAnswer(`${key} is not a number`);
}

export function text(o: JsonObject, key: string, fallback?: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (fallback !== undefined) return fallback;
  throw badAnswer(`${key} is not a string`);
}

export const bool = (o: JsonObject, key: string, fallback: boolean): boolean => {
  const v = o[key];
  return typeof v === 'boolean' ? v : fallback;
};

/** A JSON number that may carry a fraction (ruble amounts, quantities). */
export function num(o: JsonObject, key: string, fallback?: number): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw badAnswer(`${key} is not a number`);
}
