import { Value } from 'typebox/value';
import { validationCode, validationCodes, type ErrorCode } from '../domain/error-codes.js';
import { DomainError, type FieldError } from '../domain/errors.js';
import type { DriverFactory } from '../devices/driver.js';
import type { DriverRegistry } from '../devices/registry.js';

interface ValueError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** One error per field, named `config.<property>`; for a union the "matches none" error wins over its branches. */
function toFieldErrors(errors: readonly ValueError[]): FieldError[] {
  const byField = new Map<string, FieldError & { rank: number }>();
  const codes = validationCodes(errors);
  const put = (prop: string, keyword: string, message: string, code: ErrorCode = validationCode(keyword)) => {
    const field = prop ? `config.${prop}` : 'config';
    const rank = keyword === 'anyOf' || keyword === 'required' ? 2 : keyword === 'const' || keyword === 'boolean' ? 0 : 1;
    const prev = byField.get(field);
    if (!prev || prev.rank < rank) byField.set(field, { field, code, message: `${field} ${message}`, rank });
  };
  for (const [i, e] of errors.entries()) {
    const prop = e.instancePath.split('/').filter(Boolean).join('.');
    if (e.keyword === 'required' && Array.isArray(e.params.requiredProperties)) {
      for (const p of e.params.requiredProperties as string[]) put(p, 'required', 'is required');
    } else if (e.keyword === 'additionalProperties' && Array.isArray(e.params.additionalProperties)) {
      for (const p of e.params.additionalProperties as string[]) put(p, 'additionalProperties', 'is not a setting of this driver');
    } else if (e.keyword === 'boolean' && prop) {
      put(prop, 'additionalProperties', 'is not a setting of this driver');
    } else {
      put(prop, e.keyword, e.message, codes[i]);
    }
  }
  return [...byField.values()].map(({ rank: _rank, ...e }) => e);
}

/**
 * The driver's settings, completed with its defaults and checked against its config schema — the
 * same schema the dashboard renders the form from. Throws 400 naming each bad field.
 */
export function validateDriverConfig(factory: DriverFactory, config: unknown): Record<string, unknown> {
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new DomainError('invalid', { field: 'config', code: 'invalid_type', message: 'config must be an object' });
  }
  const merged: Record<string, unknown> = { ...(factory.defaults()), ...(config as Record<string, unknown> | undefined) };
  // An optional field left empty in the form means "not set".
  for (const [k, v] of Object.entries(merged)) if (v === '' && !(factory.configSchema.required ?? []).includes(k)) delete merged[k];
  if (!Value.Check(factory.configSchema, merged)) {
    throw new DomainError('invalid', toFieldErrors(Value.Errors(factory.configSchema, merged)));
  }
  return merged;
}

export function requireDriver(registry: DriverRegistry, model: string): DriverFactory {
  const f = registry.get(model);
  if (!f) throw new DomainError('invalid', { field: 'driver', code: 'unknown_driver', message: `Unknown device driver "${model}"` });
  return f;
}
