import { describe, expect, it } from 'vitest';
import { createHashGate, createLoginTrust, createThrottle, type Throttle } from './throttle.js';

/** One failed attempt; returns the Retry-After seconds when refused, 0 when admitted (and failed). */
const failOnce = (th: Throttle, ip: string, login: string, trusted = false): number => {
  const a = th.admit(ip, login, trusted);
  if (!a.ok) return a.retryAfter;
  a.ticket.fail();
  return 0;
};
const admitted = (th: Throttle, ip: string, login: string, trusted = false): boolean => {
  const a = th.admit(ip, login, trusted);
  if (a.ok) a.ticket.release();
  return a.ok;
};

describe('failed-login throttle', () => {
  it('stops a guesser after 5 failures from one address with a growing delay', () => {
    let t = 0;
    const th = createThrottle({ now: () => t });
    for (let i = 0; i < 5; i++) expect(failOnce(th, '1.1.1.1', 'shop')).toBe(0);
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(1);
    t += 1000;
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(0); // the 6th failure: 2 s now
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(2);
    // Another address is not affected by this guesser.
    expect(admitted(th, '2.2.2.2', 'shop')).toBe(true);
    t += 16 * 60_000;
    expect(admitted(th, '1.1.1.1', 'shop')).toBe(true);
  });

  it('counts attempts in flight: a concurrent burst cannot pass before its failures are recorded', () => {
    const th = createThrottle({ now: () => 0 });
    const tickets = [];
    for (let i = 0; i < 5; i++) {
      const a = th.admit('1.1.1.1', 'shop', false);
      expect(a.ok).toBe(true);
      if (a.ok) tickets.push(a.ticket);
    }
    expect(th.admit('1.1.1.1', 'shop', false)).toEqual({ ok: false, retryAfter: 1 });
    // A success releases its reservation (and clears the pair's failures); so does an attempt without a verdict.
    tickets[0]?.succeed();
    tickets[1]?.release();
    tickets[1]?.fail(); // no effect after release
    expect(admitted(th, '1.1.1.1', 'shop')).toBe(true);
    for (const tk of tickets.slice(2)) tk.fail();
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(0);
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(0);
    expect(failOnce(th, '1.1.1.1', 'shop')).toBe(1);
  });

  it('a login sprayed from many addresses is never locked: fresh addresses get in, with one free failure instead of five', () => {
    const th = createThrottle({ now: () => 0 });
    for (let i = 0; i < 150; i++) failOnce(th, `203.0.113.${i % 250}`, 'shop');
    expect(th.underAttack('shop')).toBe(true);
    expect(admitted(th, '198.51.100.7', 'shop')).toBe(true);
    expect(failOnce(th, '198.51.100.7', 'shop')).toBe(0);
    expect(failOnce(th, '198.51.100.7', 'shop')).toBe(1);
    // A trusted pair keeps its own five.
    for (let i = 0; i < 5; i++) expect(failOnce(th, '10.0.0.5', 'shop', true)).toBe(0);
    expect(failOnce(th, '10.0.0.5', 'shop', true)).toBe(1);
    expect(th.underAttack('other')).toBe(false);
  });

  it('throttles one address that tries many logins, except for the logins trusted there', () => {
    const th = createThrottle({ now: () => 0 });
    for (let i = 0; i < 60; i++) failOnce(th, '9.9.9.9', `user${i}`);
    expect(admitted(th, '9.9.9.9', 'someone')).toBe(false);
    expect(admitted(th, '9.9.9.9', 'shop', true)).toBe(true);
  });
});

describe('login trust (memory)', () => {
  it('lasts 30 days from the last use, is bound to the credentials version, and is written at most hourly', async () => {
    let t = 0;
    const writes: number[] = [];
    const repo = {
      upsert: async (p: { expiresAt: number }) => { writes.push(p.expiresAt); },
      find: async () => undefined,
      loadLive: async () => [],
      deleteExpired: async () => 0,
    };
    const trust = createLoginTrust({ now: () => t, repo });
    await trust.ready();
    const user = { id: 7, credentials_version: 3, is_active: true };
    expect(trust.has('shop', '10.0.0.1')).toBe(false);
    await trust.earn('shop', '10.0.0.1', user);
    expect(trust.has('shop', '10.0.0.1')).toBe(true);
    for (let i = 0; i < 59; i++) {
      t += 60_000;
      expect(trust.earn('shop', '10.0.0.1', user)).toBeUndefined(); // renewed in memory only
    }
    t += 2 * 60_000;
    await trust.earn('shop', '10.0.0.1', user);
    expect(writes).toEqual([30 * 86_400_000, t + 30 * 86_400_000]);
    expect(trust.matches('shop', '10.0.0.1', user)).toBe(true);
    expect(trust.matches('shop', '10.0.0.1', { ...user, credentials_version: 4 })).toBe(false);
    expect(trust.has('shop', '10.0.0.1')).toBe(false); // dropped by the mismatch
    await trust.earn('shop', '10.0.0.1', user);
    t += 30 * 86_400_000 + 1;
    expect(trust.has('shop', '10.0.0.1')).toBe(false);
    await trust.earn('shop', '10.0.0.2', user);
    trust.forget('shop');
    expect(trust.has('shop', '10.0.0.2')).toBe(false);
  });
});

describe('hash gate', () => {
  const deferred = () => {
    let resolve!: (v: boolean) => void;
    const p = new Promise<boolean>((r) => (resolve = r));
    return { p, resolve };
  };
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('runs at most 2 per untrusted address, queues 8 more, refuses the rest', async () => {
    const gate = createHashGate({ slots: 10 });
    let running = 0;
    const jobs = Array.from({ length: 12 }, () => deferred());
    const results = jobs.map((j) => gate.run('1.1.1.1', false, async () => { running++; const v = await j.p; running--; return v; }));
    await tick();
    expect(running).toBe(2);
    expect(await results[10]).toBe('busy');
    expect(await results[11]).toBe('busy');
    for (const j of jobs) j.resolve(false);
    expect(await Promise.all(results.slice(0, 10))).toEqual(Array(10).fill(false));
    // A trusted pair at the same address is not held by the address's cap.
    expect(await gate.run('1.1.1.1', true, async () => true)).toBe(true);
  });

  it('bounds the total and serves trusted work first', async () => {
    const gate = createHashGate({ slots: 1 });
    const order: string[] = [];
    const first = deferred();
    const a = gate.run('1.1.1.1', false, async () => { order.push('a'); return first.p; });
    const b = gate.run('2.2.2.2', false, async () => { order.push('b'); return true; });
    const c = gate.run('3.3.3.3', true, async () => { order.push('c'); return true; });
    await tick();
    expect(order).toEqual(['a']);
    first.resolve(true);
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'c', 'b']);
  });
});
