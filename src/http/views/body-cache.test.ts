import { describe, expect, it } from 'vitest';
import { createBodyCache } from './body-cache.js';

describe('body cache', () => {
  it('answers only for the receipt id in its own group', () => {
    const c = createBodyCache(10_000);
    c.set(1, 7, '{"id":1}');
    expect(c.get(1, 7)).toBe('{"id":1}');
    expect(c.get(1, 8)).toBeUndefined();
    expect(c.get(2, 7)).toBeUndefined();
  });

  it('stays within its byte bound, dropping the least recently read first', () => {
    const body = 'x'.repeat(100); // 264 bytes counted
    const c = createBodyCache(3 * 264);
    c.set(1, 1, body);
    c.set(2, 1, body);
    c.set(3, 1, body);
    expect(c.get(1, 1)).toBe(body); // 1 is now the most recent
    c.set(4, 1, body);
    expect(c.get(2, 1)).toBeUndefined();
    expect([1, 3, 4].map((id) => c.get(id, 1) !== undefined)).toEqual([true, true, true]);
    expect(c.bytes).toBeLessThanOrEqual(3 * 264);
  });

  it('a zero bound caches nothing, and a body larger than the bound is not kept', () => {
    const off = createBodyCache(0);
    off.set(1, 1, '{}');
    expect(off.size).toBe(0);
    const small = createBodyCache(100);
    small.set(1, 1, 'y'.repeat(200));
    expect(small.size).toBe(0);
  });
});
