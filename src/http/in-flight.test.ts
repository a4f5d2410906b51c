import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createInFlight } from './in-flight.js';

describe('in-flight handlers', () => {
  it('close() of the server does not wait for a handler whose client hung up; drained() does', async () => {
    const app = Fastify();
    const inFlight = createInFlight();
    inFlight.register(app);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const handlerStarted = new Promise<void>((r) => (entered = r));
    let finished = false;
    app.get('/slow', async () => {
      entered();
      await released;
      finished = true;
      return { ok: true };
    });
    app.get('/fast', async () => ({ ok: true }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });

    expect((await fetch(`${url}/fast`)).status).toBe(200);
    expect(inFlight.running).toBe(0);

    const client = new AbortController();
    const request = fetch(`${url}/slow`, { signal: client.signal }).catch(() => 'aborted');
    await handlerStarted;
    client.abort();
    expect(await request).toBe('aborted');
    await app.close();
    expect(finished).toBe(false); // the socket is gone, the handler is not
    expect(inFlight.running).toBe(1);
    expect(await inFlight.drained(20)).toBe(false);

    const drained = inFlight.drained(5000);
    release();
    expect(await drained).toBe(true);
    expect(finished).toBe(true);
    expect(inFlight.running).toBe(0);
  });

  it('counts a handler that failed as finished', async () => {
    const app = Fastify({ logger: false });
    const inFlight = createInFlight();
    inFlight.register(app);
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(inFlight.running).toBe(0);
    await app.close();
  });
});
