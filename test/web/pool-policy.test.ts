/**
 * The dashboard's pool thresholds form states each threshold's limits (input bounds and the hint's
 * "(min–max)") and starts a new group with the defaults; the server checks and applies its own
 * (domain/pool.ts). The web code cannot import the server's, so this keeps the two from drifting.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POOL_POLICY, POOL_POLICY_LIMITS } from '../../src/domain/pool.js';
import { DEFAULT_POOL_POLICY as FORM_DEFAULTS, POOL_POLICY_FIELDS } from '../../web/src/pool-policy.js';

describe('the pool thresholds form', () => {
  it('has every threshold the server checks, with the server\'s limits in the inputs and both hints, and its defaults', () => {
    expect(POOL_POLICY_FIELDS.map((f) => f.key).sort()).toEqual(Object.keys(POOL_POLICY_LIMITS).sort());
    for (const f of POOL_POLICY_FIELDS) {
      const [min, max] = POOL_POLICY_LIMITS[f.key];
      expect([f.min, f.max], f.key).toEqual([min, max]);
      expect(f.hint.ru, f.key).toContain(`(${min}–${max})`);
      expect(f.hint.en, f.key).toContain(`(${min}–${max})`);
    }
    expect(FORM_DEFAULTS).toEqual(DEFAULT_POOL_POLICY);
  });
});
