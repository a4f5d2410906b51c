import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle.js';

describe('failed-login throttle', () => {
  it('stops a guesser after 5 failures from one address with a growing delay', () => {
    let t = 0;
    const th = createThrottle({ now: () => t });
    for (let i = 0; i < 4; i++) th.fail('1.1.1.1', 'shop');
    expect(th.retryAfter('1.1.1.1', 'shop')).toBe(0);
    th.fail('1.1.1.1', 'shop');
    expect(th.retryAfter('1.1.1.1', 'shop')).toBe(1);
    th.fail('1.1.1.1', 'shop');
    expect(th.retryAfter('1.1.1.1', 'shop')).toBe(2);
    // Another address is not affected by this guesser.
    expect(th.retryAfter('2.2.2.2', 'shop')).toBe(0);
    t += 16 * 60_000;
    th.fail('1.1.1.1', 'shop');
    expect(th.retryAfter('1.1.1.1', 'shop')).toBe(0);
  });

  it('throttles a login sprayed from many addresses, except from addresses it has logged in from', () => {
    const th = createThrottle({ now: () => 0 });
    th.succeed('10.0.0.5', 'shop');
    for (let i = 0; i < 150; i++) th.fail(`203.0.113.${i % 250}`, 'shop');
    expect(th.retryAfter('198.51.100.7', 'shop')).toBeGreaterThan(0);
    expect(th.retryAfter('10.0.0.5', 'shop')).toBe(0);
  });

  it('throttles one address that tries many logins', () => {
    const th = createThrottle({ now: () => 0 });
    for (let i = 0; i < 60; i++) th.fail('9.9.9.9', `user${i}`);
    expect(th.retryAfter('9.9.9.9', 'someone')).toBeGreaterThan(0);
  });
});
