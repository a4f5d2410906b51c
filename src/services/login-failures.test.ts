import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLoginFailureJournal, type LoginFailure } from './login-failures.js';

describe('failed login journal', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes one entry per login and address per window, and the count of the rest when the window ends', async () => {
    vi.useFakeTimers();
    const written: (LoginFailure & { count: number })[] = [];
    const journal = createLoginFailureJournal({ write: async (d) => void written.push(d), windowMs: 60_000 });
    for (let i = 0; i < 1000; i++) journal.record({ login: 'admin', ip: '10.0.0.1', reason: 'bad_credentials' });
    journal.record({ login: 'admin', ip: '10.0.0.2', reason: 'locked' });
    expect(written).toEqual([
      { login: 'admin', ip: '10.0.0.1', reason: 'bad_credentials', count: 1 },
      { login: 'admin', ip: '10.0.0.2', reason: 'locked', count: 1 },
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(written.slice(2)).toEqual([{ login: 'admin', ip: '10.0.0.1', reason: 'bad_credentials', count: 999 }]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(written).toHaveLength(3);
    journal.record({ login: 'admin', ip: '10.0.0.1', reason: 'bad_credentials' });
    expect(written).toHaveLength(4);
  });

  it('folds pairs beyond its bound into one counted entry', async () => {
    vi.useFakeTimers();
    const written: (LoginFailure & { count: number })[] = [];
    const journal = createLoginFailureJournal({ write: async (d) => void written.push(d), maxKeys: 3 });
    for (let i = 0; i < 100; i++) journal.record({ login: `user${i}`, ip: '10.0.0.1', reason: 'bad_credentials' });
    expect(written).toHaveLength(4);
    expect(written[3]).toEqual({ login: '*', ip: '*', reason: 'bad_credentials', count: 1 });
    await journal.flushAll();
    expect(written.at(-1)).toEqual({ login: '*', ip: '*', reason: 'bad_credentials', count: 96 });
  });
});
