import { expect, it } from 'vitest';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS, nextBackoff } from './backoff.js';

it('backs off from 250 ms, doubling, to at most 10 s', () => {
  const waits: number[] = [];
  for (let b = 0, i = 0; i < 8; i++) waits.push((b = nextBackoff(b)));
  expect(waits).toEqual([FIRST_BACKOFF_MS, 500, 1000, 2000, 4000, 8000, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
});
